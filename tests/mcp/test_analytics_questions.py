"""The training-load and planning questions of issue 16, each answered by ONE tool call over
/mcp (SDK client, running gateway, real database, fake Intervals.icu), with the upstream
requests each answer needed counted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import BERLIN, mcp_client, running_gateway

TODAY = date(2026, 7, 29)


async def test_load_taper_and_goal_questions_in_one_call_each(
    tmp_path: Path, database_url: str
) -> None:
    moment = datetime(2026, 7, 29, 10, tzinfo=UTC)
    fake = FakeIntervals(today=TODAY, now=lambda: moment)
    questions = {
        "Am I ramping up too fast?": ("get_load_metrics", {}),
        "What should the next three weeks look like to arrive at my race fresh?": (
            "project_fitness",
            {"target_form": 5},
        ),
        "Is my plan realistic for FTP 300 in three months?": (
            "check_goal",
            {"ftp_w": 300, "by_date": "2026-10-29"},
        ),
    }
    answers, counts = {}, {}
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(moment)
        caller = await gw.seed(BERLIN)
        async with mcp_client(gw.mcp_url, caller.token) as client:
            for question, (name, arguments) in questions.items():
                before = len(fake.requests)
                answers[question] = await client.call_tool(name, arguments)
                counts[name] = len(fake.requests) - before
    assert counts == {"get_load_metrics": 1, "project_fitness": 2, "check_goal": 2}
    for question, result in answers.items():
        assert result.is_error is False, question
        assert result.structured_content is not None, question
    load = answers["Am I ramping up too fast?"]
    assert "ramp" in load.content[0].text and "Gabbett 2016" in load.content[0].text  # type: ignore[union-attr]
    taper = answers["What should the next three weeks look like to arrive at my race fresh?"]
    plan = taper.structured_content or {}
    assert (
        plan["target_name"] == "Spring classic"
        and abs(plan["taper"]["race_day"]["form_tsb"] - 5) <= 1.05
    )
    goal = answers["Is my plan realistic for FTP 300 in three months?"]
    verdict = (goal.structured_content or {})["verdict"]
    assert verdict in {"reached", "on track", "behind"}
    assert goal.content[0].text.startswith("goal FTP 300 W by 2026-10-29")  # type: ignore[union-attr]
