"""`intervals-gateway clients add|list|show|rotate-secret|remove` and `intervals-gateway purge`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.cli_text import terminal_safe
from app.db.engine import make_async_engine, make_sessionmaker, make_sync_engine
from app.db.revocation import sink_info
from app.db.token_cache import CollectedRevocations, announce_from_cli
from app.oauth import operator_clients as ops
from app.oauth import scopes
from app.oauth.metadata import AUTH_METHODS
from app.oauth.purge import purge_once
from app.settings import Settings

EXIT_USAGE = 1


def _in_session(settings: Settings, work: Callable[[Session], int]) -> int:
    """Run ``work`` in one transaction; then tell the serving instances' token caches what it
    ended (app/db/token_cache.py)."""
    engine = make_sync_engine(settings)
    ended = CollectedRevocations()
    try:
        with Session(engine, info=sink_info(ended)) as db, db.begin():
            status = work(db)
    except ops.ClientCommandError as error:
        print(f"intervals-gateway: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    asyncio.run(announce_from_cli(settings, ended))
    return status


def _supplied_secret(args: argparse.Namespace) -> str | None:
    if not args.secret_stdin:
        return None
    return sys.stdin.readline().strip()


def _print_secret_once(secret: str | None) -> None:
    if secret:
        print(f"client secret: {secret}")
        print("Store it now: it is shown only this once (the gateway keeps only a hash).")


def cmd_clients_add(settings: Settings, args: argparse.Namespace) -> int:
    """Register a client for a connector that takes a fixed client id (and secret)."""

    def work(db: Session) -> int:
        client, secret = ops.add_client(
            db,
            name=args.name,
            client_id=args.client_id,
            auth_method=args.auth_method,
            redirect_uris=args.redirect_uri,
            scope=args.scope,
            supplied_secret=_supplied_secret(args),
        )
        print(f"client id: {client.client_id}")
        print(f"auth method: {client.token_endpoint_auth_method}")
        _print_secret_once(secret)
        return 0

    return _in_session(settings, work)


def cmd_clients_list(settings: Settings, args: argparse.Namespace) -> int:
    def work(db: Session) -> int:
        rows = ops.list_clients(db, args.origin)
        print("client_id\torigin\tauth_method\tlive_grants\tname")
        for row in rows:
            c = row.client
            print(
                f"{c.client_id}\t{c.origin}\t{c.token_endpoint_auth_method}\t"
                f"{row.live_grants}\t{terminal_safe(c.name)}"
            )
        return 0

    return _in_session(settings, work)


def cmd_clients_show(settings: Settings, args: argparse.Namespace) -> int:
    def work(db: Session) -> int:
        c = ops.get_client(db, args.client_id)
        fields: dict[str, Any] = {
            "client id": terminal_safe(c.client_id),
            "name": terminal_safe(c.name),
            "origin": c.origin,
            "auth method": c.token_endpoint_auth_method,
            "secret": "(set, hashed)" if c.secret_hash else "(none)",
            "redirect uris": terminal_safe(" ".join(c.redirect_uris)),
            "scope": c.scope,
            "created": c.created_at.isoformat(timespec="seconds"),
            "secret rotated": c.secret_rotated_at.isoformat(timespec="seconds")
            if c.secret_rotated_at
            else "-",
            "last used": c.last_used_at.isoformat(timespec="seconds") if c.last_used_at else "-",
        }
        for key, value in fields.items():
            print(f"{key}: {value}")
        return 0

    return _in_session(settings, work)


def cmd_clients_rotate(settings: Settings, args: argparse.Namespace) -> int:
    def work(db: Session) -> int:
        secret = ops.rotate_secret(db, args.client_id, _supplied_secret(args))
        print(f"secret of {args.client_id} replaced; the old secret no longer works")
        _print_secret_once(secret)
        return 0

    return _in_session(settings, work)


def cmd_clients_remove(settings: Settings, args: argparse.Namespace) -> int:
    def work(db: Session) -> int:
        grants = ops.remove_client(db, args.client_id)
        print(f"removed {args.client_id} and its {grants} grant(s); its tokens no longer work")
        return 0

    return _in_session(settings, work)


def cmd_clients_add_redirect_uri(settings: Settings, args: argparse.Namespace) -> int:
    """Allow another redirect URI for an operator client (no grant or secret changes)."""

    def work(db: Session) -> int:
        uris = ops.add_redirect_uri(db, args.client_id, args.uri)
        print(f"redirect URIs of {args.client_id}: {' '.join(uris)}")
        return 0

    return _in_session(settings, work)


def cmd_clients_remove_redirect_uri(settings: Settings, args: argparse.Namespace) -> int:
    """Stop accepting one redirect URI of an operator client (grants and secret stay)."""

    def work(db: Session) -> int:
        uris = ops.remove_redirect_uri(db, args.client_id, args.uri)
        print(f"redirect URIs of {args.client_id}: {' '.join(uris)}")
        return 0

    return _in_session(settings, work)


def _add_redirect_uri_commands(actions: Any) -> None:
    """`clients add-redirect-uri` and `clients remove-redirect-uri`."""
    add = actions.add_parser(
        "add-redirect-uri",
        help="allow another redirect URI for an operator client (athletes stay connected)",
    )
    add.add_argument("client_id")
    add.add_argument("uri", help="e.g. https://chatgpt.com/connector/oauth/<id>")
    add.set_defaults(handler=cmd_clients_add_redirect_uri)
    remove = actions.add_parser(
        "remove-redirect-uri",
        help="stop accepting one redirect URI of an operator client (athletes stay connected)",
    )
    remove.add_argument("client_id")
    remove.add_argument("uri")
    remove.set_defaults(handler=cmd_clients_remove_redirect_uri)


def cmd_purge(settings: Settings, _args: argparse.Namespace) -> int:
    """Delete expired codes, tokens, browser sessions and abandoned registrations now."""

    async def run() -> str:
        engine = make_async_engine(settings)
        try:
            return (await purge_once(make_sessionmaker(engine), settings)).summary()
        finally:
            await engine.dispose()

    print(asyncio.run(run()))
    return 0


def _secret_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the secret from the first line of stdin instead of generating one "
        "(at least 16 characters; kept off the command line and shell history)",
    )


def add_client_commands(sub: Any) -> None:
    """Add `clients ...` and `purge` to the `intervals-gateway` subcommands."""
    clients = sub.add_parser("clients", help="OAuth clients registered by the operator")
    actions = clients.add_subparsers(dest="clients_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="register a client (prints a generated secret once)")
    add.add_argument("--name", required=True, help="shown to athletes on the consent page")
    add.add_argument("--client-id", required=True, help="e.g. 35_openai")
    add.add_argument("--auth-method", choices=AUTH_METHODS, default="client_secret_post")
    add.add_argument(
        "--redirect-uri", action="append", required=True, help="repeat for several URIs"
    )
    add.add_argument("--scope", default=scopes.DEFAULT_CLIENT_SCOPE, help="space-separated")
    _secret_flag(add)
    add.set_defaults(handler=cmd_clients_add)

    listing = actions.add_parser("list", help="list clients with their live grant counts")
    listing.add_argument("--origin", choices=("operator", "dynamic", "cimd"))
    listing.set_defaults(handler=cmd_clients_list)

    show = actions.add_parser("show", help="show one client (never its secret)")
    show.add_argument("client_id")
    show.set_defaults(handler=cmd_clients_show)

    rotate = actions.add_parser("rotate-secret", help="replace a client's secret")
    rotate.add_argument("client_id")
    _secret_flag(rotate)
    rotate.set_defaults(handler=cmd_clients_rotate)

    remove = actions.add_parser("remove", help="delete a client, its grants and tokens")
    remove.add_argument("client_id")
    remove.set_defaults(handler=cmd_clients_remove)
    _add_redirect_uri_commands(actions)

    purge = sub.add_parser(
        "purge", help="delete expired codes, tokens, sessions, abandoned clients"
    )
    purge.set_defaults(handler=cmd_purge)
