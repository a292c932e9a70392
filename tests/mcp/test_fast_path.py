"""The ``tools/call`` fast path (app/mcp/fastpath.py) answers exactly as the SDK does: the same
request is sent twice to one live gateway, once with the fast path on and once off
(GATEWAY_MCP_FAST_PATH), and the two answers must be the same status, headers and bytes. The
fast path's own count proves which requests it answered and which it left to the SDK."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.server._streamable_http_modern import _SingleExchangeDispatchContext
from mcp.server.connection import Connection
from mcp.shared.inbound import _ROUTING_HEADER_NAMES, InboundModernRoute, classify_inbound_request
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import DEFAULT_NEGOTIATED_VERSION
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS

from app.mcp.fastpath import (
    LEGACY_TRANSPORT,
    ROUTING_HEADERS,
    SDK_ROUTING_HEADERS,
    Era,
    ToolCallFastPath,
    envelope_connection,
    era_of,
    exchange_context,
    fast_tool_call,
    stateless_connection,
)
from app.mcp.tools.registry import served, takes_athlete
from app.mcp.views import APP_MIME_TYPE, EXTENSION_ID
from app.mcp.views.tools import APP_ONLY
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.support import BERLIN, Gateway, gateway_settings
from tests.mcp.test_tools import TODAY
from tests.support.gateway import live_gateway
from tests.support.live import free_port

MOMENT = datetime(2026, 7, 29, 10, tzinfo=UTC)
LEGACY = "2025-11-25"
MODERN = "2026-07-28"
COACH = next(a for a in DEMO_ATHLETES if a.id == "i100004")
OUTSIDER = next(a for a in DEMO_ATHLETES if a.id == "i100003")
APPS = {"extensions": {EXTENSION_ID: {"mimeTypes": [APP_MIME_TYPE]}}}
HANDLE = re.compile(rb"chg_[A-Za-z0-9_-]+")
"""A write preview's confirmation handle: random per preview, whichever path answers."""
SAME_HEADERS = ("content-type", "mcp-session-id", "www-authenticate", "cache-control", "allow")
"""Every header either path may set (and content-length, checked beside the body)."""


@contextmanager
def gateway(tmp_path: Path, database_url: str) -> Iterator[Gateway]:
    port = free_port()
    fake = FakeIntervals(today=TODAY, now=lambda: MOMENT)
    with live_gateway(gateway_settings(tmp_path, database_url, port), port, fake) as gw:
        gw.pin(MOMENT)
        yield gw


def fast_path(gw: Gateway) -> ToolCallFastPath:
    switch = gw.app.state.mcp.fast_path
    assert isinstance(switch, ToolCallFastPath)
    return switch


def envelope(capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities or {},
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
    }


def call(name: Any, arguments: Any, era: str = LEGACY, request_id: Any = 7) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if era == MODERN:
        params["_meta"] = envelope()
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def headers_for(token: str, body: Any, era: str = LEGACY) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": era,
    }
    if era == MODERN and isinstance(body, dict):
        headers["Mcp-Method"] = body["method"]
        if body["method"] == "tools/call":
            headers["Mcp-Name"] = body["params"]["name"]
    return headers


