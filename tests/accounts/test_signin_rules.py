"""Sign-in rules without a server: which failure the user is told about, the attempt limits and
the post-sign-in redirect."""

from __future__ import annotations

import pytest

from app.accounts.signin import (
    SigninFailed,
    SigninLimiters,
    SigninProblem,
    parse_api_key,
    parse_athlete_id,
    safe_next_path,
    verify_api_key,
)
from app.accounts.upstream import AthleteProfile
from app.attempts import AttemptLimiter, MemoryAttemptCounter
from app.intervals.credentials import ApiKey, Credential
from app.intervals.errors import AccessDenied, CredentialRejected, UpstreamUnavailable

GOOD_KEY = "good-key"
OWNER = AthleteProfile("i1", "Owner", "Europe/Berlin")
COACHED = AthleteProfile("i2", "Coached", "UTC")


async def fake_lookup(credential: Credential, athlete_id: str) -> AthleteProfile:
    """Intervals.icu semantics: a wrong key gets 403 on athlete 0 too (CredentialRejected);
    a good key gets 403 on athletes it may not read."""
    if credential != ApiKey(GOOD_KEY):
        if athlete_id == "0":
            raise CredentialRejected("rejected", status=403)
        raise AccessDenied("denied", status=403)
    if athlete_id in ("0", "i1"):
        return OWNER
    if athlete_id == "i2":
        return COACHED
    raise AccessDenied("denied", status=403)


async def unreachable(credential: Credential, athlete_id: str) -> AthleteProfile:
    raise UpstreamUnavailable("down")


@pytest.mark.parametrize("athlete_id", ["", "0", "i1"])
async def test_a_good_key_signs_in_only_as_its_owner(athlete_id: str) -> None:
    verified = await verify_api_key(fake_lookup, parse_athlete_id(athlete_id), GOOD_KEY)
    assert verified.profile == OWNER
    assert GOOD_KEY not in repr(verified)


@pytest.mark.parametrize(
    ("athlete_id", "key", "lookup", "problem"),
    [
        ("", "bad-key", fake_lookup, SigninProblem.KEY_REJECTED),
        ("i1", "bad-key", fake_lookup, SigninProblem.KEY_REJECTED),
        ("i2", GOOD_KEY, fake_lookup, SigninProblem.NOT_THE_OWNER),  # it can read i2
        ("i3", GOOD_KEY, fake_lookup, SigninProblem.NOT_THE_OWNER),
        ("", GOOD_KEY, unreachable, SigninProblem.UPSTREAM_UNAVAILABLE),
    ],
)
async def test_each_failure_has_its_own_message(
    athlete_id: str, key: str, lookup: object, problem: SigninProblem
) -> None:
    with pytest.raises(SigninFailed) as caught:
        await verify_api_key(lookup, parse_athlete_id(athlete_id), key)  # type: ignore[arg-type]
    assert caught.value.problem is problem


def test_form_input_is_checked_before_any_call() -> None:
    with pytest.raises(SigninFailed, match="athlete id"):
        parse_athlete_id("../admin")
    with pytest.raises(SigninFailed, match="Enter your"):
        parse_api_key("   ")
    assert parse_api_key("  abc  ") == "abc"
    assert parse_athlete_id("  ") == "0"


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/authorize?client_id=x&state=y", "/authorize?client_id=x&state=y"),
        ("/account", "/account"),
        ("//evil.example/x", "/account"),
        ("/\\evil.example", "/account"),
        ("https://evil.example/", "/account"),
        ("javascript:alert(1)", "/account"),
        ("", "/account"),
        (None, "/account"),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(candidate: str | None, expected: str) -> None:
    assert safe_next_path(candidate) == expected


async def test_attempts_are_limited_per_address_only() -> None:
    now = [0.0]
    limiters = SigninLimiters(
        per_address=MemoryAttemptCounter(AttemptLimiter(3, 60, clock=lambda: now[0]))
    )
    for _ in range(3):
        assert await limiters.reserve("198.51.100.1") is None
    assert await limiters.reserve("198.51.100.1") == 60
    assert await limiters.reserve("198.51.100.2") is None  # another address
    now[0] = 45.0
    assert await limiters.reserve("198.51.100.1") == 15
    await limiters.release("198.51.100.1")  # a verified key gives its attempt back
    assert await limiters.reserve("198.51.100.1") is None
