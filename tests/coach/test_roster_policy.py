"""The roster's ``athlete`` argument and the sharing policy, as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.coach.policy import EVERYTHING_SHARED, SharingPolicy
from app.coach.roster import NotOnRoster, RosterCache, RosterEntry, merged

NOW = datetime(2026, 11, 30, 6, tzinfo=UTC)
LENA = RosterEntry("i100002", "Lena Vogel")
AROHA = RosterEntry("i100001", "Aroha Ngata")
LENA_B = RosterEntry("i100009", "Lena Berg")


def test_an_athlete_is_named_by_id_full_name_or_unique_first_name() -> None:
    roster = merged("i100004", [[LENA, AROHA]])
    assert roster.resolve("i100002") is LENA
    assert roster.resolve("100002") is LENA
    assert roster.resolve("  aroha   NGATA ") is AROHA
    assert roster.resolve("aroha") is AROHA


def test_an_ambiguous_or_unknown_name_is_refused() -> None:
    roster = merged("i100004", [[LENA, LENA_B, AROHA]])
    with pytest.raises(NotOnRoster, match="Several athletes"):
        roster.resolve("lena")
    with pytest.raises(NotOnRoster, match="not on your roster"):
        roster.resolve("i100003")
    with pytest.raises(NotOnRoster):
        roster.resolve("i100004")  # the owner is never on their own roster


def test_a_gateway_share_wins_over_the_same_athlete_from_intervals() -> None:
    shared = RosterEntry("i100002", "Lena Vogel", "gateway", 7, SharingPolicy.hiding(["weight"]))
    roster = merged("i100004", [[shared], [LENA]])
    assert roster.resolve("i100002") is shared


def test_the_cache_expires_and_is_invalidated() -> None:
    cache = RosterCache(ttl=timedelta(seconds=60))
    roster = merged("i100004", [[LENA]])
    cache.put(roster, NOW)
    assert cache.get("i100004", NOW + timedelta(seconds=59)) is roster
    assert cache.get("i100004", NOW + timedelta(seconds=60)) is None
    cache.put(roster, NOW)
    cache.invalidate("i100004")
    assert cache.get("i100004", NOW) is None


def test_hidden_categories_are_removed_at_every_depth_until_the_date() -> None:
    data = {"name": "Lena", "city": "Freiburg", "days": [{"weight": 61.2, "hrv": 70}]}
    policy = SharingPolicy.hiding(["weight", "location"], until=NOW + timedelta(days=1))
    assert policy.filter(data, NOW) == {
        "name": "Lena",
        "city": None,
        "days": [{"weight": None, "hrv": 70}],
    }
    assert policy.filter(data, NOW + timedelta(days=1)) == data
    assert EVERYTHING_SHARED.filter(data, NOW) == data


def test_an_unknown_category_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sharing categories"):
        SharingPolicy.hiding(["heart"])
