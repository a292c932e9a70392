"""stdio mode names the setting that is wrong (newcomer trial): the key's owner is asked first
(``GET /athlete/0``), so a wrong key names INTERVALS_API_KEY even with INTERVALS_ATHLETE_ID set,
and an athlete the key cannot read names INTERVALS_ATHLETE_ID."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.intervals.client import IntervalsClient
from app.intervals.credentials import ApiKey
from app.mcp.stdio import SingleAthlete
from app.mcp.tools.errors import ToolFailure
from tests.fake_intervals import FakeIntervals

AROHA_KEY = "fake-key-aroha-1f3c9a2b7d"
COACH_KEY = "fake-key-coach-5a90e1d26b"


@asynccontextmanager
async def provider(key: str, athlete_id: str) -> AsyncIterator[SingleAthlete]:
    fake = FakeIntervals()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app))
    async with IntervalsClient("http://intervals.test/api/v1", http=http) as client:
        yield SingleAthlete(client, ApiKey(key), athlete_id)
    await http.aclose()


async def failure(key: str, athlete_id: str) -> str:
    async with provider(key, athlete_id) as single:
        with pytest.raises(ToolFailure) as caught:
            async with single.open():
                pass
    return str(caught.value)


@pytest.mark.parametrize("athlete_id", ["0", "i100001", "i100003"])
async def test_a_wrong_key_names_intervals_api_key_even_with_an_athlete_id(
    athlete_id: str,
) -> None:
    message = await failure("fake-key-wrong", athlete_id)
    assert "rejected the API key from INTERVALS_API_KEY" in message
    assert "INTERVALS_ATHLETE_ID" not in message and "someone else" not in message


async def test_an_athlete_the_key_cannot_read_names_intervals_athlete_id() -> None:
    message = await failure(AROHA_KEY, "i100003")
    assert message.startswith("INTERVALS_ATHLETE_ID is i100003, but the API key")
    assert "belongs to Aroha Ngata (i100001)" in message
    assert "rejected" not in message


@pytest.mark.parametrize(
    ("key", "athlete_id", "expected"),
    [
        (AROHA_KEY, "0", ("i100001", "Pacific/Auckland")),
        (AROHA_KEY, "i100001", ("i100001", "Pacific/Auckland")),
        (COACH_KEY, "i100002", ("i100002", "Europe/Berlin")),  # shared with the coach
    ],
)
async def test_a_working_pair_opens_the_named_athlete(
    key: str, athlete_id: str, expected: tuple[str, str]
) -> None:
    async with provider(key, athlete_id) as single, single.open() as context:
        assert (context.athlete_id, str(context.timezone)) == expected
