"""Where a tool call's gateway CPU goes, from py-spy's folded stacks (``python -m bench.hotpath
--spy F`` writes them): the "Where the time goes" table of docs/benchmarks.md.

    python -m bench.where F [--cpu-ms-per-call X] [--busy]

Each line of ``F`` is one stack, outermost frame first, frames ``function (path:line)`` joined
by ``;``, then the number of samples. A stack is put down to the piece of the innermost frame
that some piece recognises (walking from the leaf outwards: a database query made by our tool
is the database's time, the tool's own code is the tool's, and the SDK's frames around it are
the SDK's); where one frame fits several pieces, the first piece listed in :data:`PIECES` wins.
The shares are of all sampled stacks; with ``--cpu-ms-per-call`` (hotpath's
``gateway_cpu_ms_per_call``) each share is also given as milliseconds per call.

``--busy`` leaves out the stacks whose innermost frame is the event loop's own (with uvloop,
``Runner.run``: py-spy ``--nonblocking`` counts the loop's wait in ``epoll`` as active there,
so at one client most such samples are idle time, not CPU); use it when multiplying by the
CPU per call.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Piece:
    """A part of the gateway, recognised by the source paths of its frames (a path that starts
    with one of ``paths``; directories end in ``/``)."""

    name: str
    paths: tuple[str, ...]

    def owns(self, path: str) -> bool:
        return path.startswith(self.paths)


UPSTREAM = Piece(
    "upstream request and parse",
    (
        "app/intervals/transport.py",
        "app/intervals/client.py",
        "app/intervals/session.py",
        "aiohttp/",
        "httpx/",
        "httpcore/",
    ),
)
MCP_SDK = Piece("MCP SDK", ("mcp/", "mcp_types/"))
TOOL = Piece("our tool and registry", ("app/mcp/tools/", "app/mcp/caller.py", "app/mcp/server.py"))
DATABASE = Piece(
    "access log / database", ("sqlalchemy/", "aiosqlite/", "asyncpg/", "psycopg/", "app/db/")
)
EDGE = Piece(
    "edge (uvicorn, starlette, middlewares, bearer guard)",
    (
        "uvicorn/",
        "starlette/",
        "fastapi/",
        "app/web/",
        "app/mcp/auth.py",
        "app/oauth/cors.py",
        "app/mcp/era.py",
    ),
)
EVENT_LOOP = Piece(
    "event loop and native I/O",
    (
        "asyncio/runners.py",
        "asyncio/base_events.py",
        "asyncio/events.py",
        "selectors.py",
        "uvloop/",
    ),
)
OTHER = "other"
PIECES = (UPSTREAM, MCP_SDK, TOOL, DATABASE, EDGE, EVENT_LOOP)
"""In the order of the table; the first that recognises a frame has it."""

_FRAME_PATH = re.compile(r"\(([^()]*?)(?::\d+)?\)$")


def frame_path(frame: str) -> str:
    """The source path of ``function (path:line)`` as py-spy shortens it (relative to its
    ``sys.path`` entry: ``mcp/server/runner.py``, ``app/cli.py``); "" when it names none."""
    match = _FRAME_PATH.search(frame)
    return match.group(1).rpartition("site-packages/")[2] if match else ""


def piece_of(frames: Sequence[str]) -> str:
    """The piece a stack (outermost frame first) is put down to: that of its innermost
    recognised frame, or :data:`OTHER`."""
    for frame in reversed(frames):
        path = frame_path(frame)
        for piece in PIECES:
            if piece.owns(path):
                return piece.name
    return OTHER


def idle(frames: Sequence[str]) -> bool:
    """The stack ends in the event loop's own frames (waiting for I/O, as far as py-spy sees)."""
    return EVENT_LOOP.owns(frame_path(frames[-1]))


def shares(lines: Iterable[str], busy: bool = False) -> dict[str, float]:
    """Each piece's share of the samples in folded-stack ``lines``, in percent, every piece of
    the table present (0 when never sampled); ``busy``: of the stacks not :func:`idle`."""
    samples: Counter[str] = Counter()
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        if stack and count.isdigit() and not (busy and idle(frames)):
            samples[piece_of(frames)] += int(count)
    total = sum(samples.values()) or 1
    names = [piece.name for piece in PIECES] + [OTHER]
    return {name: 100 * samples[name] / total for name in names}


def table(by_piece: dict[str, float], cpu_ms_per_call: float | None = None) -> str:
    """The markdown table: piece, share, and ms per call when the CPU per call is given."""
    header = "| piece | share |" + (" ms per call |" if cpu_ms_per_call else "")
    rule = "| --- | ---: |" + (" ---: |" if cpu_ms_per_call else "")
    rows = [header, rule]
    for name, share in by_piece.items():
        row = f"| {name} | {share:.1f}% |"
        if cpu_ms_per_call:
            row += f" {share * cpu_ms_per_call / 100:.2f} |"
        rows.append(row)
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.where")
    parser.add_argument("folded", type=Path, help="py-spy folded stacks (hotpath --spy)")
    parser.add_argument("--cpu-ms-per-call", type=float, default=None)
    parser.add_argument("--busy", action="store_true", help="leave out idle event-loop stacks")
    args = parser.parse_args(argv)
    with args.folded.open(encoding="utf-8") as lines:
        print(table(shares(lines, args.busy), args.cpu_ms_per_call))
    return 0


if __name__ == "__main__":
    sys.exit(main())
