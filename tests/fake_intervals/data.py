"""Seeded, deterministic synthetic Intervals.icu data for the demo athletes.

Everything is derived from ``(seed, today)``: the same inputs give byte-identical data. History
runs ``HISTORY_DAYS`` back from ``today`` and the calendar ``PLAN_DAYS`` ahead, so tests can ask
for "the last 7 days" and get data whatever the real date is. Dates are athlete-local, with
``start_date`` in UTC computed from the athlete's time zone, exactly like upstream.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

HISTORY_DAYS = 84
PLAN_DAYS = 28
MIDNIGHT_ACTIVITY_IDS = 170_290_000  # own id range: the seeded sequence stays as it was
MARKER_EVENT_IDS = 39_000_000  # seasons, weekly targets, plan start, sick days (own range)


@dataclass(frozen=True)
class DemoAthlete:
    """A demo account. Keys are fake test values, valid only against this fake server."""

    id: str
    name: str
    timezone: str
    api_key: str
    sports: tuple[str, ...]
    coached: tuple[str, ...] = ()  # athletes who share their data with this (coach) account
    followed: tuple[str, ...] = ()  # athletes this (not coach) account follows: readable too
    sex: str = "F"
    city: str = ""
    country: str = ""
    strava_imports: bool = False
    imperial: bool = False  # measurement_preference "feet": miles, yards, min/mi, s/100yd
    plan_weeks_ago: int | None = None  # training plan applied this many weeks before today


DEMO_ATHLETES: tuple[DemoAthlete, ...] = (
    DemoAthlete(
        "i100001",
        "Aroha Ngata",
        "Pacific/Auckland",
        "fake-key-aroha-1f3c9a2b7d",
        ("Ride", "Run"),
        city="Wellington",
        country="New Zealand",
    ),
    DemoAthlete(
        "i100002",
        "Lena Vogel",
        "Europe/Berlin",
        "fake-key-lena-7b2e04c19a",
        ("Ride", "Run", "Swim"),
        city="Freiburg",
        country="Germany",
        plan_weeks_ago=2,
    ),
    DemoAthlete(
        "i100003",
        "Sam Rivera",
        "America/Los_Angeles",
        "fake-key-sam-c81d55e03f",
        ("Run", "Ride"),
        sex="M",
        city="Oakland",
        country="United States",
        strava_imports=True,
        followed=("i100005",),
    ),
    DemoAthlete(
        "i100004",
        "Maria Santos (coach)",
        "America/New_York",
        "fake-key-coach-5a90e1d26b",
        ("Run",),
        coached=("i100001", "i100002"),
        city="Boston",
        country="United States",
    ),
    DemoAthlete(
        "1234567",
        "Pat Legacy",
        "Europe/London",
        "fake-key-legacy-0d4471aa85",
        ("Ride",),
        sex="M",
        city="Leeds",
        country="United Kingdom",
    ),
    DemoAthlete(
        "i100005",
        "Jordan Blake",
        "America/Denver",
        "fake-key-jordan-93be61f0c4",
        ("Run", "Swim"),
        sex="M",
        city="Boulder",
        country="United States",
        imperial=True,
        plan_weeks_ago=1,
    ),
)
"""Demo accounts. The coach (i100004) may read i100001 and i100002, who share with her. Sam
(i100003) follows Jordan (i100005): his key may read Jordan, but he is no coach.
Jordan (i100005) uses imperial units (runs in min/mi, swims in a 25-yard pool)."""

YARD = 0.9144

POWER_ZONES = [55, 75, 90, 105, 120, 150, 999]
PACE_ZONES = [77.5, 87.7, 94.3, 100.0, 103.4, 111.5, 999.0]


@dataclass
class Segment:
    """One block of a session: seconds at a fraction of threshold."""

    label: str
    secs: int
    intensity: float
    kind: str  # WORK | RECOVERY


@dataclass
class Session:
    name: str
    sport: str
    segments: list[Segment]
    reps_text: str = ""


@dataclass
class AthleteData:
    """Everything the fake stores for one athlete (plain JSON-like dicts, as upstream sends)."""

    profile: dict[str, Any]
    sport_settings: list[dict[str, Any]]
    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    wellness: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    folders: dict[int, dict[str, Any]] = field(default_factory=dict)
    workouts: dict[int, dict[str, Any]] = field(default_factory=dict)
    gear: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_items: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    training_plan: dict[str, Any] = field(default_factory=dict)


class Ids:
    """Deterministic id sequences shared by all athletes of one fake."""

    def __init__(self) -> None:
        self.activity = 170_300_000
        self.strava = 13_900_000_000
        self.event = 40_000_000
        self.folder = 900
        self.workout = 70_000
        self.custom = 5000
        self.message = 800_000
        self.sport = 300

    def next(self, name: str, step: int = 1) -> int:
        value: int = getattr(self, name) + step
        setattr(self, name, value)
        return value


def stamp(moment: datetime) -> str:
    """Audit timestamp in upstream style: ``2026-07-29T07:35:12.123+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}+0000"
    )


def local_iso(moment: datetime) -> str:
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat() + "Z"


# -- sessions ----------------------------------------------------------------------------------


def _ride_sessions() -> list[Session]:
    return [
        Session(
            "Sweet Spot 3x12",
            "VirtualRide",
            [
                Segment("Warm-up", 720, 0.62, "RECOVERY"),
                *[
                    s
                    for _ in range(3)
                    for s in (
                        Segment("SST", 720, 0.90, "WORK"),
                        Segment("Recovery", 240, 0.55, "RECOVERY"),
                    )
                ],
                Segment("Cooldown", 600, 0.5, "RECOVERY"),
            ],
            "3x",
        ),
        Session("Endurance ride", "Ride", [Segment("Endurance", 5400, 0.68, "WORK")]),
        Session(
            "VO2max 5x4",
            "VirtualRide",
            [
                Segment("Warm-up", 900, 0.6, "RECOVERY"),
                *[
                    s
                    for _ in range(5)
                    for s in (
                        Segment("VO2", 240, 1.15, "WORK"),
                        Segment("Easy", 240, 0.5, "RECOVERY"),
                    )
                ],
                Segment("Cooldown", 600, 0.5, "RECOVERY"),
            ],
            "5x",
        ),
        Session(
            "Gravel hills",
            "GravelRide",
            [
                Segment("Ride", 2400, 0.7, "WORK"),
                Segment("Climb", 900, 0.95, "WORK"),
                Segment("Ride", 2100, 0.65, "RECOVERY"),
            ],
        ),
    ]