async def send(gw: Gateway, body: Any, headers: dict[str, str]) -> httpx2.Response:
    """POST ``body`` with exactly ``headers`` (no Accept unless given: the client's default
    ``*/*`` is taken out)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx2.AsyncClient(timeout=30) as http:
        request = http.build_request("POST", gw.mcp_url, headers=headers, content=content)
        if "Accept" not in headers:
            del request.headers["Accept"]
        return await http.send(request)


async def both_ways(
    gw: Gateway, body: Any, headers: dict[str, str], *, before: Any = None
) -> tuple[httpx2.Response, bool]:
    """The answer with the fast path on, after checking the SDK (fast path off) gives the same
    status, headers and bytes; and whether the fast path answered it. ``before`` runs before
    each of the two requests (to queue an upstream fault for each)."""
    switch = fast_path(gw)
    answers = []
    taken = []
    for enabled in (True, False):
        switch.enabled = enabled
        if before is not None:
            before()
        count = switch.answered
        answers.append(await send(gw, body, headers))
        taken.append(switch.answered > count)
    switch.enabled = True
    fast, sdk = answers
    assert fast.status_code == sdk.status_code, (fast.text, sdk.text)
    for name in SAME_HEADERS:
        assert fast.headers.get(name) == sdk.headers.get(name), name
    assert HANDLE.sub(b"chg_X", fast.content) == HANDLE.sub(b"chg_X", sdk.content)
    if fast.headers.get("content-length") != sdk.headers.get("content-length"):
        assert HANDLE.search(fast.content), "only a random handle may change the length"
    assert not taken[1]
    return fast, taken[0]


def result_of(response: httpx2.Response) -> dict[str, Any]:
    result = response.json()["result"]
    assert isinstance(result, dict)
    return result


def text_of(response: httpx2.Response) -> str:
    return str(result_of(response)["content"][0]["text"])


def tool_examples(
    gw: Gateway, token: str, era: str
) -> Iterator[tuple[str, dict[str, Any], dict[str, str]]]:
    """Every served athlete tool's own example call for ``BERLIN``, as (tool name, body,
    headers) with ``token``."""
    for spec in served():
        if takes_athlete(spec):
            body = call(spec.name, spec.example_arguments(gw.fake, BERLIN.id), era)
            yield spec.name, body, headers_for(token, body, era)


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_every_tool_example_is_answered_alike_by_both_paths(
    tmp_path: Path, database_url: str, era: str
) -> None:
    """Every served tool's own example call, with a token that may read and write."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN, scope="mcp.read mcp.write")
        taken = {}
        for name, body, headers in tool_examples(gw, caller.token, era):
            response, taken[name] = await both_ways(gw, body, headers)
            assert response.status_code == 200 and "result" in response.json(), name
    assert all(taken.values())


async def test_write_tools_preview_alike_with_a_write_token(
    tmp_path: Path, database_url: str
) -> None:
    """A write tool's preview (no change made): the same answer both ways."""
    writes = [s for s in served() if s.scope == "mcp.write" and takes_athlete(s)]
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN, scope="mcp.read mcp.write")
        for spec in writes:
            arguments = {
                k: v
                for k, v in spec.example_arguments(gw.fake, BERLIN.id).items()
                if k != "confirm"
            }
            body = call(spec.name, arguments)
            response, taken = await both_ways(gw, body, headers_for(caller.token, body))
            assert taken and response.status_code == 200, spec.name


async def test_refusals_and_errors_are_answered_alike(tmp_path: Path, database_url: str) -> None:
    with gateway(tmp_path, database_url) as gw:
        reader = await gw.seed(BERLIN)
        coach = await gw.seed(COACH)
        cases = {
            "bad arguments": (reader, call("get_activities", {"oldest": "yesterday-ish"})),
            "unknown argument": (reader, call("get_activities", {"colour": "red"})),
            "arguments not an object": (reader, call("get_activities", [1, 2])),
            "unknown tool": (reader, call("get_horoscope", {})),
            "app-only tool without MCP Apps": (reader, call(sorted(APP_ONLY)[0], {})),
            "athlete argument, not a coach": (
                reader,
                call("get_athlete_profile", {"athlete": "lena"}),
            ),
            "coach, athlete not on the roster": (
                coach,
                call("get_athlete_profile", {"athlete": OUTSIDER.id}),
            ),
            "string request id": (reader, call("get_athlete_profile", {}, request_id="a-1")),
            "no params": (reader, {"jsonrpc": "2.0", "id": 0, "method": "tools/call"}),
            "name not a string": (reader, call(42, {})),
            "2026-07-28, bad arguments": (
                reader,
                call("get_activities", {"oldest": "yesterday-ish"}, MODERN),
            ),
            "2026-07-28, app-only tool": (reader, call(sorted(APP_ONLY)[0], {}, MODERN)),
        }
        answers = {}
        for label, (caller, body) in cases.items():
            era = MODERN if "_meta" in body.get("params", {}) else LEGACY
            headers = headers_for(caller.token, body, era)
            answers[label], taken = await both_ways(gw, body, headers)
            assert taken, label
        mismatched = call("get_athlete_profile", {}, MODERN)
        headers = {**headers_for(reader.token, mismatched, MODERN), "Mcp-Name": "get_fitness"}
        answers["2026-07-28, Mcp-Name disagrees"], taken = await both_ways(gw, mismatched, headers)
        assert taken
    assert result_of(answers["unknown tool"])["isError"] is True
    assert "chart views only" in text_of(answers["app-only tool without MCP Apps"])
    assert "roster" in text_of(answers["coach, athlete not on the roster"])
    assert answers["string request id"].json()["id"] == "a-1"
    assert answers["arguments not an object"].json()["error"]["code"] == -32602
    assert answers["no params"].json()["error"]["code"] == -32602
    assert "chart views only" in text_of(answers["2026-07-28, app-only tool"])
    assert answers["2026-07-28, Mcp-Name disagrees"].status_code == 400


