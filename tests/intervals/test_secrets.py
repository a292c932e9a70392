"""The credential never appears in a log record, an exception string, a repr or a tool-facing
model — including httpx/httpcore debug logging and every error path."""

from __future__ import annotations

import base64
import logging
import traceback

import pytest

from app.intervals import ApiKey, BearerToken, IntervalsClient, IntervalsError, Timeouts
from tests.fake_intervals import FakeIntervals
from tests.intervals.conftest import LENA, VirtualTime, make_client

SECRETS = [LENA.api_key, "wrong-key-4c1d2e", "bearer-token-8e7f6a"]


def forbidden_strings() -> list[str]:
    out = list(SECRETS)
    out += [base64.b64encode(f"API_KEY:{s}".encode()).decode() for s in SECRETS]
    return out


def assert_clean(text: str) -> None:
    for secret in forbidden_strings():
        assert secret not in text


async def exercise(client: IntervalsClient, fake: FakeIntervals) -> list[str]:
    """Drive success and every failure path; return the text of all raised errors."""
    texts: list[str] = []
    good = client.session(ApiKey(LENA.api_key))
    sessions = [
        good,
        client.session(ApiKey("wrong-key-4c1d2e")),
        client.session(BearerToken("bearer-token-8e7f6a")),
    ]
    texts += [repr(s) for s in sessions] + [str(ApiKey(LENA.api_key))]
    await good.get_athlete()
    fake.faults.rate_limit(times=5, retry_after=1).fail(503, times=5)
    fake.faults.malformed_json().fail(422, body="bad thing")
    calls = [
        *(s.get_athlete() for s in sessions),
        good.get_athlete(),
        good.get_athlete(),
        good.get_athlete(),
        good.get_athlete(),
        good.get_activity("i1"),
    ]
    for call in calls:
        try:
            await call
        except IntervalsError as exc:
            texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    return texts


async def test_secret_absent_from_logs_and_errors(
    fake: FakeIntervals, vt: VirtualTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(fake, vt, timeouts=Timeouts(total=0.05))
    texts = await exercise(client, fake)
    fake.faults.hang(seconds=5)
    try:
        await client.session(ApiKey(LENA.api_key)).add_message("i1", "x")
    except IntervalsError as exc:
        texts.append("".join(traceback.format_exception(exc)))
    assert len(caplog.records) > 5  # requests and retries were logged
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(str(record.args))
    for text in texts:
        assert_clean(text)
    assert all("redacted" in t for t in texts[:4])


async def test_api_key_in_athlete_profile_is_dropped(lena: object, fake: FakeIntervals) -> None:
    from app.intervals import AthleteSession

    assert isinstance(lena, AthleteSession)
    athlete = await lena.get_athlete()
    assert fake.requests.last.status == 200
    assert_clean(athlete.model_dump_json())
    assert "icu_api_key" not in (athlete.model_extra or {})


def test_credential_cannot_be_pickled_or_printed() -> None:
    import pickle

    key = ApiKey(LENA.api_key)
    assert LENA.api_key not in repr(key) and LENA.api_key not in f"{key}"
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert ApiKey(LENA.api_key) == key and ApiKey("other") != key
    with pytest.raises(ValueError):
        ApiKey("has space")
    with pytest.raises(ValueError):
        BearerToken("")
