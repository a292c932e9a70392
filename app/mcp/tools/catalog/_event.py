"""Calendar event shapes shared by the calendar tools (``Event``, intervals-api.md §2.5)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from app.intervals.models import Event
from app.mcp.tools.kit import Answer, join, rounded, with_unit

SUMMARY_DESCRIPTION_CHARS = 160
PERCENT = re.compile(r"\d%(?:\s*(Pace|HR|LTHR|MMP)\b)?")
PERCENT_OF = {"Pace": "threshold pace", "HR": "max HR", "LTHR": "threshold HR", "MMP": "MMP"}
PLAIN_PERCENT_OF = {"POWER": "FTP", "HR": "threshold HR", "PACE": "threshold pace"}
PACE_SPORTS = ("Run", "Swim", "Walk", "Hike", "TrailRun", "VirtualRun", "OpenWaterSwim")


def percent_targets(description: str | None, sport: str | None, target: str | None) -> str | None:
    """What the percentages of a workout text are of, in Intervals.icu workout syntax
    (intervals-api.md §2.5): ``80% Pace`` of threshold pace, ``75% HR`` of max HR, ``95% LTHR``
    of threshold HR; a bare ``115%`` of the workout's target (FTP for power, the default on
    rides; threshold pace for runs and swims without power)."""
    kinds = {match.group(1) or "" for match in PERCENT.finditer(description or "")}
    if not kinds:
        return None
    plain = PLAIN_PERCENT_OF.get(target or "") or (
        "threshold pace" if sport in PACE_SPORTS else "FTP"
    )
    parts = [f"% = % {plain}"] if "" in kinds else []
    parts += [f"% {kind} = % {PERCENT_OF[kind]}" for kind in sorted(kinds - {""})]
    return "; ".join(parts)


def _local(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(tzinfo=None).isoformat()


def last_day(start: datetime, end: datetime | None) -> str | None:
    """The last local day of an event that spans several days (``end_date_local`` is
    exclusive: a one-day event ends at the next midnight); None for one-day events."""
    if end is None:
        return None
    final = (end - timedelta(microseconds=1)).date()
    return final.isoformat() if final > start.date() else None


def _short(text: str | None) -> str | None:
    if not text:
        return None
    if len(text) <= SUMMARY_DESCRIPTION_CHARS:
        return text
    return text[: SUMMARY_DESCRIPTION_CHARS - 1].rstrip() + "…"


def first_workout(fake: Any, athlete: str) -> int:
    """The athlete's first planned workout on or after the fake's today (for examples)."""
    events = fake.athletes[athlete].events.values()
    today = fake.today.isoformat()
    upcoming = [e for e in events if e["start_date_local"][:10] >= today] or list(events)
    return int(min(upcoming, key=lambda e: (e["start_date_local"], e["id"]))["id"])


class EventSummary(Answer):
    """A calendar event: planned workout, race, note, ... (description shortened)."""

    schema_note = (
        "Planned values (a workout's time, distance, load); targets: what % is of; "
        "*_target: a TARGET's weekly goals; last_day: of a multi-day event; plan_folder_id: "
        "a PLAN's folder (get_folder_workouts)."
    )

    id: int
    category: str
    start_date_local: str
    name: str | None = None
    type: str | None = None
    moving_time_s: int | None = None
    distance_m: float | None = None
    training_load: float | None = None
    indoor: bool | None = None
    targets: str | None = None
    last_day: str | None = None
    load_target: int | None = None
    time_target_s: int | None = None
    distance_target_m: float | None = None
    plan_folder_id: int | None = None
    description: str | None = None

    @classmethod
    def summary_fields(cls, event: Event) -> dict[str, object]:
        return {
            "id": event.id,
            "category": event.category,
            "start_date_local": _local(event.start_date_local),
            "name": event.name,
            "type": event.type,
            "moving_time_s": event.moving_time or None,
            "distance_m": rounded(event.distance) or None,
            "training_load": rounded(event.icu_training_load),
            "indoor": event.indoor,
            "targets": percent_targets(event.description, event.type, event.target),
            "last_day": last_day(event.start_date_local, event.end_date_local),
            "load_target": event.load_target or None,
            "time_target_s": event.time_target or None,
            "distance_target_m": rounded(event.distance_target) or None,
            "plan_folder_id": event.plan_folder_id,
            "description": _short(event.description),
        }

    @classmethod
    def from_upstream(cls, event: Event) -> EventSummary:
        return cls.model_validate(cls.summary_fields(event))

    def line(self) -> str:
        """One calendar event on one line; the description follows indented."""
        when = self.start_date_local.replace("T00:00:00", "").replace("T", " ")
        head = f"{when} {self.category} {self.type or ''} {self.name or ''}"
        head = head.replace("  ", " ").rstrip()
        body = join(
            [
                with_unit("moving_time_s", self.moving_time_s),
                with_unit("distance_m", self.distance_m),
                with_unit("training_load", self.training_load, "load"),
                "indoor" if self.indoor else None,
                f"targets {self.targets}" if self.targets else None,
                f"until {self.last_day}" if self.last_day else None,
                f"target {self.load_target} load" if self.load_target else None,
                "target " + (with_unit("time_target_s", self.time_target_s) or "")
                if self.time_target_s
                else None,
                "target " + (with_unit("distance_m", self.distance_target_m) or "")
                if self.distance_target_m
                else None,
                f"plan folder [{self.plan_folder_id}]" if self.plan_folder_id else None,
            ]
        )
        line = f"{head} [{self.id}]" + (f": {body}" if body else "")
        if self.description:
            line += "\n  " + self.description.replace("\n", "\n  ")
        return line


class EventDetail(EventSummary):
    """A calendar event in full: whole description, end, intensity, tags."""

    end_date_local: str | None = None
    intensity_pct: float | None = None
    tags: list[str] | None = None

    @classmethod
    def from_upstream(cls, event: Event) -> EventDetail:
        return cls.model_validate(
            cls.summary_fields(event)
            | {
                "description": event.description or None,
                "end_date_local": _local(event.end_date_local),
                "intensity_pct": rounded(event.icu_intensity),
                "tags": event.tags or None,
            }
        )