async def test_an_upstream_error_is_answered_alike(tmp_path: Path, database_url: str) -> None:
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_athlete_profile", {})
        response, taken = await both_ways(
            gw,
            body,
            headers_for(caller.token, body),
            before=lambda: gw.fake.faults.fail(404, path=f"/athlete/{BERLIN.id}"),
        )
    assert taken
    assert result_of(response)["isError"] is True


async def test_a_client_with_mcp_apps_gets_the_view_data_both_ways(
    tmp_path: Path, database_url: str
) -> None:
    """Legacy era: ``initialize`` declares MCP Apps (through the SDK), then a linked tool's
    answer carries its view data and an app-only tool runs, on both paths."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": APPS,
                "clientInfo": {"name": "raw", "version": "1"},
            },
        }
        _, taken_initialize = await both_ways(gw, initialize, headers_for(caller.token, initialize))
        linked = call("get_fitness", {})
        with_view, taken_linked = await both_ways(gw, linked, headers_for(caller.token, linked))
        app_only = call(sorted(APP_ONLY)[0], {})
        app_answer, taken_app = await both_ways(gw, app_only, headers_for(caller.token, app_only))
    assert not taken_initialize and taken_linked and taken_app
    assert "intervals-gateway/view" in result_of(with_view).get("_meta", {})
    assert "chart views only" not in json.dumps(app_answer.json())


async def test_requests_the_fast_path_is_not_certain_about_go_to_the_sdk(
    tmp_path: Path, database_url: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_athlete_profile", {})
        ok = headers_for(caller.token, body)
        cases: dict[str, tuple[Any, dict[str, str]]] = {
            "missing Accept": (body, {k: v for k, v in ok.items() if k != "Accept"}),
            "Accept without JSON": (body, {**ok, "Accept": "text/html"}),
            "Accept with SSE only": (body, {**ok, "Accept": "text/event-stream"}),
            "wrong Content-Type": (body, {**ok, "Content-Type": "text/plain"}),
            "wrong protocol header": (body, {**ok, "MCP-Protocol-Version": "2099-01-01"}),
            "foreign Host": (body, {**ok, "Host": "evil.example"}),
            "foreign Origin": (body, {**ok, "Origin": "https://evil.example"}),
            "not JSON": (b"{nope", ok),
            "batch": ([body, body], ok),
            "notification": ({k: v for k, v in body.items() if k != "id"}, ok),
            "other method": ({**body, "method": "tools/list", "params": {}}, ok),
            "progress token": (
                {**body, "params": {**body["params"], "_meta": {"progressToken": 3}}},
                ok,
            ),
            "2026-07-28 tools/list": (
                {**call("get_athlete_profile", {}, MODERN), "method": "tools/list"},
                {},
            ),
            "2026-07-28, unknown version": (
                call("get_athlete_profile", {}, MODERN),
                {
                    **headers_for(caller.token, call("x", {}, MODERN), MODERN),
                    "MCP-Protocol-Version": "2099-01-01",
                },
            ),
        }
        answers = {}
        for label, (sent, headers) in cases.items():
            headers = headers or headers_for(caller.token, sent, MODERN)
            answers[label], taken = await both_ways(gw, sent, headers)
            assert not taken, label
    assert answers["missing Accept"].status_code == 406
    assert answers["Accept without JSON"].status_code == 406
    assert answers["Accept with SSE only"].status_code == 406
    assert answers["wrong Content-Type"].status_code in (400, 415)
    assert answers["wrong protocol header"].status_code == 400
    assert answers["foreign Host"].status_code == 421
    assert answers["foreign Origin"].status_code == 403
    assert answers["not JSON"].status_code == 400
    assert answers["notification"].status_code == 202
    assert answers["progress token"].status_code == 200
    assert answers["2026-07-28 tools/list"].status_code == 200
    assert answers["2026-07-28, unknown version"].status_code == 400


def scope_with(*headers: tuple[str, str]) -> dict[str, Any]:
    return {"headers": [(k.lower().encode(), v.encode()) for k, v in headers]}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((), Era(DEFAULT_NEGOTIATED_VERSION, modern=False)),
        ((("MCP-Protocol-Version", "2025-06-18"),), Era("2025-06-18", modern=False)),
        (
            (("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/call")),
            Era(MODERN, modern=True),
        ),
        ((("MCP-Protocol-Version", MODERN), ("Mcp-Method", "tools/list")), None),
        ((("MCP-Protocol-Version", MODERN),), None),
        ((("MCP-Protocol-Version", "2099-01-01"),), None),
        ((("Accept", "application/json"), ("Accept", "text/html")), None),
        ((("MCP-Protocol-Version", LEGACY), ("MCP-Protocol-Version", MODERN)), None),
    ],
)
def test_the_era_is_read_from_the_routing_headers_as_the_sdk_reads_it(
    headers: tuple[tuple[str, str], ...], expected: Era | None
) -> None:
    assert era_of(scope_with(*headers)) == expected


@pytest.mark.parametrize(
    ("body", "taken"),
    [
        (call("get_activities", {}), True),
        (b"{nope", False),
        (json.dumps([call("get_activities", {})]), False),
        (json.dumps({"jsonrpc": "2.0", "method": "tools/call", "params": {}}), False),
        (json.dumps({**call("x", {}), "method": "tools/list"}), False),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "result": {}}), False),
        (json.dumps({**call("x", {}), "id": None}), False),
        (call("x", {}) | {"params": {"name": "x", "_meta": {"progressToken": "p"}}}, False),
        (call("x", {}, MODERN), False),
    ],
)
def test_only_a_plain_tools_call_is_taken(body: Any, taken: bool) -> None:
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    assert (fast_tool_call(raw.encode() if isinstance(raw, str) else raw) is not None) is taken


async def one_pass_both_ways(
    gw: Gateway, body: Any, headers: dict[str, str]
) -> tuple[httpx2.Response, bool]:
    """:func:`both_ways`, and whether the fast path encoded the answer in one pass
    (app/mcp/answer_bytes.py) rather than through the SDK's shaping."""
    switch = fast_path(gw)
    before = switch.one_pass
    response, taken = await both_ways(gw, body, headers)
    assert taken
    return response, switch.one_pass > before


