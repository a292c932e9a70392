"""The example prompts of docs/directories.md (what the ChatGPT and Claude directory reviewers
try with the demo account): the five that work lead to tool calls that succeed for the fake demo
athlete, and the three that must be refused are refused with a clear message. The page quotes
every prompt here, word for word."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from app.mcp.tools.catalog._event import first_workout
from tests.fake_intervals.app import FakeIntervals
from tests.mcp.support import BERLIN, mcp_client, running_gateway
from tests.mcp.tools.harness import ToolBench, fake_at

NOW = datetime(2026, 7, 29, 12, tzinfo=UTC)  # the fake's today: Wednesday 2026-07-29
DIRECTORIES = Path(__file__).resolve().parents[2] / "docs" / "directories.md"
READ_WRITE = {"mcp.read", "mcp.write"}


@dataclass(frozen=True)
class Prompt:
    """A prompt, the tool call it leads to, and what the answer must show."""

    text: str
    tool: str
    arguments: dict[str, Any]
    shows: str
    """Text the answer holds (a refusal: its message)."""


WORKING = (
    Prompt("How did my training go last week?", "get_weekly_review", {}, "2026-07-20"),
    Prompt("Am I ready for a hard session today?", "get_readiness", {}, "2026-07-29"),
    Prompt(
        "How have my fitness and form changed over the last 12 weeks?", "get_fitness", {}, "CTL"
    ),
    Prompt(
        "How does my best power over the last six weeks compare with the whole year?",
        "get_curves",
        {"kind": "power", "period": "1y", "vs": "42d"},
        "W",
    ),
    Prompt(
        "Log my weight as 70.5 kg for yesterday.",
        "set_wellness",
        {"day": "2026-07-28", "weight_kg": 70.5},
        "70.5",
    ),
)
REFUSED = (
    Prompt(
        "Show me Aroha Ngata's rides from last week.",
        "get_activities",
        {"athlete": "Aroha Ngata", "start_date": "2026-07-20", "end_date": "2026-07-26"},
        "The athlete argument is for coaches: nobody shares their data with you.",
    ),
    Prompt(
        "Move my next planned workout to Sunday.",
        "move_event",
        {"date": "2026-08-02"},  # event_id: the athlete's next workout (filled in below)
        "move_event needs the mcp.write scope, which this connection lacks.",
    ),
    Prompt(
        "Delete my Intervals.icu account.",
        "delete_account",
        {},
        "Unknown tool: delete_account",
    ),
)


def with_ids(prompt: Prompt, fake: FakeIntervals) -> dict[str, Any]:
    arguments = dict(prompt.arguments)
    if prompt.tool == "move_event":
        arguments["event_id"] = first_workout(fake, BERLIN.id)
    return arguments


def test_the_page_quotes_every_prompt() -> None:
    page = DIRECTORIES.read_text()
    missing = [p.text for p in (*WORKING, *REFUSED) if f"“{p.text}”" not in page]
    assert missing == []
    assert len(WORKING) == 5 and len(REFUSED) == 3  # OpenAI asks for 5 and 3


async def test_the_working_prompts_succeed_for_the_demo_athlete() -> None:
    fake = fake_at(NOW)
    bench = ToolBench(fake, BERLIN, NOW, scopes=READ_WRITE)
    for prompt in WORKING:
        answer = await bench.call(prompt.tool, with_ids(prompt, fake))
        assert answer.is_error is False, f"{prompt.text}: {answer.text}"
        assert prompt.shows in answer.text, f"{prompt.text}: {answer.text}"


async def test_the_write_prompt_previews_then_applies_with_confirm() -> None:
    fake = fake_at(NOW)
    bench = ToolBench(fake, BERLIN, NOW, scopes=READ_WRITE)
    prompt = WORKING[-1]
    preview = await bench.call(prompt.tool, prompt.arguments)
    assert fake.athletes[BERLIN.id].wellness["2026-07-28"].get("weight") != 70.5
    assert preview.structured is not None
    applied = await bench.call(
        prompt.tool, {**prompt.arguments, "confirm": preview.structured["confirm"]}
    )
    assert applied.is_error is False, applied.text
    assert fake.athletes[BERLIN.id].wellness["2026-07-28"]["weight"] == 70.5


async def test_the_refused_prompts_are_refused_with_a_clear_message(
    tmp_path: Path, database_url: str
) -> None:
    """Over the full stack with the SDK client (2026-07-28) on a read-only grant, as a reviewer
    connects: another athlete's data and a tool that does not exist get an error result with
    the message; the write gets the step-up challenge (next test) and, should a client still
    reach the tool, its own refusal (checked on the server object here)."""
    fake = fake_at(NOW)
    other, write, out_of_scope = REFUSED
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(NOW)
        caller = await gw.seed(BERLIN, scope="mcp.read")
        async with mcp_client(gw.mcp_url, caller.token, "2026-07-28") as client:
            listed = {t.name for t in (await client.list_tools()).tools}
            answers = {
                prompt.text: await client.call_tool(prompt.tool, with_ids(prompt, fake))
                for prompt in (other, out_of_scope)
            }
    for prompt in (other, out_of_scope):
        answer = answers[prompt.text]
        assert answer.is_error, prompt.text
        text = answer.content[0].text  # type: ignore[union-attr]
        assert prompt.shows in text, f"{prompt.text}: {text}"
    assert write.tool not in listed and out_of_scope.tool not in listed
    bench = ToolBench(fake, BERLIN, NOW, scopes={"mcp.read"})
    refused = await bench.call(write.tool, with_ids(write, fake))
    assert refused.is_error and refused.text == write.shows
    assert len(fake.requests) == 0  # nothing reached Intervals.icu


async def test_over_http_a_read_grant_is_asked_to_step_up_before_a_write(
    tmp_path: Path, database_url: str
) -> None:
    """What ChatGPT and Claude see for the write prompt on a read-only connection: 403
    ``insufficient_scope`` naming the scopes to ask for (RFC 6750 §3.1), so the host can ask the
    athlete to allow changes; the tool never runs."""
    fake = fake_at(NOW)
    prompt = REFUSED[1]
    with running_gateway(tmp_path, database_url, fake=fake) as gw:
        gw.pin(NOW)
        caller = await gw.seed(BERLIN, scope="mcp.read")
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": prompt.tool, "arguments": with_ids(prompt, fake)},
        }
        headers = {
            "Authorization": f"Bearer {caller.token}",
            "Accept": "application/json, text/event-stream",
        }
        async with httpx2.AsyncClient(timeout=30) as http:
            response = await http.post(gw.mcp_url, headers=headers, json=body)
    challenge = response.headers["www-authenticate"]
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in challenge and "mcp.write" in challenge
    assert len(fake.requests) == 0
