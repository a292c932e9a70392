"""Structured workouts: the text Intervals.icu reads, duration, load and refusals."""

from __future__ import annotations

import random

import pytest

from app.training.workouts import Block, Step, Target, WorkoutError, build, clock, distance_text
from tests.fake_intervals.routes import parse_workout_text


def step(**fields: object) -> Step:
    return Step.model_validate(fields)


def main(*steps: Step, repeat: int = 1) -> Block:
    return Block(steps=list(steps), repeat=repeat)


def only(*steps: Step) -> list[Block]:
    return [main(*steps)]


def pct(value: float, to: float | None = None, unit: str = "%ftp") -> dict[str, object]:
    return {"unit": unit, "value": value, "to": to}


SWEET_SPOT = [
    Block(section="warmup", steps=[step(label="Warm up", secs=600, target=pct(50, 75), ramp=True)]),
    main(
        step(label="SST", secs=720, target=pct(88, 92), rpm=90),
        step(label="Easy", secs=300, target=pct(55)),
        repeat=3,
    ),
    Block(section="cooldown", steps=[step(secs=600, target=pct(50))]),
]


def test_sweet_spot_text_is_what_intervals_reads() -> None:
    built = build(SWEET_SPOT)
    assert built.text == (
        "Warmup\n- Warm up 10m ramp 50-75%\n\nMain set\n\n3x\n- SST 12m 88-92% 90rpm\n"
        "- Easy 5m 55%\n\nCooldown\n- 10m 50%"
    )
    assert built.total_secs == 600 + 3 * 1020 + 600
    assert [s.where for s in built.steps] == [
        "block 1 step 1",
        "block 2 step 1",
        "block 2 step 2",
        "block 3 step 1",
    ]


def test_text_round_trips_through_the_fake_parser() -> None:
    built = build(only(step(secs=90, target=pct(200, unit="w")), step(meters=400, target=pct(105))))
    doc = parse_workout_text(built.text)
    assert doc is not None
    first, second = doc["steps"]
    assert first["duration"] == 90 and first["power"] == {"value": 200, "units": "w"}
    assert second["distance"] == 400.0 and "duration" not in second
    repeated = build([SWEET_SPOT[1]])
    parsed = parse_workout_text(repeated.text)
    assert parsed is not None and parsed["duration"] == repeated.total_secs == 3060
    assert parsed["steps"][0]["reps"] == 3


def test_minutes_and_metres_are_never_confused() -> None:
    assert clock(60) == "1m" and clock(3690) == "1h1m30s" and clock(45) == "45s"
    assert distance_text(400) == "400mtr" and distance_text(5000) == "5km"
    assert distance_text(1500) == "1500mtr" and distance_text(12.5) == "12.5mtr"


def test_every_target_kind_renders() -> None:
    lines = build(
        only(
            step(secs=60, target=pct(250, 280, "w")),
            step(secs=60, target=pct(2, unit="power_zone")),
            step(secs=60, target=pct(95, unit="%lthr")),
            step(secs=60, target=pct(75, unit="%hrmax")),
            step(secs=60, target=pct(3, unit="hr_zone")),
            step(meters=1000, target=pct(90, unit="%pace")),
            step(meters=1000, target=pct(2, unit="pace_zone")),
            step(meters=1000, target=pct(285, 270, "s/km")),
            step(meters=100, target=pct(95, unit="s/100m")),
            step(secs=60, target=pct(100, 200, "w"), ramp=True, rpm=85, rpm_to=95),
        )
    ).text.splitlines()
    assert lines == [
        "- 1m 250-280w",
        "- 1m Z2",
        "- 1m 95% LTHR",
        "- 1m 75% HR",
        "- 1m Z3 HR",
        "- 1km 90% Pace",
        "- 1km Z2 Pace",
        "- 1km 4:45-4:30/km Pace",
        "- 100mtr 1:35/100m Pace",
        "- 1m ramp 100-200w 85-95rpm",
    ]


def test_load_is_hours_times_if_squared() -> None:
    # One hour at 100 % FTP is 100 by definition; half an hour at 80 % is 0.5 * 0.64 * 100 = 32.
    assert build(only(step(secs=3600, target=pct(100)))).load == 100
    half = build(only(step(secs=1800, target=pct(80))))
    assert half.load == 32 and half.intensity_factor == 0.8
    # 250 W at FTP 250 counts as 100 %; without the FTP its intensity is unknown.
    assert build(only(step(secs=3600, target=pct(250, unit="w"))), ftp=250).load == 100
    unknown = build(only(step(secs=3600, target=pct(250, unit="w"))))
    assert unknown.load is None and unknown.estimated_secs == 0


def test_load_uses_the_fourth_power_mean() -> None:
    # 30 min at 100 % + 30 min at 50 %: IF = ((1 + 0.0625) / 2) ** 0.25 = 0.8537; load = 72.9.
    built = build(only(step(secs=1800, target=pct(100)), step(secs=1800, target=pct(50))))
    assert built.intensity_factor == 0.854 and built.load == 73
    # A ramp 0 -> 100 % over an hour: mean x^4 = 1/5, IF = 0.2 ** 0.25 = 0.669, load 44.7.
    ramp = build(only(step(secs=3600, target=pct(1, 100), ramp=True)))
    assert ramp.load == 45
    # A range counts at its middle: 88-92 % for an hour is 90 % -> 81.
    assert build(only(step(secs=3600, target=pct(88, 92)))).load == 81


