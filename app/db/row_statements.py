"""One-row statements compiled once for a dialect, with the bind processors of their columns'
types: what the two one-statement access-log writers of the hot path send straight to their
drivers (issue 20): :class:`app.db.engine.LoopSqliteWriter` (SQLite, positional parameters) and
:class:`app.db.pg_writer.PostgresRowWriter` (PostgreSQL through psycopg, named parameters).

Going through the columns' own bind processing (e.g. a UTC time to SQLite's text form,
app/db/models.py) keeps a row written this way the same as one written through an ORM unit of
work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Processor = Callable[[Any], Any]


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
    return RowStatement(
        sql=str(built),
        names=frozenset(built.binds),
        order=tuple(built.positiontup or ()),
        processors=processors,
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
