"""What the fake Intervals.icu server holds for an athlete, read straight from it with the
athlete's API key: the reference every tool answer seen through the gateway is checked against."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.fake_intervals.data import DemoAthlete

WINDOW_DAYS = 21


def window(athlete: DemoAthlete) -> tuple[str, str]:
    """The last WINDOW_DAYS days in the athlete's own time zone (as the tools count dates)."""
    today = datetime.now(ZoneInfo(athlete.timezone)).date()
    return (today - timedelta(days=WINDOW_DAYS)).isoformat(), today.isoformat()


def upstream(fake_api: str, athlete: DemoAthlete, path: str, **query: str) -> Any:
    response = httpx.get(
        f"{fake_api}{path}", params=query, auth=("API_KEY", athlete.api_key), timeout=30
    )
    response.raise_for_status()
    return response.json()


def activity_ids(fake_api: str, athlete: DemoAthlete, oldest: str, newest: str) -> list[str]:
    """Ids of the athlete's activities in [oldest, newest], newest first."""
    rows = upstream(
        fake_api, athlete, f"/athlete/{athlete.id}/activities", oldest=oldest, newest=newest
    )
    return [str(row["id"]) for row in rows]


def wellness_dates(fake_api: str, athlete: DemoAthlete, oldest: str, newest: str) -> list[str]:
    rows = upstream(
        fake_api, athlete, f"/athlete/{athlete.id}/wellness", oldest=oldest, newest=newest
    )
    return sorted(str(row["id"]) for row in rows)


def event_ids(fake_api: str, athlete: DemoAthlete, oldest: str, newest: str) -> list[int]:
    rows = upstream(
        fake_api, athlete, f"/athlete/{athlete.id}/events", oldest=oldest, newest=newest
    )
    return sorted(int(row["id"]) for row in rows)


def today_in(athlete: DemoAthlete) -> date:
    return datetime.now(ZoneInfo(athlete.timezone)).date()
