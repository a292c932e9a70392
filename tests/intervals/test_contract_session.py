"""The read areas of issue 14 against the published OpenAPI document: the fake's answers on
the routes the new tools use validate against the spec's schemas (for a metric and an imperial
athlete), and every request a session method sends (``CASES`` in test_endpoints.py) is an
operation of the spec with query parameters the spec declares.

The document and its reading rules (``spec``, ``nullable``, ``response_schema``) come from
test_contract.py, which skips or fails when the document is missing."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest

from app.intervals import AthleteSession
from tests.fake_intervals import FakeIntervals
from tests.intervals import test_contract
from tests.intervals.conftest import JORDAN, LENA
from tests.intervals.test_contract import nullable, response_schema, spec
from tests.intervals.test_endpoints import CASES, Call

__all__ = ["spec"]  # the fixture, imported so pytest finds it here
pytestmark = getattr(test_contract, "pytestmark", [])  # same skip rule when it has one

Sample = tuple[str, str, str, Any]  # method, spec template, URL, query


def metric_samples(fake: FakeIntervals) -> list[Sample]:
    data = fake.athletes[LENA.id]
    plain = next(a for a, v in data.activities.items() if v.get("source") != "STRAVA")
    ride = next(a for a, v in data.activities.items() if v.get("icu_average_watts"))
    workout = next(iter(data.workouts))
    return [
        (
            "GET",
            "/api/v1/athlete/{id}/athlete-summary{ext}",
            "/api/v1/athlete/0/athlete-summary",
            {"start": "2020-01-01", "end": "2030-01-01"},
        ),
        ("GET", "/api/v1/athlete/{id}/activity-tags", "/api/v1/athlete/0/activity-tags", {}),
        (
            "GET",
            "/api/v1/athlete/{id}/activities/search-full",
            "/api/v1/athlete/0/activities/search-full",
            {"q": "#long"},
        ),
        (
            "GET",
            "/api/v1/athlete/{id}/activities-around",
            "/api/v1/athlete/0/activities-around",
            {"activity_id": plain},
        ),
        (
            "GET",
            "/api/v1/athlete/{athleteId}/activities/{ids}",
            f"/api/v1/athlete/0/activities/{plain},{ride}",
            {"intervals": "true"},
        ),
        *[
            (
                "GET",
                f"/api/v1/activity/{{id}}/{kind}-histogram",
                f"/api/v1/activity/{ride}/{kind}-histogram",
                {},
            )
            for kind in ("power", "pace", "gap")
        ],
        *[
            (
                "GET",
                f"/api/v1/activity/{{id}}/{kind}-curve{{ext}}",
                f"/api/v1/activity/{ride}/{kind}-curve.json",
                {},
            )
            for kind in ("power", "hr", "pace")
        ],
        (
            "GET",
            "/api/v1/athlete/{id}/wellness/{date}",
            "/api/v1/athlete/0/wellness/2026-04-30",
            {},
        ),
        (
            "GET",
            "/api/v1/athlete/{id}/events{format}",
            "/api/v1/athlete/0/events",
            {"oldest": "2020-01-01", "newest": "2030-01-01", "category": "TARGET,SEASON_START"},
        ),
        (
            "GET",
            "/api/v1/athlete/{athleteId}/sport-settings/{id}",
            "/api/v1/athlete/0/sport-settings/Swim",
            {},
        ),
        (
            "GET",
            "/api/v1/athlete/{id}/workouts/{workoutId}",
            f"/api/v1/athlete/0/workouts/{workout}",
            {},
        ),
        ("GET", "/api/v1/athlete/{id}/training-plan", "/api/v1/athlete/0/training-plan", {}),
        ("GET", "/api/v1/athlete/{id}/gear{ext}", "/api/v1/athlete/0/gear", {}),
    ]


def imperial_samples(fake: FakeIntervals) -> list[Sample]:
    acts = fake.athletes[JORDAN.id].activities
    swim = next(a for a, v in acts.items() if v["type"] == "Swim")
    return [
        ("GET", "/api/v1/athlete/{id}", "/api/v1/athlete/0", {}),
        (
            "GET",
            "/api/v1/athlete/{athleteId}/sport-settings",
            "/api/v1/athlete/0/sport-settings",
            {},
        ),
        (
            "GET",
            "/api/v1/activity/{id}/pace-curve{ext}",
            f"/api/v1/activity/{swim}/pace-curve",
            {"gap": "true"},
        ),
        ("GET", "/api/v1/activity/{id}", f"/api/v1/activity/{swim}", {}),
        ("GET", "/api/v1/athlete/{id}/training-plan", "/api/v1/athlete/0/training-plan", {}),
    ]


async def test_read_area_samples_validate(spec: dict[str, Any]) -> None:
    fake = FakeIntervals(seed=3)
    components = nullable(spec["components"])
    for athlete, samples in ((LENA, metric_samples(fake)), (JORDAN, imperial_samples(fake))):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=fake.app),
            base_url="http://fake",
            auth=("API_KEY", athlete.api_key),
        ) as http:
            for method, template, url, params in samples:
                response = await http.request(method, url, params=params)
                assert response.status_code == 200, (url, response.text)
                schema = response_schema(spec, method, template)
                assert schema is not None, template
                body = response.json()
                assert body, f"{url} returned an empty sample"
                jsonschema.validate(body, {**nullable(schema), "components": components})


def spec_operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The spec operation whose path template matches a concrete path (``{ext}`` may be empty,
    ``.json`` or ``.csv``; other parameters are one path segment)."""
    for template, operations in spec["paths"].items():
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", template):
            if part in ("{ext}", "{format}"):
                pattern += r"(?:\.json|\.csv)?"
            elif part.startswith("{"):
                pattern += r"[^/]+"
            else:
                pattern += re.escape(part)
        if re.fullmatch(pattern, path) and method.lower() in operations:
            operation: dict[str, Any] = operations[method.lower()]
            return operation
    return None


@pytest.mark.parametrize(
    ("call", "method"), [pytest.param(case[1], case[2], id=case[0]) for case in CASES]
)
async def test_session_requests_are_in_the_spec(
    spec: dict[str, Any], fake: FakeIntervals, lena: AthleteSession, call: Call, method: str
) -> None:
    """Every session method calls an operation the spec declares, with query parameters the
    operation declares (a misspelt ``bucketSize`` or ``activity_id`` would fail here)."""
    await call(lena, fake)
    seen = fake.requests.last
    assert seen.method == method
    operation = spec_operation(spec, seen.method, seen.path)
    assert operation is not None, f"{seen.method} {seen.path} is not in the spec"
    declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    assert set(seen.query) <= declared, (seen.path, set(seen.query) - declared)


def test_spec_operation_rejects_unknown_paths(spec: dict[str, Any]) -> None:
    assert spec_operation(spec, "GET", "/api/v1/athlete/0/training-plan") is not None
    assert spec_operation(spec, "GET", "/api/v1/athlete/0/fitness") is None  # a common mistake
    assert spec_operation(spec, "GET", "/api/v1/activities/i1/streams") is None
    assert spec_operation(spec, "DELETE", "/api/v1/athlete/0/training-plan") is None
