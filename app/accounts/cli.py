"""Operator commands: ``athletes list|show|disable|enable|delete``, ``allowlist add|remove|list``,
``club admin add|remove|list`` and ``keys rotate``. Each command opens its own database engine and
exits 0 on success, 1 when the athlete or entry does not exist (or a confirmation is missing)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.club import club_admins, make_club_admin, remove_club_admin
from app.accounts.policy import (
    allowlist_add,
    allowlist_athlete_id,
    allowlist_entries,
    allowlist_remove,
    canonical_athlete_id,
    find_athlete,
)
from app.accounts.service import (
    connected_apps,
    credential_row,
    delete_account,
    disable_athlete,
    enable_athlete,
    list_athletes,
)
from app.accounts.upstream import UpstreamDisconnect, withdraw_stored_access
from app.cli_text import terminal_safe
from app.db.engine import make_async_engine, make_sessionmaker, transaction
from app.db.models import Athlete, BrowserSession, Credential, utcnow
from app.db.revocation import attach_revocation_sink
from app.db.token_cache import CollectedRevocations, announce_from_cli
from app.intervals.client import IntervalsClient
from app.intervals.ids import InvalidId
from app.keyring import new_key_entry, resolve_key_ring
from app.redis_state import RedisState
from app.settings import Settings
from app.vault.crypto import Vault
from app.vault.store import RotationReport, SealedCredential, rotate_credentials

T = TypeVar("T")
EXIT_OK = 0
EXIT_NOT_DONE = 1


def add_account_commands(sub: Any) -> None:
    """Register the ``athletes``, ``allowlist`` and ``keys`` command groups."""
    _add_athletes(sub)
    _add_allowlist(sub)
    _add_keys(sub)
    _add_club(sub)


def _add_athletes(sub: Any) -> None:
    athletes = sub.add_parser("athletes", help="athlete accounts")
    actions = athletes.add_subparsers(dest="athletes_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="list accounts").set_defaults(handler=cmd_athletes_list)
    for name, handler, text in (
        ("show", cmd_athletes_show, "show one account"),
        ("disable", cmd_athletes_disable, "block sign-in and end every session and token now"),
        ("enable", cmd_athletes_enable, "allow sign-in again"),
        ("delete", cmd_athletes_delete, "delete the account, its credential, grants and tokens"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("athlete", help="Intervals.icu athlete id, e.g. i12345")
        if name == "delete":
            action.add_argument("--yes", action="store_true", help="confirm the deletion")
        action.set_defaults(handler=handler)


def _add_allowlist(sub: Any) -> None:
    allowlist = sub.add_parser(
        "allowlist", help="athletes allowed when GATEWAY_ACCESS_POLICY=allowlist"
    )
    actions = allowlist.add_subparsers(dest="allowlist_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="allow an athlete id")
    add.add_argument("athlete", help="Intervals.icu athlete id, e.g. i12345")
    add.add_argument("--note", default="", help="who this is (shown by list)")
    add.add_argument(
        "--legacy-id",
        action="store_true",
        help="the id is an old account's bare number (no leading 'i'), e.g. 2049151",
    )
    add.set_defaults(handler=cmd_allowlist_add)
    remove = actions.add_parser("remove", help="remove an athlete id")
    remove.add_argument("athlete", help="Intervals.icu athlete id")
    remove.set_defaults(handler=cmd_allowlist_remove)
    actions.add_parser("list", help="list allowed ids").set_defaults(handler=cmd_allowlist_list)


def _add_club(sub: Any) -> None:
    club = sub.add_parser("club", help="the club: who manages its members on /club")
    groups = club.add_subparsers(dest="club_command", required=True, metavar="GROUP")
    admin = groups.add_parser("admin", help="club admins")
    actions = admin.add_subparsers(dest="club_admin_command", required=True, metavar="ACTION")
    for name, handler, text in (
        ("add", cmd_club_admin_add, "make an athlete id a club admin"),
        ("remove", cmd_club_admin_remove, "take the club admin role away"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("athlete", help="Intervals.icu athlete id, e.g. i12345")
        action.set_defaults(handler=handler)
    actions.add_parser("list", help="list club admins").set_defaults(handler=cmd_club_admin_list)


def _add_keys(sub: Any) -> None:
    keys = sub.add_parser("keys", help="vault encryption keys")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate", help="re-encrypt every stored credential under the first (primary) key"
    )
    rotate.add_argument("--batch-size", type=int, default=100, help="credentials per transaction")
    rotate.set_defaults(handler=cmd_keys_rotate)
    generate = actions.add_parser("generate", help="print a new key ring entry 'kid:base64key'")
    generate.add_argument("key_id", nargs="?", default="k1", help="key id (default k1)")
    generate.set_defaults(handler=cmd_keys_generate, schema_free=True)


# -- plumbing -------------------------------------------------------------------------------------


def _with_sessions(
    settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    async def run() -> T:
        engine = make_async_engine(settings)
        ended = CollectedRevocations()
        sessions = make_sessionmaker(engine)
        attach_revocation_sink(sessions, ended)
        try:
            result = await work(sessions)
        finally:
            await engine.dispose()
        await announce_from_cli(settings, ended)  # the serving instances' token caches
        return result

    return asyncio.run(run())


def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def one(sessions: async_sessionmaker[AsyncSession]) -> T:
        async with transaction(sessions) as db:
            return await work(db)

    return _with_sessions(settings, one)


def _athlete_id(raw: str) -> str | None:
    try:
        return canonical_athlete_id(raw)
    except InvalidId as error:
        print(f"intervals-gateway: {error}")
        return None


def _on_athlete(
    settings: Settings, raw_id: str, work: Callable[[AsyncSession, Athlete], Awaitable[str]]
) -> int:
    """Run ``work`` on the athlete's account; print its message, or that there is none."""
    intervals_id = _athlete_id(raw_id)
    if intervals_id is None:
        return EXIT_NOT_DONE

    async def run(db: AsyncSession) -> int:
        athlete = await find_athlete(db, intervals_id)
        if athlete is None:
            print(f"no account for athlete {intervals_id}")
            return EXIT_NOT_DONE
        print(await work(db, athlete))
        return EXIT_OK

    return _in_transaction(settings, run)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


