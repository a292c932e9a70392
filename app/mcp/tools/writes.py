"""The write pipeline as tools use it (docs/writes.md): preview by default, apply only with the
confirmation handle of that exact preview, journal every applied change, undo from the journal.

A write tool reads the current upstream state of what it changes, builds
:class:`~app.writes.changes.PlannedChange` values and hands them to :func:`submit` with the
model's ``confirm`` argument; :func:`submit` does the rest. How one kind of object is read and
written is an :class:`ObjectKind` registered with :func:`register_kind` (needed by undo, which
only has the journal); warnings come from the :func:`guardrail` functions (W2: ramp, A-race...).
The store is reached through ``ctx.writes`` (the MCP layer binds it to the caller), never the
database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field

from app.mcp.tools.answers import Answer
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.errors import ToolFailure
from app.mcp.tools.schema import checked_not_published
from app.writes.changes import (
    REFUSALS,
    ClaimStatus,
    Fields,
    JournalEntry,
    PlannedChange,
    WriteStore,
    canonical,
    matches,
    request_digest,
    state_digest,
)

Confirm = Annotated[
    str | None,
    Field(max_length=64, json_schema_extra=checked_not_published),
]
"""The ``confirm`` argument every write tool takes (the handle a preview answers with; each
write tool's description says it previews and applies with confirm)."""

NO_STORE = "Changes cannot be confirmed on this connection (no write journal is available)."


class ObjectKind(Protocol):
    """How one kind of upstream object is read and written (wellness day, activity, event...).
    ``area`` is the Intervals.icu OAuth scope area its writes need (``WELLNESS``, ``ACTIVITY``,
    ``CALENDAR``, ``LIBRARY``, ``SETTINGS``)."""

    area: str

    async def read(self, ctx: AthleteContext, key: str, fields: Sequence[str]) -> Fields | None:
        """The current values of ``fields`` (upstream names); None when the object is gone."""
        ...

    async def apply(self, ctx: AthleteContext, change: PlannedChange) -> PlannedChange:
        """Write ``change`` upstream; return it with ``key`` set (a create learns its id)."""
        ...


KINDS: dict[str, ObjectKind] = {}
Guardrail = Callable[[AthleteContext, Sequence[PlannedChange]], Awaitable[list[str]]]
GUARDRAILS: list[Guardrail] = []


def register_kind(name: str, kind: ObjectKind) -> ObjectKind:
    """Make ``kind`` the reader/writer of objects called ``name`` (one per name)."""
    if name in KINDS and KINDS[name] is not kind:
        raise TypeError(f"object kind {name!r} is registered twice")
    KINDS[name] = kind
    return kind


def guardrail(function: Guardrail) -> Guardrail:
    """Register a guardrail: it sees every planned write and returns warnings for the preview."""
    if function not in GUARDRAILS:
        GUARDRAILS.append(function)
    return function


def kind_of(name: str) -> ObjectKind:
    kind = KINDS.get(name)
    if kind is None:
        raise ToolFailure(f"Changes to {name} cannot be written or undone by this gateway.")
    return kind


class FieldChange(Answer):
    """One field: its value before and after as JSON text (absent: not set)."""

    field: str
    before: str | None = None
    after: str | None = None

    @classmethod
    def of(cls, name: str, before: Any, after: Any) -> FieldChange:
        return cls(field=name, before=as_text(before), after=as_text(after))


def as_text(value: Any) -> str | None:
    """A field value as compact JSON text (None when not set)."""
    value = canonical(value)
    return None if value is None else json.dumps(value, ensure_ascii=False)


class ChangeView(Answer):
    """One object's change in a preview or result."""

    object: str
    action: str
    """create, update or delete."""
    fields: list[FieldChange]
    change_id: int | None = None


class WriteAnswer(Answer):
    """A preview (``status`` preview, with ``confirm``) or the result of an apply."""

    schema_note = "status preview: nothing written yet; the same call with confirm applies it."

    status: str
    """preview, applied, already_applied or no_change."""
    changes: list[ChangeView]
    warnings: list[str] | None = None
    confirm: str | None = None
    expires_at: str | None = None
    batch_id: str | None = None

    def text(self) -> str:
        lines = [self.headline()]
        for change in self.changes:
            parts = ", ".join(
                f"{f.field} {show(f.before)} -> {show(f.after)}" for f in change.fields
            )
            lines.append(f"{change.action} {change.object}: {parts or 'no field changes'}")
        lines += [f"warning: {w}" for w in self.warnings or []]
        return "\n".join(lines)

    def headline(self) -> str:
        if self.status == "preview":
            return (
                f"PREVIEW, nothing written. To apply, call again with the same arguments and "
                f'confirm="{self.confirm}" (expires {self.expires_at}).'
            )
        if self.status == "no_change":
            return "Nothing to change; nothing was written."
        again = " (already applied earlier; not written twice)" if self.status != "applied" else ""
        return f"APPLIED as batch {self.batch_id}{again}; undo_changes can revert it."


def show(value: str | None) -> str:
    return "(none)" if value is None else value


def view(change: PlannedChange, change_id: int | None = None) -> ChangeView:
    before, after = change.before or {}, change.after or {}
    fields = [
        FieldChange.of(name, before.get(name), after.get(name)) for name in change.changed_fields()
    ]
    return ChangeView(object=change.label, action=change.action, fields=fields, change_id=change_id)


def store_of(ctx: AthleteContext) -> WriteStore:
    if ctx.writes is None:
        raise ToolFailure(NO_STORE)
    return ctx.writes


def check_permissions(ctx: AthleteContext, changes: Sequence[PlannedChange]) -> None:
    """Refuse at preview time when the athlete's Intervals.icu OAuth connection is known to
    lack the write permission of an area, naming it (a missing scope, not a dead credential)."""
    for change in changes:
        gap = ctx.api.missing_permission(kind_of(change.kind).area, change.label, write=True)
        if gap is not None:
            raise ToolFailure(gap.message)


async def warnings_for(ctx: AthleteContext, changes: Sequence[PlannedChange]) -> list[str]:
    found: list[str] = []
    for check in GUARDRAILS:
        found += await check(ctx, changes)
    return found


def summary_of(changes: Sequence[PlannedChange]) -> str:
    return "; ".join(f"{c.action} {c.label}" for c in changes)


async def submit(
    ctx: AthleteContext,
    changes: Sequence[PlannedChange],
    confirm: str | None,
    *,
    extra_warnings: Sequence[str] = (),
) -> WriteAnswer:
    """Preview ``changes`` (no ``confirm``) or apply them (the handle of their preview)."""
    store = store_of(ctx)
    effective = [c for c in changes if c.changed_fields()]
    request, state = request_digest(changes), state_digest(changes)
    if confirm is None:
        if not effective:
            return WriteAnswer(status="no_change", changes=[])
        check_permissions(ctx, effective)
        warnings = [*extra_warnings, *await warnings_for(ctx, effective)]
        handle, expires = await store.issue(request, state, summary_of(effective), ctx.now())
        return WriteAnswer(
            status="preview",
            changes=[view(c) for c in effective],
            warnings=warnings or None,
            confirm=handle,
            expires_at=local_time(ctx, expires),
        )
    claim = await store.claim(confirm, request, state, ctx.now())
    if claim.status is ClaimStatus.APPLIED:
        return await replay(ctx, store, claim.batch_id or "")
    if claim.status is not ClaimStatus.OK:
        raise ToolFailure(REFUSALS[claim.status])
    return await apply(ctx, store, confirm, effective)


async def apply(
    ctx: AthleteContext, store: WriteStore, handle: str, changes: Sequence[PlannedChange]
) -> WriteAnswer:
    """Write each change upstream in order and journal what was written."""
    done: list[PlannedChange] = []
    try:
        for change in changes:
            done.append(await kind_of(change.kind).apply(ctx, change))
    except BaseException as failure:  # any failure (a time limit too) must not strand the handle
        if not done:
            await store.release(handle)
            raise
        batch = await journal(ctx, store, handle, done)
        if not isinstance(failure, ToolFailure):
            raise
        raise ToolFailure(
            f"{len(done)} of {len(changes)} changes were applied (batch {batch}; undo_changes "
            f"can revert them); then: {failure}"
        ) from None
    batch = await journal(ctx, store, handle, done)
    return await replay(ctx, store, batch, status="applied")


async def journal(
    ctx: AthleteContext, store: WriteStore, handle: str, done: Sequence[PlannedChange]
) -> str:
    """Journal what was written upstream, to completion even when the call's time limit
    cancels the call meanwhile (a written change is never left out of the journal)."""
    return await asyncio.shield(store.record(handle, done, ctx.now()))


async def replay(
    ctx: AthleteContext,
    store: WriteStore,
    batch: str,
    status: Literal["applied", "already_applied"] = "already_applied",
) -> WriteAnswer:
    """The answer for an applied batch, from the journal (a retried apply gets the same)."""
    entries = sorted(await store.entries(batch_id=batch, limit=500), key=lambda e: e.id)
    changes = [
        view(PlannedChange(e.kind, e.key, e.label, e.before, e.after, e.reverts), e.id)
        for e in entries
    ]
    return WriteAnswer(status=status, changes=changes, batch_id=batch)


def local_time(ctx: AthleteContext, moment: datetime) -> str:
    """``2026-07-29T14:10`` in the athlete's timezone."""
    return moment.astimezone(ctx.timezone).strftime("%Y-%m-%dT%H:%M")


def only_set(values: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments the model gave (None means "leave as is")."""
    return {k: v for k, v in values.items() if v is not None}


async def plan_undo(
    ctx: AthleteContext, entries: Sequence[JournalEntry]
) -> tuple[list[PlannedChange], list[str]]:
    """The changes that revert ``entries`` (newest first), and why any cannot be reverted:
    an entry is reverted only while its object still holds the values the entry wrote."""
    planned: list[PlannedChange] = []
    refused: list[str] = []
    projected: dict[tuple[str, str | None], dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: (e.applied_at, e.id), reverse=True):
        if entry.undone_at is not None:
            refused.append(f"change {entry.id} ({entry.label}) was already undone")
            continue
        fields = list(entry.after or entry.before or {})
        slot = (entry.kind, entry.key)
        try:
            current = await current_state(ctx, entry, fields, projected.get(slot))
        except ToolFailure as failure:
            refused.append(f"change {entry.id} ({entry.label}) cannot be checked: {failure}")
            continue
        if not matches(current, entry.after):
            refused.append(
                f"change {entry.id} ({entry.label}) is not undone: it was changed on "
                "Intervals.icu since (or by a later change), and undoing would overwrite that"
            )
            continue
        planned.append(
            PlannedChange(
                entry.kind,
                entry.key,
                f"{entry.label} (undo of change {entry.id})",
                current,
                entry.before,
                reverts=entry.id,
            )
        )
        projected[slot] = {**(projected.get(slot) or current or {}), **(entry.before or {})}
    return planned, refused


async def current_state(
    ctx: AthleteContext,
    entry: JournalEntry,
    fields: Sequence[str],
    projected: Mapping[str, Any] | None,
) -> Fields | None:
    """What the object holds now (after the undos planned before this one), for ``fields``."""
    if entry.key is None:
        return None
    if projected is not None and all(f in projected for f in fields):
        return {f: projected[f] for f in fields}
    current = await kind_of(entry.kind).read(ctx, entry.key, fields)
    if current is not None and projected is not None:
        current = {**current, **{f: projected[f] for f in fields if f in projected}}
    return current
