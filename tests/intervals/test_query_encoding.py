"""The upstream query is put on the URL by the gateway (app/intervals/client.py ``with_query``)
rather than by httpx's ``params=``: Intervals.icu must receive exactly the same bytes."""

from __future__ import annotations

import httpx
import pytest

from app.intervals.client import with_query

BASE = "https://intervals.icu/api/v1/athlete/i12345/activities"


@pytest.mark.parametrize(
    "query",
    [
        [("oldest", "2026-07-01T00:00:00"), ("newest", "2026-07-31T23:59:59"), ("limit", "10")],
        [("fields", "id,name,type"), ("q", "a b&c#d/é+%"), ("empty", "")],
        [("tags", "#race"), ("name", "Zürich ö"), ("ids", "i1,i2")],
        [("a:b", "x~y-z_1.2,3:4"), ("sp ace", " "), ("plus", "+,:"), ("nl", "a\nb\tc")],
        [("fields", ",,::"), ("emoji", "🏃 5:00/km"), ("semi", "a;b=c?d")],
        [("k", "a\x00b"), ("x", "2,3")],  # the control characters that separate pairs
        [("k\x01m", "1")],
        [("a", "b=c"), ("d", "e")],  # one '=' or '&' too many: a name or value holds it
        [("x", "1"), ("y", "2&z=3")],
        [("a=b", "1"), ("c&", "2")],
        [("limit", 10), ("ratio", 1.5), ("oldest", "2026-07-01T00:00:00")],
        [],
    ],
)
def test_the_query_on_the_wire_is_what_httpx_params_would_send(
    query: list[tuple[str, str | int | float | bool | None]],
) -> None:
    with httpx.Client() as http:
        by_params = http.build_request("GET", BASE, params=query or None).url
        by_us = http.build_request("GET", with_query(BASE, query)).url
    assert by_us.raw_path == by_params.raw_path
    assert by_us == by_params