def _run_sessions() -> list[Session]:
    return [
        Session("Easy run", "Run", [Segment("Easy", 2700, 0.78, "WORK")]),
        Session(
            "Threshold 3x10",
            "Run",
            [
                Segment("Warm-up", 900, 0.75, "RECOVERY"),
                *[
                    s
                    for _ in range(3)
                    for s in (
                        Segment("Threshold", 600, 0.99, "WORK"),
                        Segment("Jog", 120, 0.7, "RECOVERY"),
                    )
                ],
                Segment("Cooldown", 600, 0.72, "RECOVERY"),
            ],
            "3x",
        ),
        Session("Long run", "Run", [Segment("Long", 5400, 0.8, "WORK")]),
        Session("Trail run", "TrailRun", [Segment("Trail", 3600, 0.76, "WORK")]),
    ]


def _swim_sessions() -> list[Session]:
    return [
        Session(
            "Swim 10x100",
            "Swim",
            [
                Segment("Warm-up", 400, 0.8, "RECOVERY"),
                *[
                    s
                    for _ in range(10)
                    for s in (
                        Segment("100m", 95, 1.0, "WORK"),
                        Segment("Rest", 20, 0.0, "RECOVERY"),
                    )
                ],
                Segment("Cooldown", 300, 0.75, "RECOVERY"),
            ],
            "10x",
        ),
        Session("Endurance swim", "Swim", [Segment("Steady", 2400, 0.85, "WORK")]),
    ]


SESSION_TAGS = {
    "Sweet Spot 3x12": ("sweetspot", "indoor"),
    "VO2max 5x4": ("vo2max", "indoor"),
    "Threshold 3x10": ("threshold",),
    "Long run": ("long",),
    "Endurance ride": ("long",),
    "Swim 10x100": ("pool",),
}
"""Tags on the activities of these sessions (``GET /athlete/{id}/activity-tags``, ``q=#tag``)."""

SESSIONS = {"Ride": _ride_sessions, "Run": _run_sessions, "Swim": _swim_sessions}
SPORT_OF = {
    "Ride": "Ride",
    "VirtualRide": "Ride",
    "GravelRide": "Ride",
    "Run": "Run",
    "TrailRun": "Run",
    "Swim": "Swim",
}


def workout_text(session: Session, sport: str) -> str:
    """Intervals.icu workout text: ``- SST 12m 88-92%`` (``m`` = minutes, ``mtr`` = metres)."""
    unit = "%" if sport == "Ride" else "% Pace"
    lines: list[str] = []
    segs = session.segments
    i = 0
    while i < len(segs):
        seg = segs[i]
        reps = 1
        if i + 1 < len(segs):
            pair = (segs[i], segs[i + 1])
            while i + 2 * reps + 1 < len(segs) and (
                segs[i + 2 * reps].label,
                segs[i + 2 * reps + 1].label,
            ) == (pair[0].label, pair[1].label):
                reps += 1
        if reps > 1:
            lines += ["", f"{reps}x"]
            for s in (segs[i], segs[i + 1]):
                lines.append(f"- {s.label} {_dur(s.secs)} {round(s.intensity * 100)}{unit}")
            lines.append("")
            i += 2 * reps
            continue
        lines.append(f"- {seg.label} {_dur(seg.secs)} {round(seg.intensity * 100)}{unit}")
        i += 1
    return "\n".join(lines).strip()


def _dur(secs: int) -> str:
    return f"{secs // 60}m" if secs % 60 == 0 else f"{secs}s"


def workout_doc(session: Session, sport: str, ftp: int | None) -> dict[str, Any]:
    """The parsed ``workout_doc`` structure upstream attaches to planned workouts."""
    units = "%ftp" if sport == "Ride" else "%pace"
    key = "power" if sport == "Ride" else "pace"

    def step(seg: Segment) -> dict[str, Any]:
        return {
            "text": seg.label,
            "duration": seg.secs,
            key: {"value": round(seg.intensity * 100), "units": units},
        }

    steps: list[dict[str, Any]] = []
    segs = session.segments
    i = 0
    while i < len(segs):
        reps = 1
        while (
            i + 2 * reps + 1 < len(segs)
            and segs[i + 2 * reps].label == segs[i].label
            and segs[i + 2 * reps + 1].label == segs[i + 1].label
        ):
            reps += 1
        if reps > 1:
            inner = [step(segs[i]), step(segs[i + 1])]
            steps.append(
                {
                    "reps": reps,
                    "text": f"{reps}x",
                    "duration": reps * (segs[i].secs + segs[i + 1].secs),
                    "steps": inner,
                }
            )
            i += 2 * reps
        else:
            steps.append(step(segs[i]))
            i += 1
    doc: dict[str, Any] = {"duration": sum(s.secs for s in segs), "distance": 0, "steps": steps}
    if ftp:
        doc["ftp"] = ftp
    return doc


def session_load(session: Session) -> tuple[float, float]:
    """(training load, intensity %) from the segments: hours * IF^2 * 100."""
    total = sum(s.secs for s in session.segments)
    weighted = sum(s.secs * s.intensity**4 for s in session.segments) / max(total, 1)
    intensity = weighted**0.25
    return round(total / 3600 * intensity**2 * 100, 1), round(intensity * 100, 3)


