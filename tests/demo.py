"""``python -m tests.demo`` (or ``make demo``): try the whole flow on loopback without an
Intervals.icu account or internet access. Starts the fake Intervals.icu server and the gateway
wired to it (fresh SQLite database in a temporary folder, discarded on exit), prints the demo
athletes' ids and API keys, the MCP URL and how to point MCP Inspector at it. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
from pathlib import Path
from types import FrameType

from tests.e2e.requirements import INSPECTOR, NODE
from tests.e2e.stack import Stack, fake_intervals, gateway
from tests.fake_intervals.data import DEMO_ATHLETES

READY = "Demo ready."


def banner(stack: Stack, logs: Path) -> str:
    """What a person needs to try the gateway: URLs, demo sign-ins, client commands."""
    node, inspector = os.path.relpath(NODE), os.path.relpath(INSPECTOR)
    rows = "\n".join(f"  {a.id:<9} {a.name:<22} {a.api_key}" for a in DEMO_ATHLETES)
    return f"""
Gateway        {stack.base}      (account page: {stack.base}/account)
MCP server URL {stack.mcp_url}
Fake Intervals.icu API {stack.fake_api}
Logs           {logs}

Sign in on the gateway's page with one of these demo athletes (fake keys, valid only here):
  athlete   name                   API key
{rows}

MCP Inspector (after scripts/install-e2e-deps.sh), OAuth in your browser:
  {node} {inspector} --cli {stack.mcp_url} --method tools/list
  {node} {inspector} {stack.mcp_url}        # the web UI

Claude Code: claude mcp add --transport http intervals-demo {stack.mcp_url}

{READY} Press Ctrl-C to stop both servers.""".strip("\n")


def stop_on_sigterm() -> None:
    """SIGTERM (e.g. from a process manager) stops the demo like Ctrl-C, so both servers are
    stopped too (they run in their own process groups)."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="gateway port (default 8000)")
    parser.add_argument(
        "--fake-port", type=int, default=8790, help="fake Intervals.icu port (default 8790)"
    )
    args = parser.parse_args(argv)
    stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="gateway-demo-") as folder:
        logs = Path(folder)
        try:
            with (
                fake_intervals(logs, args.fake_port) as api,
                gateway(api, logs / "gateway", args.port) as stack,
            ):
                print(banner(stack, logs), flush=True)
                stack.process.wait()
                print(f"the gateway stopped; see {logs / 'gateway' / 'gateway.log'}")
                return 1
        except KeyboardInterrupt:
            print("\nstopped", flush=True)
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
