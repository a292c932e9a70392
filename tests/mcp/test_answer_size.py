"""The size guard: an answer bigger than the configured budget (Claude Code refuses tool results
over 25k tokens) is cut by the platform, in one place for every tool, and says so: what was
kept, and how to get the rest. structuredContent and text are cut alike and still agree, and
the cut answer still matches the published outputSchema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from app.mcp.server import build_server
from app.mcp.tools.kit import Answer, AthleteContext, tool
from app.mcp.tools.limits import (
    AnswerLimits,
    EncodedStructure,
    compact_json,
    compact_size,
    fit,
)
from app.mcp.tools.registry import answer_result
from app.mcp.tools.spec import spec_of
from app.settings import Settings
from tests.conftest import make_settings
from tests.mcp.tools.harness import BERLIN, ToolBench, fake_at

NOW = datetime(2026, 7, 29, 10, tzinfo=UTC)


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


class Sample(Answer):
    second: int
    power_w: int

    def line(self) -> str:
        return f"{self.second} s: {self.power_w} W"


class Samples(Answer):
    count: int
    samples: list[Sample]

    def text(self) -> str:
        return "\n".join([f"{self.count} samples", *(s.line() for s in self.samples)])


@tool(
    title="Samples",
    toolset="analytics",
    example={"points": 3},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because="Test only: computes samples from its argument.",
    register=False,
)
async def get_test_samples(ctx: AthleteContext, points: int) -> Samples:
    """Test only: a stream of power samples, as long as asked, to check the size guard."""
    samples = [Sample(second=s, power_w=200 + s % 50) for s in range(points)]
    return Samples(count=points, samples=samples)


SPECS = (spec_of(get_test_samples),)


async def test_a_large_answer_is_cut_to_the_budget_and_says_how_to_get_the_rest() -> None:
    bench = ToolBench(fake_at(NOW), BERLIN, NOW, specs=SPECS)
    result = await bench.call("get_test_samples", {"points": 20_000})
    assert result.is_error is False
    limits = AnswerLimits()
    assert len(result.text) <= limits.text_chars
    assert result.structured is not None
    assert compact(result.structured) <= limits.structured_chars
    kept = len(result.structured["samples"])
    assert 1_000 < kept < 20_000
    note = result.structured["truncated"]
    assert f"samples: {kept} of 20000 kept" in note
    assert "narrower window" in note and "fewer points" in note and "detail" in note
    lines = result.text.splitlines()
    assert lines[0] == note, "the cut is said first"
    assert lines[1] == "20000 samples"
    assert len(lines) == 2 + kept, "text and structuredContent keep the same samples"
    assert lines[-1] == Sample(**result.structured["samples"][-1]).line()
    schema = {t["name"]: t for t in await bench.listed()}["get_test_samples"]["outputSchema"]
    jsonschema.validate(result.structured, schema)
    assert schema["properties"]["truncated"] == {"type": "string"}


async def test_an_answer_within_the_budget_is_untouched() -> None:
    bench = ToolBench(fake_at(NOW), BERLIN, NOW, specs=SPECS)
    result = await bench.call("get_test_samples", {"points": 1_000})
    assert result.structured is not None and "truncated" not in result.structured
    assert len(result.structured["samples"]) == 1_000
    assert result.text.splitlines()[0] == "1000 samples"


async def test_a_real_tool_over_a_small_budget_keeps_the_newest_and_says_so() -> None:
    """get_activities with every field for a year, against a budget of a few thousand."""
    bench = ToolBench(fake_at(NOW), BERLIN, NOW)
    server = build_server(bench, limits=AnswerLimits(text_chars=2_500, structured_chars=4_000))
    arguments = {"start_date": "2025-08-01", "end_date": "2026-07-28", "limit": 100, "detail": True}
    full = await bench.call("get_activities", arguments)
    cut = await server.call_tool("get_activities", arguments)
    assert full.structured is not None and cut.structured_content is not None
    text = cut.content[0].text  # type: ignore[union-attr]
    assert len(text) <= 2_500 and compact(cut.structured_content) <= 4_000
    total = len(full.structured["activities"])
    kept = cut.structured_content["activities"]
    assert 0 < len(kept) < total
    assert kept == full.structured["activities"][: len(kept)], "the newest ones, unchanged"
    assert f"activities: {len(kept)} of {total} kept" in text.splitlines()[0]
    assert cut.structured_content["count"] == full.structured["count"]


async def test_an_answer_that_cannot_be_cut_small_enough_is_a_clear_error() -> None:
    bench = ToolBench(fake_at(NOW), BERLIN, NOW)
    server = build_server(bench, limits=AnswerLimits(text_chars=10, structured_chars=10))
    result = await server.call_tool("get_athlete_profile", {})
    assert result.is_error
    message = result.content[0].text  # type: ignore[union-attr]
    assert message.startswith("The answer is too large")
    assert "narrower window" in message


def test_the_budget_comes_from_the_settings(tmp_path: Any) -> None:
    settings: Settings = make_settings(
        tmp_path, answer_max_text_chars=30_000, answer_max_structured_chars=50_000
    )
    assert AnswerLimits.from_settings(settings) == AnswerLimits(30_000, 50_000)
    assert AnswerLimits() == AnswerLimits.from_settings(make_settings(tmp_path))


def test_the_structured_size_counts_characters_as_a_client_receives_them() -> None:
    """Non-ASCII text counts one per character (the JSON keeps it unescaped), ASCII alike."""
    assert compact_size({"name": "Zürich 🏃"}) == len('{"name":"Zürich 🏃"}') == 19
    assert compact_size({"km": [1.5, 2], "note": None}) == len('{"km":[1.5,2],"note":null}')


def samples(points: int) -> Samples:
    return Samples(count=points, samples=[Sample(second=s, power_w=200 + s) for s in range(points)])


def test_an_answer_exactly_at_the_budget_is_sent_whole_and_one_character_over_is_cut() -> None:
    answer = samples(300)
    size = compact_size(answer.model_dump(mode="json", exclude_none=True))
    text = len(answer.text())
    whole = fit(answer, AnswerLimits(text_chars=text, structured_chars=size))
    assert whole.structured == answer.model_dump(mode="json", exclude_none=True)
    assert whole.text == answer.text()
    for limits in (AnswerLimits(text, size - 1), AnswerLimits(text - 1, size)):
        cut = fit(answer, limits)
        assert "truncated" in cut.structured and len(cut.structured["samples"]) < 300
        assert len(cut.text) <= limits.text_chars
        assert compact_size(cut.structured) <= limits.structured_chars


@pytest.mark.parametrize("as_of", [None, "2026-07-29T10:00:00Z"])
@pytest.mark.parametrize("limits", [AnswerLimits(), AnswerLimits(2_000, 3_000)])
def test_the_structured_content_sent_is_the_encoding_the_guard_measured(
    as_of: str | None, limits: AnswerLimits
) -> None:
    """One encoding of the structured content for the size check and the wire (issue 20):
    the bytes carried are exactly the compact JSON of the structured content, ``as_of`` and a
    cut's ``truncated`` note included."""
    result = answer_result(samples(400), limits, as_of=as_of)
    structured = result.structured_content
    assert isinstance(structured, EncodedStructure)
    assert structured.encoded == compact_json(dict(structured))
    assert ("truncated" in structured) is (limits.structured_chars < 10_000)
    assert structured.get("as_of") == as_of