# -- generation --------------------------------------------------------------------------------


def slot_of(a: DemoAthlete) -> int:
    """The athlete's place for own id ranges: demo accounts first, squad athletes (added by
    tests, ids ``i2nnnnnn``) after them."""
    if a in DEMO_ATHLETES:
        return DEMO_ATHLETES.index(a)
    return len(DEMO_ATHLETES) + int(a.id.removeprefix("i")) % 1_000_000


def generate(
    seed: int, today: date, ids: Ids | None = None, history_days: int = HISTORY_DAYS
) -> dict[str, AthleteData]:
    """All demo athletes' data for ``today`` (the last generated activity is yesterday)."""
    ids = ids or Ids()
    return {
        a.id: _athlete(a, random.Random(f"{seed}:{a.id}"), today, ids, history_days)
        for a in DEMO_ATHLETES
    }


FITNESS_DECAY = math.exp(-1 / 42)  # Intervals.icu: fitness (CTL) time constant 42 days
FATIGUE_DECAY = math.exp(-1 / 7)  # fatigue (ATL) time constant 7 days


def next_fitness(ctl: float, atl: float, load: float) -> tuple[float, float]:
    """One day of the impulse-response model as Intervals.icu computes it (docs/analytics.md):
    yesterday's value decays by exp(-1/T) and the day's summed load adds (1 - exp(-1/T))."""
    return (
        ctl * FITNESS_DECAY + load * (1 - FITNESS_DECAY),
        atl * FATIGUE_DECAY + load * (1 - FATIGUE_DECAY),
    )


