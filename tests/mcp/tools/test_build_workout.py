"""build_workout: blocks in the compact step grammar in, Intervals.icu workout text out;
refusals name the block and step."""

from __future__ import annotations

import pytest

from tests.fake_intervals.routes import parse_workout_text
from tests.mcp.tools.harness import ToolBench


async def test_the_text_is_what_the_fake_parses_and_nothing_is_written(bench: ToolBench) -> None:
    blocks = [
        "warmup | 600s ramp 50-75 %ftp",
        "4x VO2 | 180s 115 %ftp; 180s 50 %ftp",
        "cooldown | 400mtr 90rpm",
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


async def test_every_part_of_a_step_reaches_the_text(bench: ToolBench) -> None:
    blocks = [
        "SST: 720s 88-92 %ftp 90-100rpm; 60s 250w; 300s 2 hr_zone",
        "2x | 1000mtr 270-260 s/km; 200mtr 3 pace_zone",
    ]
    result = await bench.call("build_workout", {"blocks": blocks})
    assert result.structured is not None, result.text
    assert result.structured["workout_text"] == (
        "- SST 12m 88-92% 90-100rpm\n- 1m 250w\n- 5m Z2 HR\n\n"
        "2x\n- 1km 4:30-4:20/km Pace\n- 200mtr Z3 Pace"
    )


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        (
            ["600s 60 %ftp", "3x | 60s 90-80 %ftp"],
            "block 2 step 1: write the range low value first",
        ),
        (
            ["10m 60 %ftp"],
            "block 1 step 1: not a step like '[label:] 720s [ramp] 88-92 %ftp [90rpm]'",
        ),
        (["600s 60 %ftp;"], "block 1: an empty step between ';'"),
        (["3x |"], "block 1: a block needs steps"),
        (["600s 9 power_zone"], "block 1 step 1: power_zone 9 is outside 1..7"),
        ([f"{'x' * 41}: 60s"], "block 1 step 1: the label is longer than 40 characters"),
    ],
)
async def test_an_invalid_block_or_step_is_refused_by_position(
    bench: ToolBench, blocks: list[str], message: str
) -> None:
    result = await bench.call("build_workout", {"blocks": blocks})
    assert result.is_error
    assert result.text == f"Workout refused: {message}."


async def test_watts_count_toward_the_load_only_with_an_ftp(bench: ToolBench) -> None:
    blocks = ["3600s 250w"]
    without = await bench.call("build_workout", {"blocks": blocks})
    with_ftp = await bench.call("build_workout", {"blocks": blocks, "ftp": 250})
    assert without.structured is not None and "load" not in without.structured
    assert "load unknown" in without.text
    assert with_ftp.structured is not None and with_ftp.structured["load"] == 100
