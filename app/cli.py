"""The `intervals-gateway` command: serve, db upgrade, check-config (more added per concern).

Every command reads settings the same way as the server; a wrong setting exits with status 2
and a one-line message naming the setting.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from app import __version__
from app.accounts.cli import add_account_commands
from app.mcp.cli import add_stdio_command
from app.oauth.cli import add_client_commands
from app.settings import (
    EncryptionKey,
    Settings,
    SettingsError,
    configure_logging,
    load_settings,
)

EXIT_CONFIG = 2
log = logging.getLogger("app.cli")

Handler = Callable[[Settings, argparse.Namespace], int]
T = TypeVar("T")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run the HTTP service (applies migrations first unless GATEWAY_AUTO_MIGRATE=false)."""
    import uvicorn

    from app.asgi import SCHEMA_HEAD_ENV
    from app.intervals.answer_cache import answer_cache_worker_env
    from app.main import create_app
    from app.web.coalesce import CoalescingHttpToolsProtocol

    settings, schema_head = prepare_to_serve(settings, args)
    host, port = args.host or settings.host, settings.port
    # With several workers each process builds its own app from the same environment.
    target: Any = (
        "app.asgi:app_from_environment"
        if args.workers > 1
        else create_app(settings, schema_head=schema_head, freeze_startup_objects=True)
    )
    os.environ.update(worker_budget_env(settings, args.workers))
    os.environ.update(worker_metrics_env(settings, args.workers))
    os.environ.update(answer_cache_worker_env(settings, args.workers))
    if args.workers > 1 and schema_head is not None:
        os.environ[SCHEMA_HEAD_ENV] = schema_head  # the workers need not read it again
    uvicorn.run(
        target,
        factory=args.workers > 1,
        workers=args.workers if args.workers > 1 else None,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        server_header=False,
        http=CoalescingHttpToolsProtocol,
        timeout_keep_alive=settings.keep_alive_seconds,
        **proxy_options(settings),
        **log_options(settings),
    )
    return 0