def test_repeats_count_in_duration_and_load() -> None:
    built = build([main(step(secs=900, target=pct(100)), repeat=4)])
    assert built.total_secs == 3600 and built.load == 100


def test_distance_steps_are_left_out_of_the_load() -> None:
    built = build(only(step(secs=1800, target=pct(100)), step(meters=5000, target=pct(90))))
    assert built.total_meters == 5000 and built.estimated_secs == 1800 and built.load == 50


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([step(target=pct(90))], "block 1 step 1: give exactly one of secs or meters"),
        ([step(secs=60, meters=100)], "block 1 step 1: give exactly one of secs or meters"),
        ([step(secs=60, target=pct(400))], "block 1 step 1: %ftp 400 is outside 1..300"),
        ([step(secs=60, target=pct(90, 80))], "block 1 step 1: write the range low value first"),
        (
            [step(secs=60, target=pct(270, 285, "s/km"))],
            "block 1 step 1: write the range slower pace first",
        ),
        ([step(secs=60, target=pct(50), ramp=True)], "block 1 step 1: a ramp needs target.to"),
        ([step(secs=60, target=pct(2, 3, "power_zone"))], "block 1 step 1: a zone target takes"),
        ([step(secs=60, target=pct(8, unit="hr_zone"))], "block 1 step 1: hr_zone 8 is outside"),
        ([step(secs=60, rpm=250)], "block 1 step 1: cadence 250 rpm is outside 20..200"),
        ([step(secs=60, label="10m easy")], "block 1 step 1: the label '10m easy' would be read"),
        ([step(secs=60), step(meters=0)], "block 1 step 2: meters must be 1..300000"),
        ([step(secs=13 * 3600)], "block 1 step 1: secs must be 1..43200"),
        ([step(secs=60, ramp=True)], "block 1 step 1: a ramp needs a target"),
    ],
)
def test_invalid_steps_are_named_exactly(steps: list[Step], message: str) -> None:
    with pytest.raises(WorkoutError) as refused:
        build([main(*steps)])
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([], "blocks: a workout needs at least one main block"),
        ([Block(section="warmup", steps=[step(secs=60)])], "blocks: a workout needs at least"),
        ([main(step(secs=60)), main(step(secs=60), repeat=51)], "block 2: repeat must be 1..50"),
        ([main(step(secs=60)), main()], "block 2: a block needs steps"),
        (
            [main(step(secs=60)), main(step(secs=60), step(meters=1e6))],
            "block 2 step 2: meters must be 1..300000",
        ),
        (
            [main(step(secs=60)), Block(section="warmup", steps=[step(secs=60)])],
            "block 2: a warmup block after main",
        ),
        ([main(step(secs=60), step(secs=60), step(secs=60), repeat=34)], "blocks: more than 100"),
        ([main(step(secs=43200)), main(step(secs=60))], "blocks: the timed steps add up"),
    ],
)
def test_invalid_blocks_are_named_exactly(blocks: list[Block], message: str) -> None:
    with pytest.raises(WorkoutError) as refused:
        build(blocks)
    assert str(refused.value).startswith(message)


def test_a_fault_deep_in_a_later_block_names_that_step() -> None:
    blocks = [
        *SWEET_SPOT[:2],
        Block(section="cooldown", steps=[step(secs=60), step(secs=5, rpm=9)]),
    ]
    with pytest.raises(WorkoutError, match=r"^block 3 step 2: cadence 9 rpm is outside"):
        build(blocks)


def test_target_model_refuses_unknown_units() -> None:
    with pytest.raises(ValueError):
        Target.model_validate({"unit": "%mmp", "value": 90})


def random_workout(rng: random.Random) -> list[Block]:
    """A random valid workout over the syntax the fake parser reads (time, mtr/km, %, w)."""

    def one() -> Step:
        target = rng.choice(
            [
                None,
                pct(rng.randint(40, 130)),
                pct(rng.randint(50, 90), rng.randint(91, 120)),
                pct(rng.randint(100, 400), unit="w"),
            ]
        )
        ramp = target is not None and target["to"] is not None and rng.random() < 0.3
        if rng.random() < 0.25:
            return step(meters=rng.choice([200, 400, 1000, 2500, 5000]), target=target, ramp=ramp)
        return step(secs=rng.randint(1, 1800), target=target, ramp=ramp, rpm=rng.choice([None, 90]))

    blocks = []
    for section in ("warmup", "main", "cooldown"):
        for _ in range(rng.randint(1 if section == "main" else 0, 2)):
            repeat = rng.choice([1, 1, rng.randint(2, 8)])
            label = rng.choice([None, "Set", "Main set"])
            count = rng.randint(1, 3)
            blocks.append(
                Block(
                    section=section, repeat=repeat, label=label, steps=[one() for _ in range(count)]
                )  # type: ignore[arg-type]
            )
    return blocks


@pytest.mark.parametrize("seed", range(200))
def test_random_workouts_round_trip_through_the_fake_parser(seed: int) -> None:
    built = build(random_workout(random.Random(seed)))
    doc = parse_workout_text(built.text)
    assert doc is not None
    assert doc["duration"] == built.total_secs
    flat = [
        (inner, block.get("reps", 1))
        for block in doc["steps"]
        for inner in (block["steps"] if "reps" in block else [block])
    ]
    assert len(flat) == len(built.steps)
    for (parsed, reps), expected in zip(flat, built.steps, strict=True):
        assert reps == expected.times
        assert parsed.get("duration") == expected.secs
        assert parsed.get("distance") == (float(expected.meters) if expected.meters else None)
