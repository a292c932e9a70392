"""A plain tool answer encoded in one pass (app/mcp/answer_bytes.py) is byte for byte what the
SDK's own passes send, in both protocol eras, for values whose spelling differs between
encoders: non-ASCII and control characters, small, large and non-finite floats, None inside
nested data, big integers, dates. The SDK side is the SDK's code: ``ServerRunner._serialize``
(the dump, the version's surface model, the ``serverInfo`` stamp), then the handshake-era
transport's ``_create_json_response`` or the 2026-07-28 entry's ``_write``."""

from __future__ import annotations

import copy
import pickle
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from mcp.server._streamable_http_modern import _write
from mcp.server.connection import Connection
from mcp.server.lowlevel.server import Server
from mcp.server.runner import ServerRunner
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp_types import (
    Annotations,
    CallToolResult,
    ImageContent,
    InputRequiredResult,
    JSONRPCResponse,
    RequestId,
    TextContent,
)

from app.mcp.answer_bytes import (
    PlainAnswer,
    legacy_answer_bytes,
    modern_answer_bytes,
    plain_answer,
)
from app.mcp.tools.limits import EncodedStructure, compact_json

LEGACY = ("2025-06-18", "2025-11-25")
MODERN = "2026-07-28"
SERVER = Server("intervals-gateway", version="1.2.3", title="Intervals.icu")


class Colour(Enum):
    RED = "red"


AWKWARD: dict[str, Any] = {
    "name": "Früh-Lauf über den Berg ☃ 🚴",
    "controls": 'tab\there, nul\x00, del\x7f, line\u2028sep, quote " and \\ slash /',
    "small": [1e-05, 1e-7, 2.6188748186652302e-05, 5e-324, -0.0, 0.1],
    "large": [1e16, 1e22, 1.7976931348623157e308, 123456789.125, 10**30, -(2**63)],
    "not finite": [float("inf"), float("-inf"), float("nan")],
    "nested": {"none": None, "list": [None, {"deep": [None, 1.5, "é"]}], "empty": {}},
    "flags": [True, False],
    "tuple": (1, "two", 3.0),
    "when": datetime(2026, 7, 29, 10, 30, tzinfo=UTC),
    "day": date(2026, 7, 29),
    "ключ": "значение",
    "odd types": {1: "int key", 2.5: "float key", "decimal": Decimal("1.50"), "bytes": b"raw"},
    "enum": Colour.RED,
}

SPELLED_ALIKE = {key: value for key, value in AWKWARD.items() if key != "small"}
"""No float below 1e-4: the 2026-07-28 answer is encoded by pydantic-core, then escaped."""

RESULTS = {
    "awkward structured content": CallToolResult(
        content=[TextContent(type="text", text="Früh ☃\n🚴 1e-05")], structured_content=AWKWARD
    ),
    "awkward, floats spelled alike": CallToolResult(
        content=[TextContent(type="text", text="Früh ☃\n🚴 \x7f")],
        structured_content=SPELLED_ALIKE,
    ),
    "float-like text": CallToolResult(
        content=[TextContent(type="text", text="1e-05 and 0.00001")], structured_content={}
    ),
    "no structured content": CallToolResult(content=[TextContent(type="text", text="plain")]),
    "no content": CallToolResult(content=[], structured_content={"n": 1}),
    "two texts": CallToolResult(
        content=[TextContent(type="text", text="a"), TextContent(type="text", text="ü")],
        structured_content={},
    ),
}


def sdk_wire(result: CallToolResult, version: str) -> dict[str, Any]:
    """The result dict ``serve_one`` returns: the runner's ``_serialize`` (the dict copy of
    ``_dump_result`` after the chain changes nothing)."""
    runner = ServerRunner(SERVER, Connection.from_envelope(version, None, None), None)
    return dict(runner._serialize("tools/call", version, result))


def sdk_legacy_bytes(request_id: RequestId, result: CallToolResult, version: str) -> bytes:
    transport = StreamableHTTPServerTransport(mcp_session_id=None, is_json_response_enabled=True)
    message = JSONRPCResponse(jsonrpc="2.0", id=request_id, result=sdk_wire(result, version))
    return bytes(transport._create_json_response(message).body)  # type: ignore[arg-type]


async def sdk_modern_bytes(request_id: RequestId, result: CallToolResult) -> bytes:
    message = JSONRPCResponse(jsonrpc="2.0", id=request_id, result=sdk_wire(result, MODERN))
    sent: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.body":
            sent.append(event["body"])

    await _write(message, {"type": "http"}, receive, send)  # type: ignore[arg-type]
    return b"".join(sent)


def plain(result: CallToolResult) -> PlainAnswer:
    answer = plain_answer(result)
    assert answer is not None
    return answer


@pytest.mark.parametrize("request_id", [7, "a-1", "ид-☃"])
@pytest.mark.parametrize("version", LEGACY)
@pytest.mark.parametrize("label", RESULTS)
def test_handshake_era_answer_is_the_sdks_bytes(
    label: str, version: str, request_id: RequestId
) -> None:
    result = RESULTS[label]
    expected = sdk_legacy_bytes(request_id, result, version)
    assert legacy_answer_bytes(request_id, plain(result)) == expected


