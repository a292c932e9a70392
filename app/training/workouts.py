"""Structured workouts -> Intervals.icu workout text, total duration, estimated load, step list.

The text follows the Intervals.icu workout syntax (shared/docs/intervals-api.md §2.5, §4.5):
one step per line starting with ``- ``; durations ``1h``, ``10m`` (``m`` is MINUTES), ``30s``;
distances ``400mtr`` (``mtr`` is metres) or ``5km``; targets ``88%`` / ``88-92%`` (of FTP),
``250w``, ``Z2`` (power zone), ``95% LTHR``, ``75% HR`` (of max HR), ``Z2 HR``, ``90% Pace``
(of threshold pace), ``Z2 Pace``, ``4:30/km Pace``; ``ramp 50-75%``; cadence ``90rpm``;
a repeat block is a line ``4x`` followed by its steps, set off by blank lines; ``Warmup`` and
``Cooldown`` header lines mark those sections.

Inputs use seconds and metres, never the ambiguous ``m``, so the minutes/metres trap of the
text syntax cannot be hit by whoever builds the structure.

Estimated load (training stress, TSS-like): every timed step gets an intensity factor IF
(fraction of threshold: % FTP, % LTHR, % threshold pace; watts / FTP when the FTP is given;
a zone counts as the middle of the default zone), the workout's IF is the fourth-power mean
over time (as normalised power is: IF = (sum t*IF^4 / sum t)^(1/4); a ramp from a to b
contributes its exact mean of x^4, (b^5 - a^5) / (5 (b - a))), and
load = hours * IF^2 * 100. Steps whose time or intensity is unknown (distance steps, ``% HR``
of max) are left out and the answer says how much time the estimate covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from app.mcp.tools.schema import compact_model_schema

Section = Literal["warmup", "main", "cooldown"]
Unit = Literal[
    "%ftp", "w", "power_zone", "%lthr", "%hrmax", "hr_zone", "%pace", "pace_zone", "s/km", "s/100m"
]

MAX_LABEL = 40
MAX_REPEATS = 50
MAX_STEPS = 100
MAX_WORKOUT_SECS = 12 * 3600

POWER_ZONE_MIDDLES = (0.45, 0.65, 0.83, 0.98, 1.13, 1.35, 1.6)
"""Middle of Intervals.icu's default power zones (55/75/90/105/120/150 % FTP upper bounds)."""
HR_ZONE_MIDDLES = (0.75, 0.86, 0.92, 0.97, 1.03, 1.08, 1.12)
"""Middle of the default HR zones as a fraction of LTHR (Friel-like bounds)."""
PACE_ZONE_MIDDLES = (0.70, 0.83, 0.91, 0.98, 1.04, 1.10, 1.2)
"""Middle of the default pace zones as a fraction of threshold speed."""

RANGES: dict[str, tuple[float, float]] = {
    "%ftp": (1, 300),
    "w": (1, 3000),
    "power_zone": (1, 7),
    "%lthr": (30, 120),
    "%hrmax": (30, 100),
    "hr_zone": (1, 7),
    "%pace": (20, 200),
    "pace_zone": (1, 7),
    "s/km": (90, 1200),
    "s/100m": (40, 400),
}
ZONES = frozenset({"power_zone", "hr_zone", "pace_zone"})
SYNTAX_WORD = re.compile(
    r"^(\d+(\.\d+)?(h|m|s|km|mtr|mi|w|%|rpm|x)|z\d|ramp|\d+h\d*m?\d*s?|\d+m\d+s)$",
    re.IGNORECASE,
)
"""A word the workout parser would take as syntax rather than as part of a step's label."""


class Target(BaseModel):
    """Intensity: ``value`` alone, a range ``value``..``to``, or a ramp (step ``ramp``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_model_schema)

    unit: Unit
    value: float
    to: float | None = None


class Step(BaseModel):
    """One step: ``secs`` or ``meters``, an optional target (``ramp``: value -> to), cadence."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_model_schema)

    label: str | None = Field(None, max_length=MAX_LABEL)
    secs: int | None = None
    meters: float | None = None
    target: Target | None = None
    ramp: bool = False
    rpm: int | None = None
    rpm_to: int | None = None