def _athlete(
    a: DemoAthlete, rng: random.Random, today: date, ids: Ids, history_days: int = HISTORY_DAYS
) -> AthleteData:
    tz = ZoneInfo(a.timezone)
    ftp = rng.randrange(210, 300, 5)
    lthr = rng.randrange(158, 172)
    max_hr = lthr + rng.randrange(14, 22)
    weight = round(rng.uniform(56, 82), 1)
    resting = rng.randrange(42, 56)
    threshold_pace = round(1000 / rng.uniform(230, 300), 4)  # m/s (3:50-5:00 /km)
    swim_pace = round(100 / rng.uniform(88, 110), 4)
    created = datetime.combine(today - timedelta(days=400), time(9), tz)
    sport_settings: list[dict[str, Any]] = []
    for sport in a.sports:
        hr_zones = [round(lthr * f) for f in (0.81, 0.89, 0.93, 0.99, 1.02, 1.06)] + [max_hr]
        base: dict[str, Any] = {
            "id": ids.next("sport"),
            "athlete_id": a.id,
            "lthr": lthr,
            "max_hr": max_hr,
            "hr_zones": hr_zones,
            "hr_zone_names": [
                "Recovery",
                "Aerobic",
                "Tempo",
                "SubThreshold",
                "SuperThreshold",
                "Aerobic Capacity",
                "Anaerobic",
            ],
            "hr_load_type": "HRSS",
            "created": stamp(created),
            "updated": stamp(created),
            "warmup_time": 600,
            "cooldown_time": 600,
            "default_gear_id": None,
            "power_zones": None,
            "pace_zones": None,
        }
        if sport == "Ride":
            base.update(
                {
                    "types": ["Ride", "VirtualRide", "GravelRide", "MountainBikeRide"],
                    "ftp": ftp,
                    "indoor_ftp": ftp - 5,
                    "w_prime": rng.randrange(15000, 24000, 500),
                    "p_max": rng.randrange(700, 1100, 10),
                    "power_zones": POWER_ZONES,
                    "power_zone_names": [
                        "Active Recovery",
                        "Endurance",
                        "Tempo",
                        "Threshold",
                        "VO2 Max",
                        "Anaerobic",
                        "Neuromuscular",
                    ],
                    "sweet_spot_min": 84,
                    "sweet_spot_max": 97,
                    "mmp_model": {  # eFTP: the power model's estimate from recent efforts
                        "type": "MORTON_3P",
                        "criticalPower": round(ftp * 0.98),
                        "wPrime": 18500,
                        "pMax": 900,
                        "inputPointIndexes": [5, 8, 10],
                        "ftp": round(ftp * 0.98),
                    },
                    "threshold_pace": None,
                    "pace_units": None,
                }
            )
        elif sport == "Run":
            base.update(
                {
                    "types": ["Run", "TrailRun", "VirtualRun"],
                    "ftp": None,
                    "threshold_pace": threshold_pace,
                    "pace_units": "MINS_MILE" if a.imperial else "MINS_KM",
                    "pace_zones": PACE_ZONES,
                    "pace_zone_names": [
                        "Zone 1",
                        "Zone 2",
                        "Zone 3",
                        "Zone 4",
                        "Zone 5a",
                        "Zone 5b",
                        "Zone 5c",
                    ],
                }
            )
        else:
            base.update(
                {
                    "types": ["Swim", "OpenWaterSwim"],
                    "ftp": None,
                    "threshold_pace": swim_pace,
                    "pace_units": "SECS_100Y" if a.imperial else "SECS_100M",
                    "pace_zones": PACE_ZONES,
                }
            )
        sport_settings.append(base)

    first, last = [*a.name.split(" ", 1), ""][:2]
    profile: dict[str, Any] = {
        "id": a.id,
        "name": a.name,
        "firstname": first,
        "lastname": last.split(" (")[0],
        "sex": a.sex,
        "city": a.city,
        "state": None,
        "country": a.country,
        "timezone": a.timezone,
        "locale": "en",
        "measurement_preference": "feet" if a.imperial else "meters",
        "weight": weight,
        "icu_weight": weight,
        "icu_resting_hr": resting,
        "icu_date_of_birth": date(rng.randrange(1975, 2002), rng.randrange(1, 10), 14).isoformat(),
        "icu_coach": bool(a.coached),
        "plan": "SUPPORTER",
        "status": "ACTIVE",
        "visibility": "PRIVATE",
        "bikes": None,
        "shoes": None,
        "icu_api_key": None,
    }
    data = AthleteData(profile=profile, sport_settings=sport_settings)

    # gear
    if "Ride" in a.sports:
        gid = f"b{ids.next('custom') * 7}"
        data.gear[gid] = {
            "id": gid,
            "athlete_id": a.id,
            "type": "Bike",
            "name": "Endurance bike",
            "purchased": (today - timedelta(days=700)).isoformat(),
            "notes": None,
            "distance": 0.0,
            "time": 0,
            "activities": 0,
            "use_elapsed_time": False,
            "retired": None,
            "component_ids": None,
            "activity_filters": None,
            "component": False,
            "reminders": [
                {
                    "id": 1,
                    "gear_id": gid,
                    "name": "Replace chain",
                    "distance": 3_000_000,
                    "time": None,
                    "days": None,
                    "last_reset": f"{today - timedelta(days=90)}T00:00:00",
                    "snoozed_until": None,
                    "percent_used": 0.0,
                }
            ],
        }
    if "Run" in a.sports:
        gid = f"g{ids.next('custom') * 7}"
        data.gear[gid] = {
            "id": gid,
            "athlete_id": a.id,
            "type": "Shoes",
            "name": "Daily trainers",
            "purchased": (today - timedelta(days=120)).isoformat(),
            "notes": "Size 42",
            "distance": 0.0,
            "time": 0,
            "activities": 0,
            "use_elapsed_time": False,
            "retired": None,
            "component_ids": [],
            "activity_filters": None,
            "component": False,
            "reminders": [
                {
                    "id": 2,
                    "gear_id": gid,
                    "name": "Replace shoes",
                    "distance": 800_000,
                    "time": None,
                    "days": 365,
                    "last_reset": f"{today - timedelta(days=120)}T00:00:00",
                    "snoozed_until": None,
                    "percent_used": 0.0,
                }
            ],
        }
    gear_for = {
        "Ride": next((g for g, v in data.gear.items() if v["type"] == "Bike"), None),
        "Run": next((g for g, v in data.gear.items() if v["type"] == "Shoes"), None),
        "Swim": None,
    }

    # custom items
    for kind, name, content in (
        ("FITNESS_CHART", "Fitness with HRV", {"chart": {"traces": ["ctl", "atl", "hrv"]}}),
        ("ACTIVITY_FIELD", "Carbs used", {"field": {"code": "CarbsUsed", "units": "g"}}),
    ):
        cid = ids.next("custom")
        data.custom_items[cid] = {
            "id": cid,
            "athlete_id": a.id,
            "type": kind,
            "visibility": "PRIVATE",
            "name": name,
            "description": None,
            "image": None,
            "content": content,
            "usage_count": 0,
            "index": len(data.custom_items),
            "hide_script": None,
            "updated": stamp(created),
        }
    data.profile["custom_items"] = None  # filled at read time
    data.profile["sportSettings"] = None

    # activities, planned events and daily loads
    ctl = rng.uniform(35, 65)
    atl = ctl * rng.uniform(0.9, 1.2)
    ctl_start = ctl
    start_day = today - timedelta(days=history_days)
    sessions = {s: SESSIONS[s]() for s in a.sports}
    loads: dict[date, float] = {}
    for offset in range(history_days + PLAN_DAYS + 1):
        day = start_day + timedelta(days=offset)
        rest_day = day.weekday() == 0 or rng.random() < 0.18
        if rest_day:
            continue
        sport = rng.choice(a.sports)
        session = rng.choice(sessions[sport])
        load, intensity = session_load(session)
        hour = rng.choice([6, 6, 7, 12, 17, 18]) if sport != "Swim" else 7
        start_local = datetime.combine(day, time(hour, rng.randrange(0, 60), rng.randrange(60)))
        event = _planned_event(a, session, sport, start_local, load, intensity, ftp, ids, rng)
        if day < today:
            if rng.random() < 0.7:
                data.events[event["id"]] = event
            activity = _activity(
                a,
                tz,
                session,
                sport,
                start_local,
                load,
                intensity,
                ftp,
                lthr,
                resting,
                threshold_pace,
                swim_pace,
                weight,
                gear_for[sport],
                ids,
                rng,
            )
            if event["id"] in data.events:
                activity["paired_event_id"] = event["id"]
            _store(data, activity, session, gear_for[sport])
            # a Strava stub's load counts upstream even though the API does not show it
            loads[day] = loads.get(day, 0.0) + activity.get("icu_training_load", round(load))
        elif day > today or rng.random() < 0.8:
            data.events[event["id"]] = event

    # two sessions either side of local midnight (windows must cut at the athlete's midnight)
    sport = a.sports[0]
    session = sessions[sport][0]
    load, intensity = session_load(session)
    midnight = datetime.combine(today - timedelta(days=2), time(0))
    own_ids = Ids()
    own_ids.activity = MIDNIGHT_ACTIVITY_IDS + 100 * slot_of(a)
    for start_local in (midnight - timedelta(minutes=20), midnight + timedelta(minutes=15)):
        activity = _activity(
            replace(a, strava_imports=False),
            tz,
            session,
            sport,
            start_local,
            load,
            intensity,
            ftp,
            lthr,
            resting,
            threshold_pace,
            swim_pace,
            weight,
            gear_for[sport],
            own_ids,
            random.Random(f"{a.id}:{start_local.isoformat()}"),
        )
        activity["name"] = "Late " + session.name if start_local < midnight else session.name
        _store(data, activity, session, gear_for[sport])
        loads[start_local.date()] = loads.get(start_local.date(), 0.0) + round(load)
    data.activities = dict(
        sorted(data.activities.items(), key=lambda item: item[1]["start_date_local"])
    )

    _use_reminders(data, today)

    # fitness through activities and wellness
    for offset in range(history_days + 1):
        day = start_day + timedelta(days=offset)
        load = loads.get(day, 0.0)
        ctl, atl = next_fitness(ctl, atl, load)
        for act in data.activities.values():
            if act["start_date_local"].startswith(day.isoformat()) and "icu_ctl" in act:
                act["icu_ctl"] = round(ctl, 4)
                act["icu_atl"] = round(atl, 4)
        data.wellness[day.isoformat()] = _wellness(
            a, tz, day, today, ctl, atl, ctl_start, load, weight, resting, ftp, rng
        )
        if offset % 7 == 6:
            ctl_start = ctl
    for event in data.events.values():
        event["icu_ctl"] = round(ctl, 3)
        event["icu_atl"] = round(atl, 3)

    # notes and races
    for days_ahead, category, name, description in (
        (-10, "NOTE", "Travel week", "Work trip, only short sessions"),
        (3, "NOTE", "Build phase", "Start of build phase"),
        (
            24 if a.id != "i100001" else 18,
            "RACE_A" if a.id != "i100001" else "RACE_B",
            "Spring classic" if "Ride" in a.sports else "City half marathon",
            "Goal race",
        ),
    ):
        eid = ids.next("event")
        day = today + timedelta(days=days_ahead)
        data.events[eid] = {
            "id": eid,
            "uid": str(uuid.UUID(int=rng.getrandbits(128))),
            "athlete_id": a.id,
            "calendar_id": 1,
            "category": category,
            "start_date_local": f"{day.isoformat()}T00:00:00",
            "end_date_local": f"{(day + timedelta(days=1)).isoformat()}T00:00:00",
            "type": a.sports[0] if category.startswith("RACE") else None,
            "name": name,
            "description": description,
            "indoor": False,
            "color": "green" if category == "NOTE" else None,
            "moving_time": None,
            "distance": 21097.0 if category.startswith("RACE") and a.sports[0] == "Run" else None,
            "icu_training_load": None,
            "icu_intensity": None,
            "icu_ftp": None,
            "icu_ctl": None,
            "icu_atl": None,
            "target": None,
            "workout_doc": None,
            "external_id": None,
            "tags": None,
            "updated": stamp(created),
            "show_as_note": False,
            "not_on_fitness_chart": False,
        }

    # library
    folder_id = ids.next("folder")
    plan_id = ids.next("folder")
    data.folders[folder_id] = {
        "id": folder_id,
        "athlete_id": a.id,
        "type": "FOLDER",
        "name": "Key sessions",
        "description": "Favourite workouts",
        "visibility": "PRIVATE",
        "start_date_local": None,
        "num_workouts": 0,
        "duration_weeks": None,
        "canEdit": True,
        "sharedWithCount": 0,
    }
    data.folders[plan_id] = {
        "id": plan_id,
        "athlete_id": a.id,
        "type": "PLAN",
        "name": "Base build 4 weeks",
        "description": "Aerobic base with one quality session a week",
        "visibility": "PRIVATE",
        "start_date_local": None,
        "num_workouts": 0,
        "duration_weeks": 4,
        "canEdit": True,
        "sharedWithCount": 0,
    }
    for sport in a.sports:
        for index, session in enumerate(sessions[sport][:3]):
            wid = ids.next("workout")
            load, intensity = session_load(session)
            in_plan = index == 2
            data.workouts[wid] = {
                "id": wid,
                "athlete_id": a.id,
                "folder_id": plan_id if in_plan else folder_id,
                "name": session.name,
                "description": workout_text(session, sport),
                "type": session.sport,
                "indoor": session.sport.startswith("Virtual"),
                "color": None,
                "moving_time": sum(s.secs for s in session.segments),
                "icu_training_load": round(load),
                "icu_intensity": intensity,
                "workout_doc": workout_doc(session, sport, ftp if sport == "Ride" else None),
                "day": 7 * index + 2 if in_plan else None,
                "tags": None,
                "target": "AUTO",
                "distance": None,
                "updated": stamp(created),
            }
    for f in data.folders.values():
        f["num_workouts"] = sum(1 for w in data.workouts.values() if w["folder_id"] == f["id"])
    data.training_plan = _training_plan(a, today, plan_id, created)
    for marker in _calendar_markers(a, today, data.training_plan, created):
        data.events[marker["id"]] = marker

    # comments
    for act_id in list(data.activities)[-6:]:
        if data.activities[act_id].get("source") == "STRAVA":
            continue
        mid = ids.next("message")
        data.messages[act_id] = [
            {
                "id": mid,
                "athlete_id": a.id,
                "name": a.name,
                "type": "TEXT",
                "created": data.activities[act_id]["analyzed"],
                "content": rng.choice(
                    [
                        "Legs felt heavy",
                        "Great session!",
                        "Windy out there",
                        "Felt strong on the last rep",
                    ]
                ),
                "activity_id": act_id,
                "seen": True,
            }
        ]
    return data