def log_options(settings: Settings) -> dict[str, Any]:
    """With GATEWAY_LOG_FORMAT=json uvicorn's own loggers (server, access) keep no handlers of
    their own and reach the root handler, so every line is JSON with its request id. Either
    way the access lines are formatted and written by a thread, off the event loop
    (app/logqueue.py)."""
    from uvicorn.config import LOGGING_CONFIG

    from app.logqueue import json_log_config, text_log_config

    if settings.log_format == "json":
        return {"log_config": json_log_config()}
    return {"log_config": text_log_config(LOGGING_CONFIG)}


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy-header handling: X-Forwarded-For and -Proto are honoured only from the
    trusted proxies (``GATEWAY_TRUSTED_PROXIES``); with none, the TCP peer is the client and
    the headers are ignored (uvicorn's own ``$FORWARDED_ALLOW_IPS`` default is not used)."""
    trusted = settings.trusted_proxy_list
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def prepare_to_serve(settings: Settings, args: argparse.Namespace) -> tuple[Settings, str | None]:
    """Everything `serve` checks or prepares before it binds; returns the settings to serve and
    the schema head ``/readyz`` expects.

    The port from ``--port``; a loopback base URL on that port; the key ring (generating the
    development key if needed); migrations unless GATEWAY_AUTO_MIGRATE=false; a key ring that
    opens the stored credentials. Prints the start line. Raises SettingsError (one line).
    """
    from app.db.migrations import schema_step
    from app.keyring import resolve_key_ring

    settings = settings_for_port(settings, args.port)
    refuse_loopback_port_mismatch(settings, settings.port)
    keys = resolve_key_ring(settings)
    schema_head = in_child_process(schema_step, settings, settings.auto_migrate)
    refuse_unusable_key_ring(settings, keys)
    print(start_line(settings.base_url, args.host or settings.host, settings.port), flush=True)
    return settings, schema_head


def in_child_process(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` run in a child process; its result returned, its exception raised.

    ``serve`` migrates this way so Alembic, Mako and the migration scripts (about 10 MB) are
    never loaded into the long-lived server process (docs/benchmarks.md, idle RSS). Forked
    where the platform can (no re-import), else spawned."""
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def settings_for_port(settings: Settings, port: int | None) -> Settings:
    """``serve --port N`` acts as GATEWAY_PORT=N (also for worker processes, which read the
    environment), so an unset base URL follows it too."""
    if port is None or port == settings.port:
        return settings
    os.environ["GATEWAY_PORT"] = str(port)
    return load_settings()


def refuse_loopback_port_mismatch(settings: Settings, port: int) -> None:
    """A loopback base URL must name the port served: otherwise the OAuth metadata and every
    challenge advertise a port nobody listens on (club-admin trial §1). A public base URL is
    a reverse proxy's address and may use any port."""
    parts = urlsplit(settings.base_url)
    if not settings.is_local:
        return
    advertised = parts.port or (443 if parts.scheme == "https" else 80)
    if advertised != port:
        raise SettingsError(
            f"GATEWAY_BASE_URL: {settings.base_url} is on port {advertised} but the server "
            f"listens on port {port}; use the same port in both, or leave GATEWAY_BASE_URL "
            "unset (it then follows GATEWAY_PORT)"
        )


def start_line(base_url: str, host: str, port: int) -> str:
    """The start message: the public URL, and the bind address only where it differs."""
    bound = f"http://{host}:{port}"
    if bound == base_url:
        return f"intervals-gateway: serving {base_url}"
    return f"intervals-gateway: serving {base_url} (listening on {bound})"


def refuse_unusable_key_ring(settings: Settings, keys: Sequence[EncryptionKey]) -> None:
    """Refuse to serve with a key ring that cannot open the stored credentials (review M3):
    every key id in ``credentials`` must be in the ring and decrypt a sample credential."""
    from sqlalchemy.exc import SQLAlchemyError

    from app.db.engine import make_sync_engine
    from app.vault.check import check_stored_credentials
    from app.vault.crypto import Vault

    engine = make_sync_engine(settings)
    try:
        with engine.connect() as connection:
            problems = check_stored_credentials(connection, Vault(keys))
    except SQLAlchemyError as error:  # database down: serve anyway, /readyz says why
        log.warning(
            "key ring not checked at start (database unavailable: %s)", type(error).__name__
        )
        return
    finally:
        engine.dispose()
    if problems:
        raise SettingsError(
            "GATEWAY_ENCRYPTION_KEYS: " + "; ".join(problems) + " (see docs/operations.md, "
            "key rotation)"
        )


def worker_budget_env(settings: Settings, workers: int) -> dict[str, str]:
    """Settings overrides that split the Intervals.icu budget between worker processes.

    Intervals.icu limits requests per client IP, and every worker has its own token bucket, so
    N workers each get 1/N of the configured rate and burst (the whole process group then stays
    within it). Instances on other machines behind one egress IP must divide it themselves.
    """
    if workers <= 1:
        return {}
    return {
        "GATEWAY_UPSTREAM_RATE_PER_SECOND": repr(settings.upstream_rate_per_second / workers),
        "GATEWAY_UPSTREAM_BURST": str(max(1, settings.upstream_burst // workers)),
    }


def worker_metrics_env(settings: Settings, workers: int) -> dict[str, str]:
    """With several workers, prometheus-client's multiprocess mode: each worker writes its
    counters to files in ``<data dir>/metrics`` (emptied here, before the workers start) and
    ``/metrics`` sums them, so one scrape counts the requests of every worker. An operator's
    own ``PROMETHEUS_MULTIPROC_DIR`` is used as given (and not emptied)."""
    if workers <= 1 or os.environ.get(MULTIPROCESS_ENV):
        return {}
    directory = settings.data_dir / "metrics"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return {MULTIPROCESS_ENV: str(directory)}


MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def cmd_db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    """Apply all pending database migrations."""
    from app.db.migrations import head_revision, upgrade_to_head

    upgrade_to_head(settings)
    print(f"database at revision {head_revision(settings)}")
    return 0


def cmd_db_current(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the database's schema revision (``none`` before the first ``db upgrade``)."""
    from app.db.migrations import stored_revision

    print(stored_revision(settings) or "none")
    return 0


def cmd_db_status(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the current and head revisions and any pending migration; exit 1 if behind."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    from app.db.migrations import head_revision, pending_revisions, stored_revision

    current, head = stored_revision(settings), head_revision(settings)
    print(f"database revision: {current or 'none'}; this version needs: {head}")
    if current == head:
        print("up to date")
        return 0
    try:
        pending = pending_revisions(settings, current)
    except (CommandError, RevisionError):
        print("this version does not know the database's revision (migrated by a newer release?)")
        return 1
    for step in pending:
        print(f"  pending {step}")
    print("run `intervals-gateway db upgrade` to apply them")
    return 1


# Commands that do not use the gateway's tables (serve checks the schema itself).
SCHEMA_FREE_COMMANDS = frozenset({"serve", "db", "check-config", "stdio"})


class DatabaseNotReady(Exception):
    """The database has no (or an older) schema and migrations are not applied automatically."""


def prepare_database(settings: Settings, args: argparse.Namespace) -> None:
    """Before an operator command: bring a fresh or older database to the schema head when
    GATEWAY_AUTO_MIGRATE is on, else refuse with a message naming `db upgrade` (club-admin
    trial §4: no traceback, no empty database file left behind)."""
    if args.command in SCHEMA_FREE_COMMANDS or getattr(args, "schema_free", False):
        return
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from app.db.migrations import head_revision, stored_revision, upgrade_to_head

    try:
        current, head = stored_revision(settings), head_revision(settings)
        if current == head:
            return
        if settings.auto_migrate:
            upgrade_to_head(settings)
            return
    except SQLAlchemyError as error:
        detail = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
        raise DatabaseNotReady(f"cannot use the database: {detail[:200]}") from None
    except CommandError:  # a revision this version does not know (a newer release migrated)
        raise DatabaseNotReady(
            f"the database schema is at {current}, which this version does not know (it "
            f"needs {head}); run the release that migrated it, or restore a backup"
        ) from None
    raise DatabaseNotReady(
        f"the database schema is at {current or 'none'}, this version needs {head}; run "
        "`intervals-gateway db upgrade` first (GATEWAY_AUTO_MIGRATE is off)"
    )


def cmd_check_config(settings: Settings, _args: argparse.Namespace) -> int:
    """Print the effective settings (secrets shown only as set / not set)."""
    for line in describe_settings(settings):
        print(line)
    print("configuration OK")
    return 0


def describe_settings(settings: Settings) -> list[str]:
    """One line per setting, never showing secret values."""
    lines = []
    secret_fields = {"encryption_keys"}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if name in secret_fields:
            shown = "(set)" if value else "(not set: development key under data_dir is used)"
        elif name in ("intervals_oauth_client_secret", "intervals_webhook_secret"):
            shown = "(set)" if value else "(not set)"
        elif name == "database_url" and not value:
            shown = f"(embedded SQLite: {settings.sqlalchemy_url.database})"
        elif name == "database_url":
            shown = settings.sqlalchemy_url.render_as_string(hide_password=True)
        elif name == "redis_url" and value:
            shown = _without_password(value)
        else:
            shown = str(value)
        lines.append(f"GATEWAY_{name.upper()}={shown}")
    return lines


def _without_password(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intervals-gateway", description="Multi-user MCP gateway to Intervals.icu."
    )
    parser.add_argument("--version", action="version", version=f"intervals-gateway {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="bind address (default GATEWAY_HOST)")
    serve.add_argument("--port", type=int, help="bind port (default GATEWAY_PORT)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(handler=cmd_serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)
    db_sub.add_parser("current", help="print the database's schema revision").set_defaults(
        handler=cmd_db_current
    )
    db_sub.add_parser(
        "status", help="current and pending migrations (exit 1 if behind)"
    ).set_defaults(handler=cmd_db_status)

    check = sub.add_parser("check-config", help="validate settings and print them without secrets")
    check.set_defaults(handler=cmd_check_config)
    add_account_commands(sub)
    add_client_commands(sub)
    add_stdio_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"intervals-gateway: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings)
    handler: Handler = args.handler
    try:
        prepare_database(settings, args)
        return handler(settings, args)
    except SettingsError as error:
        print(f"intervals-gateway: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseNotReady as error:
        print(f"intervals-gateway: {error}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