class Block(BaseModel):
    """Steps of one section, run ``repeat`` times (1: plain steps; 2..50: ``Nx`` block)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=compact_model_schema)

    section: Section = "main"
    repeat: int = 1
    label: str | None = Field(None, max_length=MAX_LABEL)
    steps: list[Step]


class WorkoutError(ValueError):
    """A structured workout that cannot be written; the message names the step at fault."""


_NUMBER = r"\d+(?:\.\d+)?"
STEP_TEXT = re.compile(
    r"^(?:(?P<label>[^:]*[^:\s]):\s*)?"
    rf"(?:(?P<secs>\d+)s|(?P<meters>{_NUMBER})mtr)"
    r"(?:\s+(?P<ramp>ramp))?"
    rf"(?:\s+(?P<value>{_NUMBER})(?:-(?P<to>{_NUMBER}))?\s*"
    r"(?P<unit>%ftp|w|%lthr|%hrmax|%pace|s/km|s/100m|power_zone|hr_zone|pace_zone))?"
    r"(?:\s+(?P<rpm>\d+)(?:-(?P<rpm_to>\d+))?rpm)?$",
    re.IGNORECASE,
)
"""One step in the compact grammar build_workout publishes:
``[label:] 600s|400mtr [ramp] value[-to] unit [90[-100]rpm]`` (seconds or metres, never the
ambiguous ``m``)."""
BLOCK_HEAD = re.compile(
    r"^(?:(?P<section>warmup|main|cooldown)\b)?\s*(?:(?P<repeat>\d+)x\b)?\s*(?P<label>.*?)$",
    re.IGNORECASE,
)
"""The part of a block before ``|``: ``[warmup|main|cooldown] [Nx] [label]``."""
STEP_EXAMPLE = "[label:] 720s [ramp] 88-92 %ftp [90rpm]"


def parse_step(text: str, where: str) -> Step:
    """One step of the compact grammar (:data:`STEP_TEXT`) as a :class:`Step`; the range and
    label checks stay in :func:`build`."""
    found = STEP_TEXT.match(text.strip())
    if found is None:
        raise WorkoutError(f"{where}: not a step like '{STEP_EXAMPLE}'")
    parts = found.groupdict()
    target = None
    if parts["unit"] is not None:
        to = None if parts["to"] is None else float(parts["to"])
        target = Target.model_validate(
            {"unit": parts["unit"].lower(), "value": float(parts["value"]), "to": to}
        )
    label = parts["label"]
    if label is not None and len(label) > MAX_LABEL:
        raise WorkoutError(f"{where}: the label is longer than {MAX_LABEL} characters")
    return Step(
        label=label,
        secs=None if parts["secs"] is None else int(parts["secs"]),
        meters=None if parts["meters"] is None else float(parts["meters"]),
        target=target,
        ramp=parts["ramp"] is not None,
        rpm=None if parts["rpm"] is None else int(parts["rpm"]),
        rpm_to=None if parts["rpm_to"] is None else int(parts["rpm_to"]),
    )


def parse_block(text: str, number: int) -> Block:
    """One block of the compact grammar: ``[warmup|main|cooldown] [Nx] [label] | step; ...``
    (no ``|``: main steps run once)."""
    where = f"block {number}"
    head, bar, body = text.partition("|")
    if not bar:
        head, body = "", text
    found = BLOCK_HEAD.match(head.strip())
    if found is None:  # pragma: no cover - the pattern matches any text
        raise WorkoutError(f"{where}: not a block like 'warmup 3x label | step; step'")
    steps = [step.strip() for step in body.split(";")]
    if not any(steps):
        raise WorkoutError(f"{where}: a block needs steps")
    if "" in steps:
        raise WorkoutError(f"{where}: an empty step between ';'")
    label = found["label"] or None
    if label is not None and len(label) > MAX_LABEL:
        raise WorkoutError(f"{where}: the label is longer than {MAX_LABEL} characters")
    section = cast(Section, (found["section"] or "main").lower())
    return Block(
        section=section,
        repeat=int(found["repeat"] or 1),
        label=label,
        steps=[parse_step(step, f"{where} step {i}") for i, step in enumerate(steps, start=1)],
    )


@dataclass(frozen=True)
class StepLine:
    """One rendered step: where it is, its text line, seconds, metres and intensity."""

    where: str
    line: str
    secs: int | None
    meters: float | None
    intensity: tuple[float, float] | None
    """Intensity factor at start and end (equal unless a ramp); None when unknown."""
    times: int = 1
    """How many times it runs (the repeat count of its block)."""


@dataclass(frozen=True)
class BuiltWorkout:
    """The workout text and what the preview shows about it."""

    text: str
    steps: list[StepLine]
    total_secs: int
    total_meters: float
    load: int | None
    intensity_factor: float | None
    estimated_secs: int
    """Seconds of the workout the load estimate covers (all timed steps of known intensity)."""


def clock(secs: int) -> str:
    """``1h2m30s`` style (``m`` = minutes, as the workout syntax reads it)."""
    hours, rest = divmod(secs, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    parts.append(f"{seconds}s" if seconds else "")
    return "".join(parts)


def distance_text(meters: float) -> str:
    """``5km`` for whole kilometres, otherwise ``400mtr`` (``m`` would mean minutes)."""
    if meters >= 1000 and meters % 1000 == 0:
        return f"{int(meters // 1000)}km"
    if meters == int(meters):
        return f"{int(meters)}mtr"
    return f"{meters:g}mtr"


def _num(value: float) -> str:
    return f"{value:g}"


def _pace(secs: float) -> str:
    whole = round(secs)
    return f"{whole // 60}:{whole % 60:02d}"


def target_text(target: Target, ramp: bool) -> str:
    """The target part of a step line."""
    unit, lo, hi = target.unit, target.value, target.to
    span = _num(lo) if hi is None else f"{_num(lo)}-{_num(hi)}"
    prefix = "ramp " if ramp else ""
    if unit == "%ftp":
        return f"{prefix}{span}%"
    if unit == "w":
        return f"{prefix}{span}w"
    if unit in ZONES:
        suffix = {"power_zone": "", "hr_zone": " HR", "pace_zone": " Pace"}[unit]
        return f"Z{int(lo)}{suffix}"
    if unit == "%lthr":
        return f"{prefix}{span}% LTHR"
    if unit == "%hrmax":
        return f"{prefix}{span}% HR"
    if unit == "%pace":
        return f"{prefix}{span}% Pace"
    per = "/km" if unit == "s/km" else "/100m"
    pace = _pace(lo) if hi is None else f"{_pace(lo)}-{_pace(hi)}"
    return f"{prefix}{pace}{per} Pace"


def _check_target(target: Target, ramp: bool, where: str) -> None:
    low, high = RANGES[target.unit]
    for value in (target.value, target.to):
        if value is not None and not low <= value <= high:
            raise WorkoutError(f"{where}: {target.unit} {value:g} is outside {low:g}..{high:g}")
    if target.unit in ZONES:
        if target.to is not None or ramp:
            raise WorkoutError(f"{where}: a zone target takes one zone, no range or ramp")
        if target.value != int(target.value):
            raise WorkoutError(f"{where}: zone {target.value:g} is not a whole number")
    if ramp and target.to is None:
        raise WorkoutError(f"{where}: a ramp needs target.to (where it ends)")
    if not ramp and target.to is not None and target.to == target.value:
        raise WorkoutError(f"{where}: the range {target.value:g}-{target.to:g} is empty")
    if not ramp and target.to is not None:
        slower_first = target.unit in ("s/km", "s/100m")
        if (target.to < target.value) != slower_first:
            order = "slower pace first" if slower_first else "low value first"
            raise WorkoutError(f"{where}: write the range {order}")


def _check_simple(step: Step, where: str) -> None:
    if (step.secs is None) == (step.meters is None):
        raise WorkoutError(f"{where}: give exactly one of secs or meters")
    if step.secs is not None and not 1 <= step.secs <= MAX_WORKOUT_SECS:
        raise WorkoutError(f"{where}: secs must be 1..{MAX_WORKOUT_SECS}")
    if step.meters is not None and not 1 <= step.meters <= 300_000:
        raise WorkoutError(f"{where}: meters must be 1..300000")
    if step.ramp and step.target is None:
        raise WorkoutError(f"{where}: a ramp needs a target")
    if step.target is not None:
        _check_target(step.target, step.ramp, where)
    if step.rpm_to is not None and step.rpm is None:
        raise WorkoutError(f"{where}: rpm_to needs rpm")
    for rpm in (step.rpm, step.rpm_to):
        if rpm is not None and not 20 <= rpm <= 200:
            raise WorkoutError(f"{where}: cadence {rpm} rpm is outside 20..200")
    if step.rpm is not None and step.rpm_to is not None and step.rpm_to <= step.rpm:
        raise WorkoutError(f"{where}: cadence range must be low-high")
    if step.label is not None and (step.label.strip() != step.label or "\n" in step.label):
        raise WorkoutError(f"{where}: the label has surrounding spaces or a line break")
    if step.label and (step.label.startswith("-") or _looks_like_syntax(step.label)):
        raise WorkoutError(f"{where}: the label {step.label!r} would be read as workout syntax")


def _looks_like_syntax(label: str) -> bool:
    """A label word Intervals.icu would read as a duration, distance, target or repeat."""
    return any(SYNTAX_WORD.match(word) for word in label.split())


def intensity(target: Target | None, ftp: int | None) -> tuple[float, float] | None:
    """Intensity factor (fraction of threshold) at the start and end of a step, if known."""
    if target is None:
        return None
    lo, hi = target.value, target.to if target.to is not None else target.value
    unit = target.unit
    if unit in ("%ftp", "%lthr", "%pace"):
        return lo / 100, hi / 100
    if unit == "w":
        return (lo / ftp, hi / ftp) if ftp else None
    if unit in ZONES:
        middles = {
            "power_zone": POWER_ZONE_MIDDLES,
            "hr_zone": HR_ZONE_MIDDLES,
            "pace_zone": PACE_ZONE_MIDDLES,
        }[unit]
        return middles[int(lo) - 1], middles[int(lo) - 1]
    return None


def _line(step: Step, where: str, ftp: int | None, times: int) -> StepLine:
    _check_simple(step, where)
    words = [step.label or ""]
    words.append(clock(step.secs) if step.secs is not None else distance_text(step.meters or 0))
    if step.target is not None:
        words.append(target_text(step.target, step.ramp))
    if step.rpm is not None:
        words.append(f"{step.rpm}-{step.rpm_to}rpm" if step.rpm_to else f"{step.rpm}rpm")
    factor = intensity(step.target, ftp)
    if step.ramp or step.target is None or step.target.to is None or factor is None:
        level = factor
    else:
        middle = (factor[0] + factor[1]) / 2
        level = (middle, middle)
    line = "- " + " ".join(w for w in words if w)
    return StepLine(where, line, step.secs, step.meters, level, times)


SECTION_ORDER = ("warmup", "main", "cooldown")
HEADERS = {"warmup": "Warmup", "main": "Main set", "cooldown": "Cooldown"}


def _block(block: Block, number: int, ftp: int | None) -> tuple[list[str], list[StepLine]]:
    """The lines and steps of ``blocks[number - 1]``."""
    where = f"block {number}"
    if not 1 <= block.repeat <= MAX_REPEATS:
        raise WorkoutError(f"{where}: repeat must be 1..{MAX_REPEATS}")
    if not block.steps:
        raise WorkoutError(f"{where}: a block needs steps")
    if block.label and (block.label.strip() != block.label or _looks_like_syntax(block.label)):
        raise WorkoutError(f"{where}: the label {block.label!r} would be read as workout syntax")
    built = [
        _line(step, f"{where} step {index}", ftp, block.repeat)
        for index, step in enumerate(block.steps, start=1)
    ]
    lines = [item.line for item in built]
    if block.repeat > 1:
        head = f"{block.label} {block.repeat}x" if block.label else f"{block.repeat}x"
        lines = ["", head, *lines, ""]
    elif block.label:
        lines = [block.label, *lines]
    return lines, built


def _fourth_power_mean(start: float, end: float) -> float:
    """Mean of x^4 over a linear ramp from start to end."""
    if abs(end - start) < 1e-9:
        return float(start**4)
    return float((end**5 - start**5) / (5 * (end - start)))


def estimate(steps: list[StepLine]) -> tuple[int | None, float | None, int]:
    """(load, IF, seconds covered) by the formula in the module docstring."""
    covered = 0
    weighted = 0.0
    for step in steps:
        if step.secs is None or step.intensity is None:
            continue
        secs = step.secs * step.times
        covered += secs
        weighted += secs * _fourth_power_mean(*step.intensity)
    if covered == 0:
        return None, None, 0
    factor = (weighted / covered) ** 0.25
    return round(covered / 3600 * factor**2 * 100), round(factor, 3), covered


def build(blocks: list[Block], ftp: int | None = None) -> BuiltWorkout:
    """Validate and render a workout; :class:`WorkoutError` names the first block/step at fault
    (1-based positions in ``blocks`` and in the block's ``steps``)."""
    if not any(block.section == "main" for block in blocks):
        raise WorkoutError("blocks: a workout needs at least one main block")
    headed = any(block.section != "main" for block in blocks)
    lines: list[str] = []
    built: list[StepLine] = []
    section = "warmup"
    for number, block in enumerate(blocks, start=1):
        if SECTION_ORDER.index(block.section) < SECTION_ORDER.index(section):
            raise WorkoutError(f"block {number}: a {block.section} block after {section}")
        if headed and (block.section != section or number == 1):
            lines += ["", HEADERS[block.section]]
        section = block.section
        block_lines, block_steps = _block(block, number, ftp)
        lines += block_lines
        built += block_steps
    if sum(s.times for s in built) > MAX_STEPS:
        raise WorkoutError(f"blocks: more than {MAX_STEPS} steps once repeats are counted")
    total_secs = sum((s.secs or 0) * s.times for s in built)
    if total_secs > MAX_WORKOUT_SECS:
        hours = MAX_WORKOUT_SECS // 3600
        raise WorkoutError(f"blocks: the timed steps add up to more than {hours} h")
    load, factor, covered = estimate(built)
    return BuiltWorkout(
        text="\n".join(_tidy(lines)).strip(),
        steps=built,
        total_secs=total_secs,
        total_meters=sum((s.meters or 0) * s.times for s in built),
        load=load,
        intensity_factor=factor,
        estimated_secs=covered,
    )


def _tidy(lines: list[str]) -> list[str]:
    """Collapse runs of blank lines into one."""
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out