AWKWARD_NAME = 'Früh-Lauf über den "Berg" ☃ 🚴 \x7f\\ end'
"""An activity name whose spelling differs between the eras' encoders (UTF-8 as is for the
handshake era, ASCII escapes for 2026-07-28) and needs escaping in both."""


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_a_plain_answer_is_encoded_in_one_pass_as_the_sdk_encodes_it(
    tmp_path: Path, database_url: str, era: str
) -> None:
    """Non-ASCII, quotes, a backslash and DEL in the answer, list and detail tools: the same
    bytes as the SDK's, built in one pass."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        activity = gw.fake.upload_activity(BERLIN.id, name=AWKWARD_NAME)
        today = MOMENT.date().isoformat()
        bodies = [
            call("get_activities", {"start_date": today, "end_date": today}, era),
            call("get_activity_details", {"activity_id": activity}, era, request_id="ид-1"),
            call("get_athlete_profile", {}, era),
        ]
        answers = []
        for body in bodies:
            response, one_pass = await one_pass_both_ways(
                gw, body, headers_for(caller.token, body, era)
            )
            assert one_pass, response.text
            answers.append(response)
    assert AWKWARD_NAME in text_of(answers[0])
    assert AWKWARD_NAME in text_of(answers[1])
    assert ("Früh".encode() in answers[0].content) is (era == LEGACY)
    assert answers[1].json()["id"] == "ид-1"


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_errors_and_answers_with_meta_are_shaped_by_the_sdk(
    tmp_path: Path, database_url: str, era: str
) -> None:
    """An ``isError`` result, a refusal raised as a JSON-RPC error and a coach's answer about a
    roster athlete (``_meta.athlete``) are answered by the fast path but shaped by the SDK."""
    with gateway(tmp_path, database_url) as gw:
        reader = await gw.seed(BERLIN)
        coach = await gw.seed(COACH)
        athlete = next(iter(gw.fake.coaching[COACH.id]))
        cases = {
            "isError": (reader, call("get_horoscope", {}, era)),
            "bad arguments": (reader, call("get_activities", {"start_date": "soon"}, era)),
            "JSON-RPC error": (reader, call("get_activities", [1, 2], era)),
            "coach's athlete": (coach, call("get_athlete_profile", {"athlete": athlete}, era)),
        }
        answers = {}
        for label, (caller, body) in cases.items():
            answers[label], one_pass = await one_pass_both_ways(
                gw, body, headers_for(caller.token, body, era)
            )
            assert not one_pass, label
    assert result_of(answers["isError"])["isError"] is True
    assert result_of(answers["bad arguments"])["isError"] is True
    assert answers["JSON-RPC error"].json()["error"]["code"] == -32602
    assert "athlete" in result_of(answers["coach's athlete"])["_meta"]


async def test_view_data_is_shaped_by_the_sdk(tmp_path: Path, database_url: str) -> None:
    """A client that draws views gets ``_meta`` view data: not a plain answer."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_fitness", {}, MODERN)
        body["params"]["_meta"] = envelope(APPS)
        response, one_pass = await one_pass_both_ways(
            gw, body, headers_for(caller.token, body, MODERN)
        )
    assert not one_pass
    assert "intervals-gateway/view" in result_of(response)["_meta"]