# -- athletes -------------------------------------------------------------------------------------


def cmd_athletes_list(settings: Settings, _args: argparse.Namespace) -> int:
    """One line per account: id, name, status, credential kind, last sign-in."""

    async def run(db: AsyncSession) -> int:
        rows = await db.execute(select(Credential.athlete_id, Credential.kind))
        kinds = {athlete_pk: kind for athlete_pk, kind in rows}
        athletes = await list_athletes(db)
        for athlete in athletes:
            status = "disabled" if athlete.is_disabled else "active"
            print(
                f"{athlete.intervals_id}\t{status}\t{kinds.get(athlete.id, 'no-credential')}\t"
                f"last sign-in {_when(athlete.last_signin_at)}\t{terminal_safe(athlete.name)}"
            )
        print(f"{len(athletes)} athlete(s)")
        return EXIT_OK

    return _in_transaction(settings, run)


def cmd_athletes_show(settings: Settings, args: argparse.Namespace) -> int:
    async def show(db: AsyncSession, athlete: Athlete) -> str:
        credential = await credential_row(db, athlete.id)
        apps = await connected_apps(db, athlete.id)
        sessions = await db.scalar(
            select(func.count()).where(BrowserSession.athlete_id == athlete.id)
        )
        lines = [
            f"athlete      {athlete.intervals_id} ({terminal_safe(athlete.name)})",
            f"timezone     {athlete.timezone}",
            f"status       {_status(athlete)}",
            f"created      {_when(athlete.created_at)}",
            f"last sign-in {_when(athlete.last_signin_at)}",
            f"credential   {_credential_summary(credential)}",
            f"sessions     {sessions or 0}",
            f"applications {len(apps)}",
        ]
        lines += [
            f"  - {terminal_safe(app.client_name)} ({app.scope}), used {_when(app.last_used_at)}"
            for app in apps
        ]
        return "\n".join(lines)

    return _on_athlete(settings, args.athlete, show)


def _status(athlete: Athlete) -> str:
    return f"disabled since {_when(athlete.disabled_at)}" if athlete.is_disabled else "active"