@pytest.mark.parametrize("request_id", [7, "a-1", "ид-☃"])
@pytest.mark.parametrize("label", RESULTS)
async def test_2026_era_answer_is_the_sdks_bytes(label: str, request_id: RequestId) -> None:
    result = RESULTS[label]
    expected = await sdk_modern_bytes(request_id, result)
    assert modern_answer_bytes(request_id, plain(result), SERVER.server_info_stamp) == expected


def test_the_eras_spell_the_same_answer_differently() -> None:
    """What the one-pass encoder must reproduce: the handshake era sends UTF-8 and pydantic's
    float spelling, the 2026-07-28 era ASCII escapes and Python's."""
    answer = plain(RESULTS["awkward structured content"])
    legacy = legacy_answer_bytes(1, answer)
    modern = modern_answer_bytes(1, answer, SERVER.server_info_stamp)
    assert "Früh".encode() in legacy and b"Fr\\u00fch" in modern
    assert b"0.00001," in legacy and b"1e-05," in modern


@pytest.mark.parametrize(
    "result",
    [
        CallToolResult(content=[TextContent(type="text", text="no")], is_error=True),
        CallToolResult(content=[], structured_content={}, meta={"athlete": "Lena"}),
        CallToolResult(
            content=[TextContent(type="text", text="x", annotations=Annotations(priority=1.0))]
        ),
        CallToolResult(content=[TextContent(type="text", text="x", meta={"k": "v"})]),
        CallToolResult(content=[ImageContent(type="image", data="AA==", mime_type="image/png")]),
        InputRequiredResult(request_state="s"),
        {"content": [], "isError": False},
        None,
    ],
    ids=[
        "isError",
        "_meta",
        "annotations",
        "content _meta",
        "image",
        "input_required",
        "dict",
        "None",
    ],
)
def test_anything_but_a_plain_answer_is_left_to_the_sdk(result: Any) -> None:
    assert plain_answer(result) is None


async def test_2026_era_answer_with_a_lone_surrogate_is_the_sdks_bytes() -> None:
    """pydantic-core refuses a lone surrogate, ``json.dumps`` escapes it: the answer is
    encoded the ``json.dumps`` way, as the SDK's 2026-07-28 entry encodes it."""
    result = CallToolResult(
        content=[TextContent(type="text", text="half \ud83d")], structured_content={"k": "\udc00"}
    )
    expected = await sdk_modern_bytes(3, result)
    assert modern_answer_bytes(3, plain(result), SERVER.server_info_stamp) == expected


def measured(result: CallToolResult) -> CallToolResult:
    """``result`` with its structured content as the size guard hands it on: carrying the
    compact JSON it measured (app/mcp/tools/limits.py), which is then sent as it is."""
    structured = result.structured_content
    if structured is None:
        return result
    carried = EncodedStructure(structured, compact_json(structured))
    return result.model_copy(update={"structured_content": carried})


@pytest.mark.parametrize("request_id", [7, "a-1", "ид-☃"])
@pytest.mark.parametrize("label", RESULTS)
async def test_the_encoding_the_size_guard_measured_is_sent_as_the_sdk_sends_it(
    label: str, request_id: RequestId
) -> None:
    """One encoding of the structured content for the size and the wire (issue 20): the
    bytes of both eras are the SDK's, awkward values included."""
    result = measured(RESULTS[label])
    answer = plain(result)
    assert (answer.encoded is not None) is (result.structured_content is not None)
    for version in LEGACY:
        expected = sdk_legacy_bytes(request_id, RESULTS[label], version)
        assert legacy_answer_bytes(request_id, answer) == expected
    expected = await sdk_modern_bytes(request_id, RESULTS[label])
    assert modern_answer_bytes(request_id, answer, SERVER.server_info_stamp) == expected


def test_the_measured_encoding_is_what_is_sent_not_a_new_one() -> None:
    """The wire carries the measured bytes: what the guard measured is what the client gets."""
    carried = EncodedStructure({"n": 1}, b'{"n":2}')  # never built so; shows which is sent
    result = CallToolResult(content=[], structured_content=carried)
    assert b'"structuredContent":{"n":2}' in legacy_answer_bytes(1, plain(result))
    modern = modern_answer_bytes(1, plain(result), SERVER.server_info_stamp)
    assert b'"structuredContent":{"n":2},"_meta":' in modern


def test_structured_content_sent_as_encoded_cannot_be_changed() -> None:
    carried = EncodedStructure({"n": 1}, b'{"n":1}')
    with pytest.raises(TypeError):
        carried["n"] = 2
    with pytest.raises(TypeError):
        carried.update(n=2)
    with pytest.raises(TypeError):
        del carried["n"]
    with pytest.raises(TypeError):
        carried.pop("n")
    assert carried == {"n": 1} and carried.encoded == b'{"n":1}'


@pytest.mark.parametrize(
    "copied", [copy.copy, copy.deepcopy, lambda s: pickle.loads(pickle.dumps(s))]
)
def test_structured_content_sent_as_encoded_can_be_copied(copied: Any) -> None:
    carried = EncodedStructure({"n": [1, {"m": None}]}, b'{"n":[1,{"m":null}]}')
    again = copied(carried)
    assert type(again) is EncodedStructure and again == carried
    assert again.encoded == carried.encoded