async def test_a_2026_call_with_mcp_param_headers_is_left_to_the_sdk(
    tmp_path: Path, database_url: str
) -> None:
    """``Mcp-Param-*`` headers are checked against the tool's schema by the SDK only."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_activities", {"limit": 3}, MODERN)
        headers = {**headers_for(caller.token, body, MODERN), "Mcp-Param-Limit": "3"}
        response, one_pass = await one_pass_both_ways(gw, body, headers)
    assert not one_pass
    assert response.status_code == 200 and "result" in response.json()


def test_the_routing_headers_read_here_are_the_sdks() -> None:
    """What lets the fast path skip ``find_duplicated_routing_header`` and hand
    ``classify_inbound_request`` the routing headers only: they are the SDK's routing headers,
    and ``era_of`` refuses a repeat of any of them."""
    sdk = {name.encode() for name in _ROUTING_HEADER_NAMES}
    assert sdk == SDK_ROUTING_HEADERS
    assert sdk <= set(ROUTING_HEADERS)
    era = era_of(
        scope_with(
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "get_fitness"),
            ("Accept", "application/json"),
        )
    )
    assert era is not None
    assert era.routing == {
        "mcp-protocol-version": MODERN,
        "mcp-method": "tools/call",
        "mcp-name": "get_fitness",
    }


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_a_one_pass_answer_sends_its_headers_in_the_sdks_order(
    tmp_path: Path, database_url: str, era: str
) -> None:
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_athlete_profile", {}, era)
        switch = fast_path(gw)
        orders = []
        for enabled in (True, False):
            switch.enabled = enabled
            response = await send(gw, body, headers_for(caller.token, body, era))
            named = (b"content-type", b"content-length")
            orders.append([(k, v) for k, v in response.headers.raw if k.lower() in named])
        switch.enabled = True
        assert switch.one_pass == 1
    assert orders[0] == orders[1]


async def test_a_2026_call_repeating_a_routing_header_is_refused_by_the_sdk(
    tmp_path: Path, database_url: str
) -> None:
    """The SDK's ``find_duplicated_routing_header`` refusal, which the fast path does not run
    itself (``era_of`` leaves such a request to the SDK): the same 400 either way."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_athlete_profile", {}, MODERN)
        headers = [*headers_for(caller.token, body, MODERN).items(), ("Mcp-Name", "get_fitness")]
        switch = fast_path(gw)
        answers = []
        for enabled in (True, False):
            switch.enabled = enabled
            async with httpx2.AsyncClient(timeout=30) as http:
                answers.append(
                    await http.post(gw.mcp_url, headers=headers, content=json.dumps(body))
                )
        switch.enabled = True
        assert switch.answered == 0
    fast, sdk = answers
    assert fast.status_code == sdk.status_code == 400
    assert fast.content == sdk.content
    assert "more than once" in fast.json()["error"]["message"]


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_headers_are_checked_anew_when_any_value_the_checks_read_changes(
    tmp_path: Path, database_url: str, era: str
) -> None:
    """The fast path keeps the header values that passed the SDK's checks: a request that
    changes any one of them after a passing call (Host, Origin, Content-Type, Accept) is still
    refused by the SDK in its own words, and a passing one is still answered here."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        body = call("get_athlete_profile", {}, era)
        ok = headers_for(caller.token, body, era)
        variants = {
            "foreign Host": ({**ok, "Host": "evil.example"}, 421),
            "foreign Origin": ({**ok, "Origin": "https://evil.example"}, 403),
            "Accept without JSON": ({**ok, "Accept": "text/event-stream"}, 406),
            "wrong Content-Type": ({**ok, "Content-Type": "text/plain"}, None),
        }
        switch = fast_path(gw)

        async def answered_here(headers: dict[str, str]) -> tuple[httpx2.Response, bool]:
            count = switch.one_pass
            response, _ = await both_ways(gw, body, headers)
            return response, switch.one_pass > count

        assert (await answered_here(ok))[1]
        for label, (headers, status) in variants.items():
            refused, here = await answered_here(headers)
            assert not here, label
            assert refused.status_code == status or (status is None and refused.is_error), label
            assert (await answered_here(ok))[1], label


def read_differently(era: str) -> dict[str, bytes]:
    """Bodies of one ``tools/call`` that Python's ``json.loads`` (what the bearer guard and
    the 2026-07-28 entry parse with) and ``pydantic_core.from_json`` (the handshake-era
    transport's parser) read differently, or where a shared parse could be mistaken."""
    text = json.dumps(call("get_athlete_profile", {}, era))
    arguments = '"arguments": {}'
    return {
        "UTF-16": text.encode("utf-16-le"),
        "byte order mark": b"\xef\xbb\xbf" + text.encode(),
        "nested 300 deep": text.replace(
            arguments, '"arguments": {"x": ' + "[" * 300 + "]" * 300 + "}"
        ).encode(),
        "lone surrogate": text.replace(arguments, '"arguments": {"x": "\\ud800"}').encode(),
        "duplicate name": text.replace(arguments, '"name": "get_fitness", ' + arguments).encode(),
        "big id": text.replace('"id": 7', '"id": 123456789012345678901234567890').encode(),
    }


@pytest.mark.parametrize("era", [LEGACY, MODERN])
async def test_a_body_json_parsers_read_differently_is_answered_as_the_sdk_answers_it(
    tmp_path: Path, database_url: str, era: str
) -> None:
    """The body is parsed once per parser for the whole request: the bearer guard's parse is
    reused only where the SDK parses the same way (2026-07-28), so a handshake-era body that
    only ``json.loads`` reads is still refused by the SDK, and every body gets the answer the
    SDK gives it."""
    with gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(BERLIN)
        headers = headers_for(caller.token, call("get_athlete_profile", {}, era), era)
        switch = fast_path(gw)
        here = {}
        for label, body in read_differently(era).items():
            count = switch.one_pass
            answer, _ = await both_ways(gw, body, headers)
            here[label] = switch.one_pass > count
            assert answer.status_code in (200, 400), label
    refused = {"UTF-16", "byte order mark", "nested 300 deep", "lone surrogate"}
    if era == MODERN:  # json.loads reads them all; the last name disagrees with Mcp-Name
        refused = {"duplicate name"}
    assert {label for label, taken in here.items() if not taken} == refused


def connection_state(connection: Connection) -> dict[str, Any]:
    """Everything a connection holds, by value (its event by whether it is set, its exit
    stack by its callbacks)."""
    state: dict[str, Any] = {}
    for name, value in vars(connection).items():
        if hasattr(value, "is_set"):
            value = ("event", value.is_set())
        elif hasattr(value, "_exit_callbacks"):
            value = ("exit stack", list(value._exit_callbacks))
        state[name] = value
    return state


ENVELOPES: dict[str, dict[str, Any]] = {
    "info and capabilities": {
        "io.modelcontextprotocol/clientCapabilities": {
            "sampling": {},
            "roots": {"listChanged": True},
        },
        "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1", "title": "C"},
    },
    "capabilities only": {"io.modelcontextprotocol/clientCapabilities": {}},
    "mis-shaped info": {
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": 3},
    },
    "mis-shaped capabilities": {
        "io.modelcontextprotocol/clientCapabilities": [],
        "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
    },
    "extension capabilities": {
        "io.modelcontextprotocol/clientCapabilities": {
            "extensions": {
                "io.modelcontextprotocol/ui": {"mimeTypes": ["text/html;profile=mcp-app"]}
            }
        },
        "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
    },
}