def _credential_summary(credential: Credential | None) -> str:
    if credential is None:
        return "none"
    rejected = f", rejected {_when(credential.rejected_at)}" if credential.rejected_at else ""
    return (
        f"{credential.kind} (key {credential.key_id}), verified "
        f"{_when(credential.last_verified_at)}{rejected}"
    )


def cmd_athletes_disable(settings: Settings, args: argparse.Namespace) -> int:
    async def disable(db: AsyncSession, athlete: Athlete) -> str:
        ended = await disable_athlete(db, athlete, utcnow())
        return f"disabled {athlete.intervals_id}; ended {ended} grant(s) and all sessions"

    return _on_athlete(settings, args.athlete, disable)


def cmd_athletes_enable(settings: Settings, args: argparse.Namespace) -> int:
    async def enable(db: AsyncSession, athlete: Athlete) -> str:
        await enable_athlete(db, athlete)
        return f"enabled {athlete.intervals_id}"

    return _on_athlete(settings, args.athlete, enable)


UPSTREAM_OUTCOME = {
    UpstreamDisconnect.DISCONNECTED: "Intervals.icu confirmed the gateway's OAuth access ended",
    UpstreamDisconnect.ALREADY_ENDED: "Intervals.icu had already ended the gateway's OAuth access",
    UpstreamDisconnect.NOT_TOLD: "Intervals.icu did not confirm (unreachable or refused): the "
    "athlete may still see this gateway among their connected apps there",
    UpstreamDisconnect.NOTHING_UPSTREAM: "a personal API key: no app access to withdraw upstream",
}
"""What ``athletes delete`` reports of Intervals.icu's answer (operator wording)."""


def cmd_athletes_delete(settings: Settings, args: argparse.Namespace) -> int:
    """Delete the account like the account page does: first tell Intervals.icu to end the
    gateway's OAuth access (``DELETE /api/v1/disconnect-app`` with the stored token), then,
    whatever it answered, remove everything locally; print both outcomes."""
    if not args.yes:
        print("refusing to delete without --yes (this removes the credential, grants and tokens)")
        return EXIT_NOT_DONE

    async def delete(db: AsyncSession, athlete: Athlete) -> str:
        told = await _withdraw_upstream(settings, db, athlete)
        await delete_account(db, athlete.id)
        done = f"deleted {athlete.intervals_id} with its credential, sessions, grants and tokens"
        return done if told is None else f"{done}; {UPSTREAM_OUTCOME[told]}"

    status = _on_athlete(settings, args.athlete, delete)
    if status == EXIT_OK:
        _checkpoint_wal(settings)  # no ciphertext of the deleted account left in the WAL
    return status


async def _withdraw_upstream(
    settings: Settings, db: AsyncSession, athlete: Athlete
) -> UpstreamDisconnect | None:
    """Ask Intervals.icu to end the gateway's access with the athlete's stored credential
    (app/accounts/upstream.py); None when nothing is stored."""
    row = await credential_row(db, athlete.id)
    if row is None:
        return None
    redis = RedisState.from_settings(settings) if settings.shared_state_backend == "redis" else None
    try:  # the upstream budget is the one the serving instances share (Redis) when they do
        async with IntervalsClient.from_settings(settings, redis=redis) as client:
            return await withdraw_stored_access(
                client,
                resolve_key_ring(settings),
                SealedCredential.of_row(row),
                rate_key=athlete.intervals_id,
            )
    finally:
        if redis is not None:
            await redis.aclose()


def _checkpoint_wal(settings: Settings) -> None:
    from app.db.engine import checkpoint_sqlite_wal_sync, make_sync_engine

    engine = make_sync_engine(settings)
    try:
        checkpoint_sqlite_wal_sync(engine)
    finally:
        engine.dispose()


# -- allowlist ------------------------------------------------------------------------------------


def cmd_allowlist_add(settings: Settings, args: argparse.Namespace) -> int:
    try:
        intervals_id = allowlist_athlete_id(args.athlete, legacy=args.legacy_id)
    except InvalidId as error:
        print(f"intervals-gateway: {error}")
        return EXIT_NOT_DONE
    added = _in_transaction(settings, lambda db: allowlist_add(db, intervals_id, args.note))
    print(f"added {intervals_id}" if added else f"{intervals_id} is already on the allowlist")
    if settings.access_policy != "allowlist":
        print("note: GATEWAY_ACCESS_POLICY is 'open'; the allowlist applies once it is 'allowlist'")
    return EXIT_OK