def _store(
    data: AthleteData, activity: dict[str, Any], session: Session, gear_id: str | None
) -> None:
    """Keep an activity with its segments (for streams) and add it to its gear's totals."""
    data.activities[activity["id"]] = activity
    if activity.get("source") == "STRAVA":
        return
    data.segments[activity["id"]] = session.segments
    if gear_id:
        gear = data.gear[gear_id]
        gear["distance"] = round(gear["distance"] + (activity["distance"] or 0), 1)
        gear["time"] += activity["moving_time"]
        gear["activities"] += 1


def _use_reminders(data: AthleteData, today: date) -> None:
    """Fill each gear reminder's use since its last reset (``GearReminder``: distance in m,
    time in s, days; ``percent_used`` of the most used limit)."""
    for gear in data.gear.values():
        for reminder in gear["reminders"]:
            reset = reminder["last_reset"]
            used = [
                a
                for a in data.activities.values()
                if (a.get("gear") or {}).get("id") == gear["id"] and a["start_date_local"] >= reset
            ]
            distance = round(sum(a.get("distance") or 0 for a in used), 1)
            days = (today - date.fromisoformat(reset[:10])).days
            shares = [
                used_value / limit * 100
                for used_value, limit in (
                    (distance, reminder["distance"]),
                    (days, reminder["days"]),
                )
                if limit
            ]
            reminder.update(
                {
                    "distance_used": distance,
                    "time_used": float(sum(a.get("moving_time") or 0 for a in used)),
                    "activities_used": len(used),
                    "days_used": days,
                    "percent_used": round(max(shares, default=0.0), 1),
                }
            )


