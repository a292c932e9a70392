"""build_workout: structured steps in, Intervals.icu workout text out; refusals name the step."""

from __future__ import annotations

from tests.fake_intervals.routes import parse_workout_text
from tests.mcp.tools.harness import ToolBench


def ftp_step(secs: int, value: float, to: float | None = None, **more: object) -> dict[str, object]:
    return {"secs": secs, "target": {"unit": "%ftp", "value": value, "to": to}, **more}


async def test_the_text_is_what_the_fake_parses_and_nothing_is_written(bench: ToolBench) -> None:
    blocks = [
        {"section": "warmup", "steps": [ftp_step(600, 50, 75, ramp=True)]},
        {"repeat": 4, "label": "VO2", "steps": [ftp_step(180, 115), ftp_step(180, 50)]},
        {"section": "cooldown", "steps": [{"meters": 400, "rpm": 90}]},
    ]
    result = await bench.call("build_workout", {"blocks": blocks})
    assert result.is_error is False and result.structured is not None
    answer = result.structured
    assert answer["workout_text"] == (
        "Warmup\n- 10m ramp 50-75%\n\nMain set\n\nVO2 4x\n- 3m 115%\n- 3m 50%\n\n"
        "Cooldown\n- 400mtr 90rpm"
    )
    assert answer["total_s"] == 600 + 4 * 360 and answer["total_m"] == 400
    assert answer["load_covers_s"] == 2040 and answer["load"] > 0
    assert [s["where"] for s in answer["steps"]][-1] == "block 3 step 1"
    assert "34:00 timed, 400 m by distance, load ~" in result.text
    parsed = parse_workout_text(answer["workout_text"])
    assert parsed is not None and parsed["steps"][-1]["distance"] == 400.0
    assert list(bench.fake.requests) == []


async def test_an_invalid_step_is_refused_by_position(bench: ToolBench) -> None:
    blocks = [{"steps": [ftp_step(600, 60)]}, {"repeat": 3, "steps": [ftp_step(60, 90, 80)]}]
    result = await bench.call("build_workout", {"blocks": blocks})
    assert result.is_error
    assert result.text == "Workout refused: block 2 step 1: write the range low value first."


async def test_watts_count_toward_the_load_only_with_an_ftp(bench: ToolBench) -> None:
    steps = [{"secs": 3600, "target": {"unit": "w", "value": 250}}]
    without = await bench.call("build_workout", {"blocks": [{"steps": steps}]})
    with_ftp = await bench.call("build_workout", {"blocks": [{"steps": steps}], "ftp": 250})
    assert without.structured is not None and "load" not in without.structured
    assert "load unknown" in without.text
    assert with_ftp.structured is not None and with_ftp.structured["load"] == 100
