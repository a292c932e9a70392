"""project_fitness: from the latest fitness/fatigue over the planned calendar to the next race
(or a date), a what-if weekly load or taper, and the solved taper for a race-day form; two
upstream requests; in the athlete's local days."""

from __future__ import annotations

from datetime import date, timedelta

from app.analytics.fitness import simulate
from tests.mcp.tools.harness import ToolBench, no_nulls


def planned_loads(bench: ToolBench, first: date, last: date) -> list[float]:
    loads = [0.0] * ((last - first).days + 1)
    for e in bench.fake.athletes[bench.athlete.id].events.values():
        day = date.fromisoformat(e["start_date_local"][:10])
        if e["category"] == "WORKOUT" and first <= day <= last and e.get("icu_training_load"):
            loads[(day - first).days] += e["icu_training_load"]
    return loads


async def test_to_the_next_race_over_the_plan_with_a_taper_for_form(bench: ToolBench) -> None:
    result = await bench.call("project_fitness", {"target_form": 5})
    assert [c.path.rsplit("/", 1)[-1] for c in bench.fake.requests] == ["wellness", "events"]
    answer = result.structured
    assert answer is not None and no_nulls(answer)
    race = next(
        e
        for e in sorted(
            bench.fake.athletes[bench.athlete.id].events.values(),
            key=lambda e: e["start_date_local"],
        )
        if e["category"].startswith("RACE")
    )
    assert answer["target_date"] == race["start_date_local"][:10]
    assert answer["target_name"] == race["name"]
    wellness = bench.fake.athletes[bench.athlete.id].wellness
    start = answer["start"]["date"]
    assert answer["start"]["fitness_ctl"] == round(wellness[start]["ctl"], 1)
    first = date.fromisoformat(start) + timedelta(days=1)
    target = date.fromisoformat(answer["target_date"])
    expected = simulate(
        first, wellness[start]["ctl"], wellness[start]["atl"], planned_loads(bench, first, target)
    )
    assert answer["race_day"]["fitness_ctl"] == round(expected[-1].ctl, 1)
    assert answer["race_day"]["form_tsb"] == round(expected[-1].form, 1)
    assert len(answer["points"]) == len(expected) and answer["points"][0]["date"] == str(first)
    taper = answer["taper"]
    assert abs(taper["race_day"]["form_tsb"] - 5) <= 1.05
    assert 8 <= taper["taper_days"] <= 14 and 40 <= taper["taper_load_pct"] <= 60
    assert f"taper {taper['taper_days']} days at {taper['taper_load_pct']}% load" in result.text
    assert result.text.startswith("projection (Pacific/Auckland) from ")


async def test_a_what_if_weekly_load_and_taper(bench: ToolBench) -> None:
    result = await bench.call(
        "project_fitness", {"target_date": "2026-08-20", "weekly_load": 420, "taper_days": 3}
    )
    answer = result.structured
    assert answer is not None and answer["target_date"] == "2026-08-20"
    loads = [p["load"] for p in answer["points"]]
    assert loads[-3:] == [30.0] * 3 and set(loads[:-3]) == {60.0}
    assert answer["scenario"] == "420 load/week, a 3-day taper at 50%"
    assert "taper" not in answer


async def test_without_a_race_or_a_date_it_asks_for_a_date(bench: ToolBench) -> None:
    events = bench.fake.athletes[bench.athlete.id].events
    for key in [k for k, e in events.items() if e["category"].startswith("RACE")]:
        del events[key]
    result = await bench.call("project_fitness")
    assert result.is_error and "give target_date" in result.text


async def test_a_past_or_far_target_is_refused(bench: ToolBench) -> None:
    for day in ("2026-07-01", "2027-06-01"):
        result = await bench.call("project_fitness", {"target_date": day})
        assert result.is_error and "within 182 days" in result.text
    assert len(bench.fake.requests) == 0


async def test_a_new_athlete_without_history_or_plan_starts_from_zero(bench: ToolBench) -> None:
    data = bench.fake.athletes[bench.athlete.id]
    data.wellness.clear()
    for key in [k for k, e in data.events.items() if e["category"] == "WORKOUT"]:
        del data.events[key]
    result = await bench.call("project_fitness", {"target_date": "2026-08-10"})
    answer = result.structured
    assert answer is not None and answer["start"]["fitness_ctl"] == 0
    assert answer["race_day"]["fitness_ctl"] == 0 and "nothing planned" in answer["scenario"]


async def test_arguments_out_of_range_are_refused(bench: ToolBench) -> None:
    for args in ({"weekly_load": -1}, {"taper_days": 60}, {"target_form": 99}):
        result = await bench.call("project_fitness", args)
        assert result.is_error and "must be between" in result.text
    assert len(bench.fake.requests) == 0


async def test_every_race_up_to_the_target_is_listed_with_its_priority(bench: ToolBench) -> None:
    today, athlete = bench.fake.today, bench.athlete.id
    bench.fake.add_race(athlete, today + timedelta(days=40), "Club 10k", "C")
    bench.fake.add_race(athlete, today + timedelta(days=60), "After the target", "A")
    result = await bench.call(
        "project_fitness", {"target_date": (today + timedelta(days=50)).isoformat()}
    )
    answer = result.structured
    assert answer is not None and "target_name" not in answer  # the target is no race day
    first = next(
        e
        for e in sorted(
            bench.fake.athletes[athlete].events.values(), key=lambda e: e["start_date_local"]
        )
        if e["category"].startswith("RACE") and e["start_date_local"][:10] > today.isoformat()
    )
    assert answer["races"] == [
        {
            "date": first["start_date_local"][:10],
            "name": first["name"],
            "priority": first["category"][-1],
        },
        {"date": (today + timedelta(days=40)).isoformat(), "name": "Club 10k", "priority": "C"},
    ]
    assert f"races: {first['name']} ({first['category'][-1]})" in result.text
    assert f"Club 10k (C) {today + timedelta(days=40)}" in result.text
