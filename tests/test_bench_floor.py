"""bench/floor.py's relays do what the floor claims: the gateway's own upstream request, its
answer passed on whole, and nothing the gateway could leave out."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from bench import floor
from bench.run import WINDOW_DAYS
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.fake_intervals.server import FakeServer


@pytest.mark.parametrize("mode", floor.RELAY_MODES)
def test_a_relay_answers_the_activities_upstream_sends_for_the_gateways_request(
    mode: str, tmp_path: Path
) -> None:
    athlete = DEMO_ATHLETES[0]
    last = date.today() - timedelta(days=2)
    first = last - timedelta(days=WINDOW_DAYS)
    window = {"oldest": first.isoformat(), "newest": last.isoformat(), "limit": 10}
    with (
        FakeServer(FakeIntervals()) as server,
        floor.relay(server.base_url, mode, tmp_path) as (
            url,
            _,
        ),
    ):
        asked = {"athlete": athlete.id, "key": athlete.api_key, **window}
        relayed = httpx.post(url, json={**asked, "fields": floor.SUMMARY_FIELDS})
        direct = httpx.get(
            f"{server.api_base_url}/athlete/{athlete.id}/activities",
            params={**window, "fields": floor.SUMMARY_FIELDS},
            auth=("API_KEY", athlete.api_key),
        )
        refused = httpx.post(url, json={**asked, "key": "not-the-key"})
        direct_refused = httpx.get(direct.url, auth=("API_KEY", "not-the-key"))
    assert relayed.status_code == 200 and relayed.json() == direct.json()
    assert len(relayed.json()) == 10
    assert set().union(*relayed.json()) <= set(floor.SUMMARY_FIELDS.split(","))
    assert refused.status_code == direct_refused.status_code >= 400  # upstream's, passed on


def test_the_report_holds_the_gateway_against_the_bytes_relay() -> None:
    def rounds(cpu: float, p50: float) -> list[dict[str, float]]:
        one = {"cpu_ms_per_call": cpu, "overhead_p50_ms": p50, "overhead_p99_ms": 2 * p50}
        return [{**one, "p50_ms": 1.0 + p50, "direct_p50_ms": 1.0} for _ in range(3)]

    results = {
        "gateway": rounds(1.2, 1.3),
        "relay, bytes": rounds(0.3, 0.1),
        "relay, json": rounds(0.35, 0.3),
    }
    text = floor.render(results, "2025-11-25", 100)
    assert "| gateway | 1.2 | 1.3 | 2.6 |" in text
    assert "adds 1.2 ms p50 above the bytes relay's 0.1 ms" in text
