"""The tool's own path of one ``get_activities`` call, piece by piece, in this process: from
the upstream body (as the fake Intervals.icu sends it for the tool's ``fields=``) to the
``CallToolResult`` and its response bytes (app/mcp/answer_bytes.py, the handshake era), without
the HTTP stack, the MCP SDK or the database.

    python -m bench.toolpath [--activities 10] [--detail] [--number 2000]

Each piece is timed with this process's CPU clock (``time.process_time``: what other processes
on a shared machine do changes it far less than wall time), best of five runs of ``--number``
calls, and its Python function calls are counted once with cProfile (a figure no other load
changes). ``bench.hotpath`` measures the whole gateway; this isolates the part the tools own
(app/mcp/tools, app/intervals models and decoding), for before/after comparisons of it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from pydantic_core import from_json

from app.intervals.answer_cache import entry_bytes
from app.intervals.models import Activity
from app.intervals.session import _many, _reading
from app.mcp.answer_bytes import legacy_answer_bytes, plain_answer
from app.mcp.tools.catalog._activity import (
    DETAIL_READS,
    SUMMARY_READS,
    ActivityDetail,
    ActivitySummary,
)
from app.mcp.tools.catalog._fields import upstream_fields
from app.mcp.tools.catalog.get_activities import ActivityList
from app.mcp.tools.dates import resolve_window
from app.mcp.tools.registry import answer_result
from app.mcp.tools.units import PaceUnits

TODAY = date(2026, 7, 29)
FIRST_DAY = "2026-01-01"
LAST_DAY = "2026-07-28"
AS_OF = "2026-07-29T12:00:00Z"


@dataclass(frozen=True)
class Piece:
    name: str
    run: Callable[[], object]


@dataclass(frozen=True)
class Measured:
    name: str
    cpu_us: float
    python_calls: int


def asked_fields(detail: bool) -> tuple[str, ...]:
    """The tool's ``fields=`` (session.list_activities adds ``id`` and ``start_date_local``)."""
    reads = DETAIL_READS if detail else SUMMARY_READS
    return ("id", "start_date_local", *upstream_fields(Activity, *reads))


async def upstream_body(activities: int, detail: bool) -> bytes:
    """``GET /athlete/{id}/activities`` of the first demo athlete, as the tool asks for it."""
    from tests.mcp.tools.harness import BERLIN, FAKE_BASE, fake_at

    fake = fake_at(datetime(2026, 7, 29, 12, tzinfo=UTC), TODAY)
    params: dict[str, str | int] = {
        "oldest": f"{FIRST_DAY}T00:00:00",
        "newest": f"{LAST_DAY}T23:59:59",
        "limit": activities,
        "fields": ",".join(asked_fields(detail)),
    }
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, auth=("API_KEY", BERLIN.api_key)) as http:
        response = await http.get(f"{FAKE_BASE}/athlete/{BERLIN.id}/activities", params=params)
        response.raise_for_status()
        return response.content


def pieces(body: bytes, detail: bool) -> list[Piece]:
    """The path's pieces over ``body``, in the order a call runs them, then all of them."""
    window = resolve_window(
        FIRST_DAY, LAST_DAY, today=TODAY, days_back=30, days_ahead=0, max_days=366
    )
    shape = ActivityDetail if detail else ActivitySummary
    pace = PaceUnits()
    decoded = from_json(body)
    model = _reading(Activity, asked_fields(detail))  # what the tool validates (only_fields)
    upstream = _many(model, decoded, "activities")

    def built(found: list[Activity]) -> ActivityList:
        kept = [a for a in found if window.contains(a.start_date_local)]
        activities = shape.all_from_upstream(kept, pace)
        header = ActivityList.window_fields(window, "Europe/Berlin", len(activities), True)
        return ActivityList(**header, activities=activities, scales=None)

    answer = built(upstream)
    sent = plain_answer(answer_result(answer, as_of=AS_OF))
    assert sent is not None, "a get_activities answer is a plain answer"

    def everything() -> Any:
        data = from_json(body)
        entry_bytes(0.0, body)
        answered = plain_answer(answer_result(built(_many(model, data, "activities")), as_of=AS_OF))
        assert answered is not None
        return legacy_answer_bytes(1, answered)

    return [
        Piece("decode the upstream body (pydantic-core from_json)", lambda: from_json(body)),
        Piece(
            "its answer-cache entry (entry_bytes: the body as it came)",
            lambda: entry_bytes(0.0, body),
        ),
        Piece("validate the activities (_many)", lambda: _many(model, decoded, "activities")),
        Piece("build the answer (all_from_upstream, ActivityList)", lambda: built(upstream)),
        Piece("answer text (ActivityList.text)", answer.text),
        Piece("answer as sent (answer_result: dump, text, size)", lambda: answer_result(answer)),
        Piece("response bytes (answer_bytes, 2025-11-25)", lambda: legacy_answer_bytes(1, sent)),
        Piece("all of the above", everything),
    ]


def measure(piece: Piece, number: int) -> Measured:
    """Best-of-five process CPU per run, and the Python function calls of one run."""
    piece.run()
    best = min(timeit.repeat(piece.run, number=number, repeat=5, timer=time.process_time))
    profile = cProfile.Profile()
    profile.enable()
    piece.run()
    profile.disable()
    calls = int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]
    return Measured(piece.name, best / number * 1e6, calls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.toolpath")
    parser.add_argument("--activities", type=int, default=10)
    parser.add_argument("--detail", action="store_true", help="get_activities(detail=true)")
    parser.add_argument("--number", type=int, default=2000, help="calls per timed run")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    body = asyncio.run(upstream_body(args.activities, args.detail))
    print(f"get_activities path, {args.activities} activities, {len(body)} bytes upstream")
    print("| piece | CPU µs | Python calls |\n| --- | ---: | ---: |")
    for piece in pieces(body, args.detail):
        found = measure(piece, args.number)
        print(f"| {found.name} | {found.cpu_us:.1f} | {found.python_calls} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