@pytest.mark.parametrize("envelope", sorted(ENVELOPES))
async def test_a_modern_call_runs_on_the_connection_the_sdk_builds(envelope: str) -> None:
    """``handle_modern_request`` builds ``Connection.from_envelope`` of the envelope; the fast
    path builds the same connection (``envelope_connection``) without its ``anyio.Event()``
    look-up of the async library: same values, same kind of event, set, nothing shared."""
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN, **ENVELOPES[envelope]}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"_meta": meta}}
    route = classify_inbound_request(body)
    assert isinstance(route, InboundModernRoute)
    sdks = Connection.from_envelope(
        route.protocol_version, route.client_info, route.client_capabilities
    )
    first, second = envelope_connection(route), envelope_connection(route)
    assert connection_state(first) == connection_state(sdks) == connection_state(second)
    assert type(first.initialized) is type(sdks.initialized)
    assert first.initialized is not second.initialized and first.state is not second.state
    assert first.exit_stack is not second.exit_stack
    assert first.client_params == sdks.client_params
    assert first.client_capabilities == sdks.client_capabilities


def exchange_state(exchange: _SingleExchangeDispatchContext) -> dict[str, Any]:
    """Every field of a dispatch context by value (its event by kind and whether it is set)."""
    state = dict(vars(exchange))
    event = state.pop("cancel_requested")
    state["cancel_requested"] = (type(event), event.is_set())
    return state