def _calendar_markers(
    a: DemoAthlete, today: date, plan: dict[str, Any], created: datetime
) -> list[dict[str, Any]]:
    """Calendar entries other than workouts, notes and races: the current and previous season
    starts (``SEASON_START``, what the ``s0`` / ``s1`` curves mean), weekly targets for this
    and next week (``TARGET`` on the Monday, ``for_week``), the applied plan's start
    (``PLAN``) and three sick days five weeks back (``SICK``, one multi-day event)."""
    monday = today - timedelta(days=today.weekday())
    hours = {"Ride": 8, "Run": 5, "Swim": 3}
    weekly_secs = 3600 * sum(hours[s] for s in a.sports)
    entries: list[tuple[str, date, int, str, dict[str, Any]]] = [
        ("SEASON_START", today - timedelta(days=120), 1, "Season 2026", {}),
        ("SEASON_START", today - timedelta(days=485), 1, "Season 2025", {}),
        (
            "SICK",
            today - timedelta(days=35),
            3,
            "Flu",
            {"description": "Fever, no training", "not_on_fitness_chart": False},
        ),
    ]
    for week, load in ((monday, 380), (monday + timedelta(days=7), 420)):
        entries.append(
            (
                "TARGET",
                week,
                1,
                "Weekly target",
                {
                    "for_week": True,
                    "load_target": load,
                    "time_target": weekly_secs,
                    "distance_target": None,
                },
            )
        )
    if plan.get("training_plan_id"):
        start = date.fromisoformat(plan["training_plan_start_date"][:10])
        entries.append(
            (
                "PLAN",
                start,
                1,
                "Base build 4 weeks",
                {"plan_folder_id": plan["training_plan_id"], "plan_applied": stamp(created)},
            )
        )
    base = MARKER_EVENT_IDS + 100 * slot_of(a)
    out = []
    for n, (category, day, days, name, extra) in enumerate(entries):
        out.append(
            {
                "id": base + n,
                "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-intervals:{a.id}:{n}")),
                "athlete_id": a.id,
                "calendar_id": 1,
                "category": category,
                "start_date_local": f"{day.isoformat()}T00:00:00",
                "end_date_local": f"{(day + timedelta(days=days)).isoformat()}T00:00:00",
                "type": None,
                "name": name,
                "description": None,
                "indoor": False,
                "color": None,
                "moving_time": None,
                "distance": None,
                "icu_training_load": None,
                "target": None,
                "workout_doc": None,
                "external_id": None,
                "tags": None,
                "updated": stamp(created),
                "show_as_note": False,
                "not_on_fitness_chart": category != "SICK",
                **extra,
            }
        )
    return out


def _training_plan(a: DemoAthlete, today: date, plan_id: int, created: datetime) -> dict[str, Any]:
    """``AthleteTrainingPlan``: the "Base build" plan folder applied on the Monday
    ``plan_weeks_ago`` weeks back, or nothing applied (null fields, as upstream answers)."""
    if a.plan_weeks_ago is None:
        return {
            "athlete_id": a.id,
            "training_plan_id": None,
            "training_plan_start_date": None,
            "timezone": a.timezone,
            "training_plan_last_applied": None,
            "training_plan": None,
            "training_plan_alias": None,
        }
    monday = today - timedelta(days=today.weekday(), weeks=a.plan_weeks_ago)
    return {
        "athlete_id": a.id,
        "training_plan_id": plan_id,
        "training_plan_start_date": f"{monday.isoformat()}T00:00:00",
        "timezone": a.timezone,
        "training_plan_last_applied": stamp(created + timedelta(days=400 - 7 * a.plan_weeks_ago)),
        "training_plan": None,  # the folder with its workouts, filled at read time
        "training_plan_alias": None,
    }


def _planned_event(
    a: DemoAthlete,
    session: Session,
    sport: str,
    start_local: datetime,
    load: float,
    intensity: float,
    ftp: int,
    ids: Ids,
    rng: random.Random,
) -> dict[str, Any]:
    eid = ids.next("event")
    day = start_local.date()
    return {
        "id": eid,
        "uid": str(uuid.UUID(int=rng.getrandbits(128))),
        "athlete_id": a.id,
        "calendar_id": 1,
        "category": "WORKOUT",
        "start_date_local": f"{day.isoformat()}T00:00:00",
        "end_date_local": f"{(day + timedelta(days=1)).isoformat()}T00:00:00",
        "type": session.sport,
        "name": session.name,
        "description": workout_text(session, sport),
        "indoor": session.sport.startswith("Virtual"),
        "color": None,
        "moving_time": sum(s.secs for s in session.segments),
        "distance": None,
        "icu_training_load": round(load),
        "icu_intensity": intensity,
        "icu_ftp": ftp if sport == "Ride" else None,
        "joules": None,
        "icu_ctl": None,
        "icu_atl": None,
        "target": "POWER" if sport == "Ride" else "PACE",
        "workout_doc": workout_doc(session, sport, ftp if sport == "Ride" else None),
        "external_id": None,
        "tags": None,
        "updated": stamp(datetime.combine(day - timedelta(days=7), time(14, 58, 50), UTC)),
        "show_as_note": False,
        "not_on_fitness_chart": False,
    }


