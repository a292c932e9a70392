"""The access log (issue 18): one row per tool call on an athlete's data, written from the
tool-call path (app/mcp/caller.py), shown and exported on the account page.

What a row holds is what the athlete needs to recognise a call (when, the client, who called,
the tool, its data categories, read or write, the outcome); tool arguments are never stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AccessRecord, Athlete, OAuthClient, utcnow

READ_MODE = "read"
WRITE_MODE = "write"
OK = "ok"
REFUSED = "refused"
FAILED = "failed"
OUTCOMES = (OK, REFUSED, FAILED)
MODES = (READ_MODE, WRITE_MODE)
PAGE_ROWS = 200
"""Rows shown on the account page (the CSV export has every kept row)."""
CSV_COLUMNS = ("time_utc", "client", "by", "tool", "categories", "mode", "outcome")


async def record_access(
    db: AsyncSession,
    *,
    acting: str,
    actor_pk: int,
    client_id: str,
    tool: str,
    categories: Sequence[str],
    mode: str,
    outcome: str,
) -> None:
    """Add the row of one finished tool call: ``acting`` is the Intervals.icu id of the athlete
    whose data it acted on, ``actor_pk`` the caller's athlete row (the same athlete, or their
    coach). A call for an athlete without an account here has no log to go to."""
    rows = (
        await db.execute(
            select(Athlete.id, Athlete.intervals_id, Athlete.name).where(
                (Athlete.id == actor_pk) | (Athlete.intervals_id == acting)
            )
        )
    ).all()
    subject = next((row.id for row in rows if row.intervals_id == acting), None)
    actor = next((row.name for row in rows if row.id == actor_pk), "")
    if subject is None:
        return
    db.add(
        AccessRecord(
            athlete_id=subject,
            actor_id=actor_pk,
            actor_name=actor if actor_pk != subject else "you",
            client_id=client_id,
            tool=tool,
            categories=",".join(categories),
            mode=mode,
            outcome=outcome,
            at=utcnow(),
        )
    )


OWN_ACCESS_INSERT = insert(AccessRecord)
"""The INSERT of :func:`own_access_values`: built once, so its compiled form is cached."""


async def record_own_access(
    db: AsyncSession,
    *,
    athlete_pk: int,
    client_id: str,
    tool: str,
    categories: Sequence[str],
    mode: str,
    outcome: str,
) -> None:
    """Add the row of one finished tool call the athlete made on their own data
    (:func:`own_access_values`) in the unit of work ``db``."""
    values = own_access_values(
        athlete_pk=athlete_pk,
        client_id=client_id,
        tool=tool,
        categories=categories,
        mode=mode,
        outcome=outcome,
    )
    await db.execute(OWN_ACCESS_INSERT, values)


def own_access_values(
    *,
    athlete_pk: int,
    client_id: str,
    tool: str,
    categories: Sequence[str],
    mode: str,
    outcome: str,
) -> dict[str, Any]:
    """The row (for :data:`OWN_ACCESS_INSERT`) of one finished tool call an athlete made on
    their own data. Their row is known from the verified token, so it needs no lookup (the hot
    path of every tool call, issue 20); it is the row :func:`record_access` writes for such a
    call."""
    return {
        "athlete_id": athlete_pk,
        "actor_id": athlete_pk,
        "actor_name": "you",
        "client_id": client_id,
        "tool": tool,
        "categories": ",".join(categories),
        "mode": mode,
        "outcome": outcome,
        "at": utcnow(),
    }


@dataclass(frozen=True)
class AccessFilter:
    """What the athlete narrowed the log to on the account page; empty fields match all."""

    tool: str = ""
    mode: str = ""
    outcome: str = ""

    @classmethod
    def parse(cls, tool: str = "", mode: str = "", outcome: str = "") -> AccessFilter:
        """Unknown modes or outcomes match nothing rather than everything."""
        return cls(tool=tool.strip()[:64], mode=mode.strip(), outcome=outcome.strip())

    @property
    def active(self) -> bool:
        return bool(self.tool or self.mode or self.outcome)


@dataclass(frozen=True)
class AccessRow:
    """One access-log entry as the account page and the CSV show it."""

    at: datetime
    client: str
    by: str
    tool: str
    categories: str
    mode: str
    outcome: str


async def access_rows(
    db: AsyncSession,
    athlete_pk: int,
    wanted: AccessFilter = AccessFilter(),
    limit: int | None = PAGE_ROWS,
) -> list[AccessRow]:
    """The athlete's access log, newest first, narrowed to ``wanted``."""
    query = (
        select(AccessRecord, OAuthClient.name)
        .outerjoin(OAuthClient, OAuthClient.client_id == AccessRecord.client_id)
        .where(AccessRecord.athlete_id == athlete_pk)
        .order_by(AccessRecord.at.desc(), AccessRecord.id.desc())
    )
    if wanted.tool:
        query = query.where(AccessRecord.tool == wanted.tool)
    if wanted.mode:
        query = query.where(AccessRecord.mode == wanted.mode)
    if wanted.outcome:
        query = query.where(AccessRecord.outcome == wanted.outcome)
    if limit is not None:
        query = query.limit(limit)
    return [
        AccessRow(
            at=record.at,
            client=name or record.client_id,
            by=record.actor_name or "a removed account",
            tool=record.tool,
            categories=record.categories,
            mode=record.mode,
            outcome=record.outcome,
        )
        for record, name in (await db.execute(query)).all()
    ]


def access_csv(rows: Sequence[AccessRow]) -> str:
    """The rows as CSV (RFC 4180), times in UTC ISO 8601. Cells that a spreadsheet would read as
    a formula (client names are chosen by the client) are prefixed with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = (row.at.isoformat(), row.client, row.by, row.tool, row.categories, row.mode)
        writer.writerow([_inert(cell) for cell in (*cells, row.outcome)])
    return out.getvalue()


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