def cmd_allowlist_remove(settings: Settings, args: argparse.Namespace) -> int:
    intervals_id = _athlete_id(args.athlete)
    if intervals_id is None:
        return EXIT_NOT_DONE
    removed = _in_transaction(settings, lambda db: allowlist_remove(db, intervals_id))
    print(f"removed {intervals_id}" if removed else f"{intervals_id} was not on the allowlist")
    return EXIT_OK if removed else EXIT_NOT_DONE


def cmd_allowlist_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def run(db: AsyncSession) -> int:
        entries = await allowlist_entries(db)
        for entry in entries:
            print(f"{entry.intervals_id}\tadded {_when(entry.added_at)}\t{entry.note}")
        print(f"{len(entries)} athlete id(s); access policy is {settings.access_policy!r}")
        return EXIT_OK

    return _in_transaction(settings, run)


# -- club -----------------------------------------------------------------------------------------


def cmd_club_admin_add(settings: Settings, args: argparse.Namespace) -> int:
    intervals_id = _athlete_id(args.athlete)
    if intervals_id is None:
        return EXIT_NOT_DONE
    added = _in_transaction(settings, lambda db: make_club_admin(db, intervals_id))
    print(f"{intervals_id} is a club admin" + ("" if added else " already"))
    print(f"they manage the club at {settings.base_url.rstrip('/')}/club once signed in")
    return EXIT_OK


def cmd_club_admin_remove(settings: Settings, args: argparse.Namespace) -> int:
    intervals_id = _athlete_id(args.athlete)
    if intervals_id is None:
        return EXIT_NOT_DONE
    removed = _in_transaction(settings, lambda db: remove_club_admin(db, intervals_id))
    print(f"{intervals_id} is no longer a club admin" if removed else f"{intervals_id} was not one")
    return EXIT_OK if removed else EXIT_NOT_DONE


def cmd_club_admin_list(settings: Settings, _args: argparse.Namespace) -> int:
    async def run(db: AsyncSession) -> int:
        admins = await club_admins(db)
        for admin in admins:
            print(f"{admin.intervals_id}\tadded {_when(admin.added_at)}")
        print(f"{len(admins)} club admin(s)")
        return EXIT_OK

    return _in_transaction(settings, run)


# -- keys -----------------------------------------------------------------------------------------


def cmd_keys_generate(_settings: Settings, args: argparse.Namespace) -> int:
    """Print a fresh random 256-bit key as a key ring entry (docs/operations.md, rotation)."""
    try:
        print(new_key_entry(args.key_id))
    except ValueError as error:
        print(f"intervals-gateway: {error}")
        return EXIT_NOT_DONE
    return EXIT_OK


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    """Re-encrypt every credential under the primary key, in batches; print the counts."""
    if args.batch_size < 1:
        print("--batch-size must be at least 1")
        return EXIT_NOT_DONE
    vault = Vault(resolve_key_ring(settings))
    print(f"primary key: {vault.primary_key_id}; keys in ring: {', '.join(vault.key_ids)}")

    def progress(report: RotationReport) -> None:
        print(f"  ... scanned {report.scanned}, re-encrypted {report.rotated}", flush=True)

    report = _with_sessions(
        settings,
        lambda sessions: rotate_credentials(
            sessions, vault, batch_size=args.batch_size, after_batch=progress
        ),
    )
    print(format_rotation_report(report))
    return EXIT_OK if not report.unreadable else EXIT_NOT_DONE


def format_rotation_report(report: RotationReport) -> str:
    lines = [
        f"scanned {report.scanned} credential(s): {report.rotated} re-encrypted, "
        f"{report.already_current} already under the primary key, "
        f"{report.changed_meanwhile} replaced meanwhile, {len(report.unreadable)} unreadable"
    ]
    if report.unreadable:
        lines.append(
            "unreadable (their key is not in GATEWAY_ENCRYPTION_KEYS, or the row was altered): "
            "athlete row ids " + ", ".join(str(pk) for pk in report.unreadable)
        )
    else:
        lines.append("every credential is under the primary key; old keys may now be removed")
    return "\n".join(lines)
