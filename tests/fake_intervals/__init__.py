"""A faithful fake Intervals.icu API for tests, benchmarks and the local demo.

    fake = FakeIntervals(seed=42, today=date(2026, 5, 1))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
    fake.faults.rate_limit(retry_after=2)
    fake.requests.last.path

Run it as a server with ``python -m tests.fake_intervals --port 8790``.
"""

from tests.fake_intervals.app import DEFAULT_OAUTH_CLIENT, FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES, DemoAthlete
from tests.fake_intervals.faults import Faults, RecordedRequest, RequestLog
from tests.fake_intervals.server import FakeServer

__all__ = [
    "DEFAULT_OAUTH_CLIENT",
    "DEMO_ATHLETES",
    "DemoAthlete",
    "FakeIntervals",
    "FakeServer",
    "Faults",
    "RecordedRequest",
    "RequestLog",
]
