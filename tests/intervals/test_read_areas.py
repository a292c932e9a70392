"""Each read area of issue 14 through the session over the fake: the typed answer carries what a
tool needs (zones with names, units, local dates, windows, one athlete's rows only)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from app.intervals import ApiKey, AthleteSession, IntervalsClient
from app.intervals.errors import NotFound, UnexpectedPayload, ValidationFailed
from app.intervals.ids import InvalidId, curve_range
from tests.fake_intervals import DemoAthlete, FakeIntervals
from tests.intervals.conftest import AROHA, COACH, JORDAN, LENA, SAM, TODAY


@pytest.fixture
def jordan(client: IntervalsClient) -> AthleteSession:
    return client.session(ApiKey(JORDAN.api_key))


def latest(fake: FakeIntervals, athlete: str, sport: str) -> str:
    acts = fake.athletes[athlete].activities.values()
    return max((a for a in acts if a.get("type") == sport), key=lambda a: a["start_date_local"])[
        "id"
    ]


async def test_profile_has_thresholds_and_named_zones_per_sport(lena: AthleteSession) -> None:
    athlete = await lena.get_athlete()
    by_sport = {s.types[0]: s for s in athlete.sport_settings}
    assert set(by_sport) == {"Ride", "Run", "Swim"}
    ride, run, swim = by_sport["Ride"], by_sport["Run"], by_sport["Swim"]
    assert ride.ftp and ride.lthr and ride.max_hr
    assert ride.eftp and 0.9 * ride.ftp < ride.eftp < 1.1 * ride.ftp and run.eftp is None
    assert len(ride.power_zones) == len(ride.power_zone_names) == 7
    assert len(ride.hr_zones) == len(ride.hr_zone_names) == 7
    assert run.threshold_pace and run.pace_units == "MINS_KM" and len(run.pace_zone_names) == 7
    assert swim.pace_units == "SECS_100M"
    assert athlete.measurement_preference == "meters" and athlete.timezone == "Europe/Berlin"
    assert "icu_api_key" not in (athlete.model_extra or {})
    assert await lena.get_sport_settings("Swim") == swim


async def test_imperial_athlete_runs_in_miles_and_swims_in_yards(
    fake: FakeIntervals, jordan: AthleteSession
) -> None:
    athlete = await jordan.get_athlete()
    assert athlete.measurement_preference == "feet" and athlete.timezone == "America/Denver"
    units = {s.types[0]: s.pace_units for s in athlete.sport_settings}
    assert units == {"Run": "MINS_MILE", "Swim": "SECS_100Y"}
    swim = await jordan.get_activity(latest(fake, JORDAN.id, "Swim"))
    assert swim.model_extra and swim.model_extra["pool_length"] == pytest.approx(22.86)
    assert swim.pace and swim.distance  # metres and m/s upstream, whatever the preference


async def test_search_by_tag_name_and_window(lena: AthleteSession) -> None:
    tags = await lena.list_activity_tags()
    assert "long" in tags and tags == sorted(set(tags))
    tagged = await lena.search_activities("#long")
    assert tagged and all("long" in a.tags for a in tagged)
    named = await lena.search_activities("RUN", limit=2)
    assert len(named) == 2 and all("run" in (a.name or "").lower() for a in named)
    window = await lena.list_activities("2026-04-01", "2026-04-30")
    kinds = Counter(a.type for a in window)
    assert {"Swim"} <= set(kinds) and len(kinds) > 2  # type filtering is the caller's job


async def test_streams_of_chosen_channels(fake: FakeIntervals, jordan: AthleteSession) -> None:
    swim = latest(fake, JORDAN.id, "Swim")
    streams = await jordan.get_streams(swim, ["velocity_smooth", "distance"])
    assert {s.type for s in streams} == {"velocity_smooth", "distance"}
    moving = fake.athletes[JORDAN.id].activities[swim]["moving_time"]
    assert all(len(s.data) == moving for s in streams)


async def test_best_efforts_and_histograms(fake: FakeIntervals, lena: AthleteSession) -> None:
    run = latest(fake, LENA.id, "Run")
    efforts = await lena.get_best_efforts(run, "velocity_smooth", distance=1000, count=2)
    assert len(efforts.efforts) == 2 and all(
        e.distance and e.distance >= 1000 for e in efforts.efforts
    )
    hr = await lena.get_histogram(run, "hr")
    assert sum(b.secs or 0 for b in hr) == fake.athletes[LENA.id].activities[run]["moving_time"]
    pace = await lena.get_histogram(run, "pace")
    assert pace and [b.start for b in pace] == sorted(b.start for b in pace)
    with pytest.raises(ValueError, match="power and heart rate"):
        await lena.get_histogram(run, "pace", bucket_size=10)


async def test_messages_and_activities_around(fake: FakeIntervals, lena: AthleteSession) -> None:
    commented = next(iter(fake.athletes[LENA.id].messages))
    messages = await lena.list_messages(commented)
    assert messages and messages[0].content and messages[0].activity_id == commented
    around = await lena.activities_around(commented, limit=4)
    ids = [a.id for a in around]
    assert commented in ids and len(ids) <= 4
    assert [a.start_date_local for a in around] == sorted(
        (a.start_date_local for a in around), reverse=True
    )


async def test_curves_for_ranges_and_seasons_in_one_answer(lena: AthleteSession) -> None:
    curves = await lena.get_power_curves(
        "Ride", curves=[curve_range(date(2026, 1, 1), "2026-03-31"), "s0", "90d"], newest=TODAY
    )
    assert [c.id for c in curves.curves] == ["r.2026-01-01.2026-03-31", "s0", "90d"]
    ranged = curves.curves[0]
    assert (ranged.start_date_local, ranged.end_date_local) == (
        "2026-01-01T00:00:00",
        "2026-03-31T00:00:00",
    )
    assert curves.curves[2].days == 90
    for curve in curves.curves:
        assert len(curve.values) == len(curve.secs) and 60 in curve.secs
    inside = {a.id for a in await lena.list_activities("2026-01-01", "2026-03-31")}
    assert set(ranged.activity_id) <= inside  # the bests come from the range's activities
    empty = await lena.get_power_curves("Ride", curves=[curve_range("2024-01-01", "2024-12-31")])
    assert empty.curves[0].secs == [] and empty.curves[0].values == []  # no data then
    pace = await lena.get_pace_curves("Run", curves=["1y", "42d"])
    assert all(c.distance and len(c.values) == len(c.distance) for c in pace.curves)


async def test_curves_of_one_activity(fake: FakeIntervals, lena: AthleteSession) -> None:
    ride = next(
        a["id"] for a in fake.athletes[LENA.id].activities.values() if a.get("icu_average_watts")
    )
    power = await lena.get_activity_curve(ride, "power")
    assert power.secs and power.values == sorted(power.values, reverse=True)
    moving = fake.athletes[LENA.id].activities[ride]["moving_time"]
    assert all(
        0 <= s < e <= moving for s, e in zip(power.start_index, power.end_index, strict=True)
    )
    assert power.watts_per_kg and len(power.watts_per_kg) == len(power.values)
    hr = await lena.get_activity_curve(ride, "hr")
    assert hr.secs and len(hr.values) == len(hr.secs)
    swim = latest(fake, LENA.id, "Swim")
    pace = await lena.get_activity_curve(swim, "pace", gap=False)
    assert pace.distance[:2] == [50.0, 100.0] and pace.type == "PACE"
    assert pace.values == sorted(pace.values)  # longer takes longer
    with pytest.raises(ValueError, match="pace curve only"):
        await lena.get_activity_curve(ride, "power", gap=True)


async def test_fitness_series_over_a_window(lena: AthleteSession) -> None:
    days = await lena.list_wellness("2026-04-03", "2026-04-30", fields=["ctl", "atl", "rampRate"])
    assert [d.id for d in days] == [date(2026, 4, 3) + timedelta(n) for n in range(28)]
    assert all(d.ctl is not None and d.atl is not None and d.ramp_rate is not None for d in days)


async def test_one_wellness_day_in_full(lena: AthleteSession) -> None:
    day = await lena.get_wellness("2026-04-29")
    assert day.id == date(2026, 4, 29)
    assert day.resting_hr and day.hrv and day.sleep_secs and day.soreness and day.fatigue
    assert day.model_extra and "HeartMathCoherence" in day.model_extra  # athlete's own field


async def test_events_filtered_by_category(lena: AthleteSession) -> None:
    events = await lena.list_events("2026-04-01", "2026-05-31", category=["NOTE", "RACE_A"])
    assert {e.category for e in events} == {"NOTE", "RACE_A"}
    race = next(e for e in events if e.category == "RACE_A")
    assert race.start_date_local == datetime(2026, 5, 25)
    markers = await lena.list_events(
        "2025-01-01", "2026-05-31", category=["TARGET", "SEASON_START", "PLAN", "SICK"]
    )
    by_category = {
        c: [e for e in markers if e.category == c] for c in Counter(e.category for e in markers)
    }
    targets = by_category["TARGET"]
    assert [t.start_date_local.date() for t in targets] == [date(2026, 4, 27), date(2026, 5, 4)]
    assert all(t.for_week and t.load_target and t.time_target for t in targets)
    seasons = sorted(e.start_date_local.date() for e in by_category["SEASON_START"])
    assert seasons == [TODAY - timedelta(days=485), TODAY - timedelta(days=120)]
    (plan,) = by_category["PLAN"]
    assert plan.start_date_local.date() == date(2026, 4, 13) and plan.plan_folder_id
    (sick,) = by_category["SICK"]
    assert sick.end_date_local and (sick.end_date_local - sick.start_date_local).days == 3
    # a multi-day event is listed for any window it runs into
    overlapping = await lena.list_events(
        TODAY - timedelta(days=34), TODAY - timedelta(days=34), category=["SICK"]
    )
    assert [e.id for e in overlapping] == [sick.id]


async def test_training_plan_applied_or_not(client: IntervalsClient, lena: AthleteSession) -> None:
    plan = await lena.get_training_plan()
    assert plan.training_plan_start_date == date(2026, 4, 13)  # a Monday, two weeks back
    assert plan.training_plan and plan.training_plan.type == "PLAN"
    assert plan.training_plan.children and all(
        w.day is not None for w in plan.training_plan.children
    )
    none = await client.session(ApiKey(COACH.api_key)).get_training_plan()
    assert none.training_plan_id is None and none.training_plan is None


async def test_library_folders_and_one_workout_with_structure(
    fake: FakeIntervals, lena: AthleteSession
) -> None:
    folders = await lena.list_folders()
    assert {f.type for f in folders} == {"FOLDER", "PLAN"}
    folder = next(f for f in folders if f.type == "FOLDER")
    assert folder.children and all(w.folder_id == folder.id for w in folder.children)
    workout = await lena.get_workout(folder.children[0].id)
    assert workout.name == folder.children[0].name
    assert workout.workout_doc and workout.workout_doc["steps"] and workout.description
    with pytest.raises(NotFound):
        await lena.get_workout(999_999)


async def test_gear_distance_time_and_reminders(fake: FakeIntervals, lena: AthleteSession) -> None:
    gear = {g.type: g for g in await lena.list_gear()}
    bike = gear["Bike"]
    rides = [
        a
        for a in fake.athletes[LENA.id].activities.values()
        if (a.get("gear") or {}).get("id") == bike.id
    ]
    assert bike.activities == len(rides) and bike.time == sum(a["moving_time"] for a in rides)
    assert bike.distance == pytest.approx(sum(a["distance"] for a in rides), abs=1)
    chain = bike.reminders[0]
    assert chain.name == "Replace chain" and chain.distance == 3_000_000
    assert chain.distance_used and chain.distance_used <= (bike.distance or 0)
    assert chain.percent_used == pytest.approx(chain.distance_used / 3_000_000 * 100, abs=0.1)
    shoes = gear["Shoes"].reminders[0]
    assert shoes.days == 365 and shoes.days_used == 120
    assert shoes.percent_used and shoes.percent_used >= 120 / 365 * 100 - 0.1


async def test_summary_weeks_oldest_first_with_fitness(
    fake: FakeIntervals, lena: AthleteSession
) -> None:
    weeks = await lena.get_athlete_summary("2026-04-06", "2026-04-26")
    assert [w.date for w in weeks] == [date(2026, 4, 6), date(2026, 4, 13), date(2026, 4, 20)]
    acts = [
        a
        for a in fake.athletes[LENA.id].activities.values()
        if "2026-04-06" <= a["start_date_local"][:10] <= "2026-04-26"
    ]
    assert sum(w.count or 0 for w in weeks) == len(acts)
    for week in weeks:
        assert sum(c.moving_time or 0 for c in week.by_category) == week.moving_time
        assert week.fitness is not None and week.fatigue is not None and week.form is not None
        assert week.form == pytest.approx(week.fitness - week.fatigue, abs=1e-3)
    last_day = fake.athletes[LENA.id].wellness["2026-04-26"]
    assert weeks[-1].fitness == last_day["ctl"] and weeks[-1].ramp_rate == last_day["rampRate"]


async def test_summary_keeps_only_the_sessions_athlete(client: IntervalsClient) -> None:
    """A coach's key makes upstream add the coached athletes' rows: never mixed in."""
    coach_key = ApiKey(COACH.api_key)
    own = await client.session(coach_key, "0", owner_id=COACH.id).get_athlete_summary(
        "2026-04-20", "2026-04-26"
    )
    assert own and {w.athlete_id for w in own} == {COACH.id}
    coached = await client.session(coach_key, LENA.id).get_athlete_summary(
        "2026-04-20", "2026-04-26"
    )
    assert coached and {w.athlete_id for w in coached} == {LENA.id}
    with pytest.raises(UnexpectedPayload, match="several athletes"):
        await client.session(coach_key).get_athlete_summary("2026-04-20", "2026-04-26")


async def test_bad_windows_and_strava_stubs_are_clear_errors(
    fake: FakeIntervals, client: IntervalsClient, lena: AthleteSession
) -> None:
    for bad in ("r.2026-03-31.2026-01-01", "1y&type=Run", "r.2026-02-30.2026-03-01"):
        with pytest.raises(InvalidId):
            await lena.get_power_curves("Ride", curves=[bad])
    assert len(fake.requests) == 0  # refused before calling upstream
    with pytest.raises(ValidationFailed):
        await lena.get_athlete_summary("2026-04-30", "2026-04-01")
    stub = next(
        a["id"] for a in fake.athletes[SAM.id].activities.values() if a.get("source") == "STRAVA"
    )
    with pytest.raises(NotFound):
        await client.session(ApiKey(SAM.api_key)).get_activity_curve(stub, "hr")


@pytest.mark.parametrize("athlete", [AROHA, LENA, SAM], ids=lambda a: a.timezone)
async def test_days_cut_at_the_athletes_midnight(
    client: IntervalsClient, athlete: DemoAthlete
) -> None:
    """The fake has a session at 23:40 and one at 00:15 local around TODAY-2: local days, not
    UTC days, decide which day (and which week of the summary) each belongs to."""
    session = client.session(ApiKey(athlete.api_key))
    day_before, day = TODAY - timedelta(days=3), TODAY - timedelta(days=2)
    late = [
        a
        for a in await session.list_activities(day_before, day_before)
        if a.name and a.name.startswith("Late ")
    ]
    early = [
        a
        for a in await session.list_activities(day, day)
        if a.start_date_local == datetime.combine(day, datetime.min.time()).replace(minute=15)
    ]
    assert len(late) == 1 and late[0].start_date_local.date() == day_before
    assert late[0].start_date_local.time().hour == 23
    assert len(early) == 1 and late[0].start_date is not None and early[0].start_date is not None
    utc_days = {late[0].start_date.date(), early[0].start_date.date()}
    assert utc_days != {day_before, day}  # somewhere east or west of UTC the UTC days differ
    summary = await session.get_athlete_summary(day_before, day_before)
    that_day = await session.list_activities(day_before, day_before)
    assert summary[0].count == len([a for a in that_day if not a.is_stub])  # fake: no stubs
