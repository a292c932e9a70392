"""Issue 16's questions, each answered by one analytics tool call over real HTTP (SDK client,
running gateway, database, credential vault) against the fake Intervals.icu server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import BERLIN, mcp_client, running_gateway

TODAY = date(2026, 7, 29)


async def test_each_question_is_one_tool_call(tmp_path: Path, database_url: str) -> None:
    moment = datetime(2026, 7, 29, 7, tzinfo=UTC)  # 09:00 in Berlin
    fake = FakeIntervals(today=TODAY, now=lambda: moment)
    activities = fake.athletes[BERLIN.id].activities.values()
    ride = max(
        (a for a in activities if a.get("type") == "VirtualRide" and a.get("paired_event_id")),
        key=lambda a: a["start_date_local"],
    )
    long_run = max(
        (a for a in activities if a.get("name") == "Long run"),
        key=lambda a: a["start_date_local"],
    )
    questions = {
        "How was my week?": ("get_weekly_review", {}),
        "Should I train hard today?": ("get_readiness", {}),
        "How did today's session go, did I fade?": (
            "analyze_session",
            {"activity_id": ride["id"]},
        ),
        "Are my easy days easy enough?": ("get_intensity_distribution", {}),
        "How did this long run compare with the one two weeks ago?": (
            "compare_sessions",
            {"activity_id": long_run["id"]},
        ),
    }
    answers = {}
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(moment)
        caller = await gw.seed(BERLIN)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            for question, (name, arguments) in questions.items():
                result = await client.call_tool(name, arguments)
                assert not result.is_error, (question, result.content)
                answers[question] = (result.content[0].text, result.structured_content)  # type: ignore[union-attr]
    text, review = answers["How was my week?"]
    assert text.startswith("week 2026-07-20..2026-07-26 (Europe/Berlin)") and review
    text, readiness = answers["Should I train hard today?"]
    assert readiness and readiness["level"] in ("green", "amber", "red")
    assert text.startswith("readiness 2026-07-29 (Europe/Berlin): ")
    text, session = answers["How did today's session go, did I fade?"]
    assert session and session["fade"]["reps"] == 3 and "targets hit" in text
    text, intensity = answers["Are my easy days easy enough?"]
    assert intensity and "easy_enough" in intensity["overall"]
    text, comparison = answers["How did this long run compare with the one two weeks ago?"]
    assert comparison and comparison["earlier"][0]["matched_by"] == "workout"