@pytest.mark.parametrize("progress_token", [None, "p-1"])
async def test_a_call_is_dispatched_with_the_context_the_sdk_builds(progress_token: Any) -> None:
    """The SDK builds a ``_SingleExchangeDispatchContext`` per request (its
    ``cancel_requested`` from ``anyio.Event()``); the fast path builds the same
    (``exchange_context``), with a fresh, unset event of the same kind per request, and the
    handshake era's transport context equal to the session manager's."""
    metadata = ServerMessageMetadata(request_context=None)
    sdk_transport = TransportContext(kind="streamable-http", can_send_request=False)
    assert sdk_transport == LEGACY_TRANSPORT
    sdks = _SingleExchangeDispatchContext(
        transport=sdk_transport,
        request_id=7,
        message_metadata=metadata,
        progress_token=progress_token,
    )
    first = exchange_context(LEGACY_TRANSPORT, 7, metadata, progress_token)
    second = exchange_context(LEGACY_TRANSPORT, 7, metadata, progress_token)
    assert exchange_state(first) == exchange_state(sdks) == exchange_state(second)
    assert first.cancel_requested is not second.cancel_requested
    first.cancel_requested.set()
    assert not second.cancel_requested.is_set()


@pytest.mark.parametrize(
    "version", sorted({*HANDSHAKE_PROTOCOL_VERSIONS, DEFAULT_NEGOTIATED_VERSION})
)
def test_a_handshake_era_call_runs_on_the_connection_the_sdk_builds(version: str) -> None:
    """The SDK's stateless legacy path builds ``Connection.from_envelope(version, None,
    None)``; the fast path builds the same connection without validating the absent values."""
    built, sdks = stateless_connection(version), Connection.from_envelope(version, None, None)
    assert connection_state(built) == connection_state(sdks)
    assert built.has_standalone_channel == sdks.has_standalone_channel
    assert built.initialize_accepted and sdks.initialize_accepted
