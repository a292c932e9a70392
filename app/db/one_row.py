"""What the two one-statement access-log writers of the hot path (issue 20) share:
:class:`app.db.engine.LoopSqliteWriter` (SQLite, positional parameters) and
:class:`app.db.pg_writer.PostgresRowWriter` (PostgreSQL through psycopg, named parameters).
Each engine has at most one of each, made on first use; each sends one-row statements straight
to its driver, compiled once for its dialect with the bind processors of the columns' types.

Going through the columns' own bind processing (e.g. a UTC time to SQLite's text form,
app/db/models.py) keeps a row written this way the same as one written through an ORM unit of
work."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any]
Writer = TypeVar("Writer")


def sessions_engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine | None:
    """The async engine the sessions are bound to (None when bound otherwise)."""
    bind = sessions.kw.get("bind")
    return bind if isinstance(bind, AsyncEngine) else None


def one_per_engine(
    writers: weakref.WeakKeyDictionary[Engine, Writer],
    engine: AsyncEngine,
    make: Callable[[AsyncEngine], Writer],
) -> Writer:
    """The engine's writer in ``writers``, made with ``make`` on first use (dropped with the
    engine)."""
    writer = writers.get(engine.sync_engine)
    if writer is None:
        writer = writers[engine.sync_engine] = make(engine)
    return writer


@dataclass(frozen=True, slots=True)
class RowStatement:
    """A statement compiled for one set of parameter names."""

    sql: str
    names: frozenset[str]
    """The names the statement binds."""
    order: tuple[str, ...]
    """The parameters' positional order (``qmark`` drivers such as sqlite3); empty for drivers
    that take named parameters (psycopg's ``pyformat``)."""
    processors: Mapping[str, Processor]
    """Each bind's type processor, for the binds that have one."""
    binds: tuple[tuple[str, Processor | None], ...]
    """:attr:`order` with each name's processor (None: the value as it is), so a positional
    row is built in one pass."""


def compile_row_statement(
    statement: Executable, dialect: Dialect, names: tuple[str, ...]
) -> RowStatement:
    """``statement`` compiled for ``dialect`` with values for the columns ``names``
    (TypeError for anything but a plain SQL statement)."""
    if not isinstance(statement, ClauseElement):
        raise TypeError("only SQL expressions are sent straight to the driver")
    built = statement.compile(dialect=dialect, column_keys=list(names))
    if not isinstance(built, SQLCompiler):
        raise TypeError("only SQL statements are sent straight to the driver")
    processors: dict[str, Processor] = {}
    for name, processor in built._bind_processors.items():
        if not callable(processor):  # a tuple type's per-element processors
            raise TypeError("tuple-typed parameters are not sent straight to the driver")
        processors[name] = processor
    order = tuple(built.positiontup or ())
    return RowStatement(
        sql=str(built),
        names=frozenset(built.binds),
        order=order,
        processors=processors,
        binds=tuple((name, processors.get(name)) for name in order),
    )


class RowStatements:
    """The compiled form of each (statement, parameter names) met, made on first use."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[tuple[Executable, tuple[str, ...]], RowStatement] = {}

    def get(self, statement: Executable, names: tuple[str, ...]) -> RowStatement:
        key = (statement, names)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = compile_row_statement(statement, self._dialect, names)
        return compiled