def _activity(
    a: DemoAthlete,
    tz: ZoneInfo,
    session: Session,
    sport: str,
    start_local: datetime,
    load: float,
    intensity: float,
    ftp: int,
    lthr: int,
    resting: int,
    threshold_pace: float,
    swim_pace: float,
    weight: float,
    gear_id: str | None,
    ids: Ids,
    rng: random.Random,
) -> dict[str, Any]:
    moving = sum(s.secs for s in session.segments)
    start = start_local.replace(tzinfo=tz)
    if a.strava_imports and rng.random() < 0.25:
        return {
            "id": str(ids.next("strava", 7919)),
            "icu_athlete_id": a.id,
            "start_date_local": local_iso(start_local),
            "source": "STRAVA",
            "_note": "STRAVA activities are not available via the API",
        }
    aid = f"i{ids.next('activity', rng.randrange(1, 40))}"
    avg_int = sum(s.secs * s.intensity for s in session.segments) / moving
    hr = round(resting + (lthr - resting) * (0.55 + 0.4 * avg_int))
    if sport == "Ride":
        speed = 7.0 + 3.5 * avg_int
    elif sport == "Run":
        speed = threshold_pace * avg_int
    else:
        speed = swim_pace * avg_int
    distance = round(speed * moving, 1)
    finished = start + timedelta(seconds=moving + 900)
    activity: dict[str, Any] = {
        "id": aid,
        "icu_athlete_id": a.id,
        "start_date_local": local_iso(start_local),
        "start_date": utc_iso(start),
        "timezone": a.timezone,
        "type": session.sport,
        "name": session.name,
        "description": None,
        "source": rng.choice(["GARMIN_CONNECT", "UPLOAD", "WAHOO"]),
        "external_id": None,
        "device_name": "Garmin Forerunner 965" if sport != "Ride" else "Garmin Edge 540",
        "file_type": "fit",
        "trainer": session.sport.startswith("Virtual"),
        "commute": False,
        "race": False,
        "sub_type": "NONE",
        "distance": distance,
        "icu_distance": distance,
        "moving_time": moving,
        "elapsed_time": moving + rng.randrange(0, 240),
        "total_elevation_gain": 0.0
        if session.sport.startswith("Virtual") or sport == "Swim"
        else round(rng.uniform(50, 900)),
        "average_speed": round(speed, 3),
        "max_speed": round(speed * 1.4, 3),
        "average_heartrate": hr,
        "max_heartrate": min(lthr + 15, hr + rng.randrange(12, 30)),
        "has_heartrate": True,
        "lthr": lthr,
        "icu_resting_hr": resting,
        "calories": round(moving / 3600 * (650 if sport == "Ride" else 750)),
        "icu_training_load": round(load),
        "icu_intensity": intensity,
        "icu_ctl": None,
        "icu_atl": None,
        "icu_rpe": rng.randrange(3, 9),
        "feel": rng.randrange(1, 6),
        "icu_weight": weight,
        "tags": list(SESSION_TAGS[session.name]) if session.name in SESSION_TAGS else None,
        "paired_event_id": None,
        "gear": {"id": gear_id, "name": None, "distance": None, "primary": True}
        if gear_id
        else None,
        "stream_types": ["time", "heartrate", "distance", "velocity_smooth", "cadence"]
        + (["watts", "fixed_watts"] if sport == "Ride" else [])
        + (
            ["latlng", "altitude"]
            if not session.sport.startswith("Virtual") and sport != "Swim"
            else []
        ),
        "interval_summary": [
            f"{sum(1 for s in session.segments if s.kind == 'WORK')}x "
            f"{_dur(max(s.secs for s in session.segments if s.kind == 'WORK'))}"
        ],
        "icu_lap_count": len(session.segments),
        "created": stamp(finished),
        "analyzed": stamp(finished + timedelta(seconds=8)),
        "icu_sync_date": stamp(finished),
    }
    activity.update(zone_times(session, sport, lthr, resting))
    if sport == "Ride":
        avg_w = round(ftp * avg_int)
        np_w = round(ftp * intensity / 100)
        activity.update(
            {
                "icu_average_watts": avg_w,
                "icu_weighted_avg_watts": np_w,
                "icu_ftp": ftp,
                "device_watts": True,
                "icu_variability_index": round(np_w / max(avg_w, 1), 3),
                "icu_joules": avg_w * moving,
                "average_cadence": round(rng.uniform(82, 92), 1),
                "icu_power_zones": POWER_ZONES,
                "icu_efficiency_factor": round(np_w / hr, 3),
            }
        )
    else:
        activity.update(
            {
                "pace": round(speed, 4),
                "gap": round(speed * 1.01, 4),
                "threshold_pace": threshold_pace if sport == "Run" else swim_pace,
                "average_cadence": round(rng.uniform(84, 90), 1) if sport == "Run" else 28.0,
                "icu_average_watts": None,
                "icu_weighted_avg_watts": None,
            }
        )
    if sport == "Swim":
        activity["pool_length"] = round(25 * YARD, 2) if a.imperial else 25.0
    return activity


def _zone_of(value: float, tops: list[float]) -> int:
    """The index of the zone ``value`` falls in (zone lists give each zone's top)."""
    return next((i for i, top in enumerate(tops) if value < top), len(tops) - 1)


def zone_times(session: Session, sport: str, lthr: int, resting: int) -> dict[str, Any]:
    """Seconds per zone as Intervals.icu reports them on an activity (intervals-api.md §4:
    ``icu_zone_times`` power [{id, secs}], ``icu_hr_zone_times`` and ``pace_zone_times``
    [secs]), derived from the session's segments without touching the random sequence: power
    and pace as % of threshold = intensity x 100, HR as in the activity's average."""
    hr_tops = [round(lthr * f) for f in (0.81, 0.89, 0.93, 0.99, 1.02, 1.06)] + [999]
    hr = [0] * len(hr_tops)
    by_threshold = [0] * len(POWER_ZONES)
    for seg in session.segments:
        bpm = resting + (lthr - resting) * (0.55 + 0.4 * seg.intensity)
        hr[_zone_of(bpm, [float(t) for t in hr_tops])] += seg.secs
        tops = [float(t) for t in (POWER_ZONES if sport == "Ride" else PACE_ZONES)]
        by_threshold[_zone_of(seg.intensity * 100, tops)] += seg.secs
    found: dict[str, Any] = {"icu_hr_zone_times": hr}
    if sport == "Ride":
        found["icu_zone_times"] = [
            {"id": f"Z{i + 1}", "secs": secs} for i, secs in enumerate(by_threshold)
        ]
    else:
        found["pace_zone_times"] = by_threshold
    return found


def _wellness(
    a: DemoAthlete,
    tz: ZoneInfo,
    day: date,
    today: date,
    ctl: float,
    atl: float,
    week_ctl: float,
    load: float,
    weight: float,
    resting: int,
    ftp: int,
    rng: random.Random,
) -> dict[str, Any]:
    tsb = ctl - atl
    fatigue = 1 if tsb > 5 else 2 if tsb > -10 else 3 if tsb > -25 else 4
    partial = day == today  # today's record: morning values only
    record: dict[str, Any] = {
        "id": day.isoformat(),
        "ctl": round(ctl, 4),
        "atl": round(atl, 4),
        "rampRate": round(ctl - week_ctl, 4),
        "ctlLoad": round(load, 1),
        "atlLoad": round(load, 1),
        "sportInfo": [
            {"type": "Ride", "eftp": round(ftp * 0.98, 1), "wPrime": 18500.0, "pMax": 900.0}
        ]
        if "Ride" in a.sports
        else [],
        "updated": stamp(datetime.combine(day, time(7, 5), tz)),
        "weight": round(weight + math.sin(day.toordinal() / 9) * 0.6 + rng.uniform(-0.3, 0.3), 1),
        "restingHR": resting + max(0, -round(tsb / 8)) + rng.randrange(-2, 3),
        "hrv": round(rng.uniform(48, 82) + tsb / 3, 1),
        "hrvSDNN": None,
        "menstrualPhase": None,
        "menstrualPhasePredicted": None,
        "kcalConsumed": None,
        "sleepSecs": rng.randrange(21600, 30600, 60),
        "sleepScore": float(rng.randrange(60, 95)),
        "sleepQuality": rng.randrange(1, 5),
        "avgSleepingHR": round(resting + rng.uniform(2, 7), 1),
        "soreness": None if partial else min(4, max(1, fatigue + rng.randrange(-1, 2))),
        "fatigue": None if partial else fatigue,
        "stress": None if partial else rng.randrange(1, 4),
        "mood": None if partial else rng.randrange(1, 4),
        "motivation": None if partial else rng.randrange(1, 4),
        "injury": None,
        "spO2": None,
        "systolic": None,
        "diastolic": None,
        "hydration": None,
        "hydrationVolume": None,
        "readiness": float(rng.randrange(45, 95)),
        "baevskySI": None,
        "bloodGlucose": None,
        "lactate": None,
        "bodyFat": None,
        "abdomen": None,
        "vo2max": 52.0,
        "comments": None,
        "steps": None if partial else rng.randrange(4000, 16000),
        "respiration": round(rng.uniform(12.5, 16), 1),
        "carbohydrates": None,
        "protein": None,
        "fatTotal": None,
        "locked": False,
        "tempWeight": False,
        "tempRestingHR": False,
    }
    if a.id == "i100002":
        record["HeartMathCoherence"] = round(rng.uniform(1.5, 4.5), 2)  # athlete custom field
    return record


# -- streams (generated on demand) ----------------------------------------------------------


def streams_for(
    activity: dict[str, Any], segments: list[Segment], ftp: int
) -> dict[str, list[Any]]:
    """1 Hz streams that follow the session's segments (seeded by the activity id)."""
    rng = random.Random(activity["id"])
    sport = SPORT_OF.get(activity["type"], "Run")
    resting = activity.get("icu_resting_hr") or 50
    lthr = activity.get("lthr") or 165
    speed_base = activity.get("threshold_pace") or 0.0
    out: dict[str, list[Any]] = {k: [] for k in activity.get("stream_types", [])}
    out.setdefault("time", [])
    hr = float(resting + 20)
    dist = 0.0
    alt = 120.0
    lat, lng = -41.29 + rng.uniform(0, 0.01), 174.78 + rng.uniform(0, 0.01)
    t = 0
    lngs: list[float] = []
    for seg in segments:
        for _ in range(seg.secs):
            target_hr = resting + (lthr - resting) * (0.45 + 0.6 * seg.intensity)
            hr += (target_hr - hr) / 25
            if sport == "Ride":
                speed = 6.0 + 4 * seg.intensity + rng.uniform(-0.4, 0.4)
            else:
                speed = max(0.0, speed_base * seg.intensity + rng.uniform(-0.08, 0.08))
            dist += speed
            alt += rng.uniform(-0.6, 0.6)
            lat += speed / 111_000
            values = {
                "time": t,
                "heartrate": round(hr + rng.uniform(-1.5, 1.5)),
                "distance": round(dist, 1),
                "velocity_smooth": round(speed, 3),
                "cadence": round(
                    (88 if sport == "Ride" else 86 if sport == "Run" else 28) + rng.uniform(-3, 3)
                )
                if seg.intensity > 0
                else 0,
                "watts": max(0, round(ftp * seg.intensity + rng.uniform(-12, 12)))
                if seg.intensity > 0
                else 0,
                "altitude": round(alt, 1),
                "latlng": round(lat, 6),
            }
            values["fixed_watts"] = values["watts"]
            for key in out:
                out[key].append(values.get(key))
            lngs.append(round(lng, 6))
            t += 1
    if "latlng" in out:
        out["_lng"] = lngs
    return out
