"""A successful ``tools/call`` answer straight from the tool's result to the response bytes.

The SDK shapes a tool's ``CallToolResult`` for the wire in several passes: ``_dump_result``
(a ``model_dump``), ``serialize_server_result`` (validate the dump against the protocol
version's surface model and dump it again, which drops what that version lacks and orders the
keys as the surface model does), the 2026-07-28 ``serverInfo`` stamp, then the transport builds
a ``JSONRPCResponse`` model around it (validating the result again) and encodes it: the
handshake-era transport with pydantic's ``model_dump_json`` (UTF-8 as is), the 2026-07-28
single-exchange entry with ``json.dumps(model_dump(...), separators=(",", ":"))`` (ASCII,
Python's float spelling).

For a *plain* answer (:func:`plain_answer`: only text content, structured content as a plain
mapping, no error, no ``_meta``, no annotations; what every successful tool call of the
gateway returns) the outcome of all those passes is known in advance, so it is built here in
one: the wire dict in the surface model's key order and one pydantic-core ``to_json`` call,
spelled as the era's encoder spells it (for 2026-07-28: non-ASCII escaped afterwards as
``json.dumps`` escapes it; an answer with a float the two encoders spell apart, or a value
pydantic-core refuses, goes the ``json.dumps`` way, see :func:`modern_answer_bytes`).
tests/mcp/test_answer_bytes.py compares these bytes with the
SDK's passes for awkward values (non-ASCII, small and large floats, None, nested data) and
tests/mcp/test_fast_path.py with the SDK's live answers.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

import pydantic_core
from mcp_types import SERVER_INFO_META_KEY, CallToolResult, RequestId, TextContent

from app.mcp.tools.limits import EncodedStructure

RESULT_TYPE_COMPLETE = "complete"
ANSWER_CONTENT_TYPE = "text"


@dataclass(frozen=True)
class PlainAnswer:
    """What the wire form of a plain answer is made of: its text contents, in order, and its
    structured content (None: none), with the structured content's compact JSON when the
    size guard already encoded it (:class:`~app.mcp.tools.limits.EncodedStructure`)."""

    texts: tuple[str, ...]
    structured: dict[str, Any] | None
    encoded: bytes | None = None


def plain_answer(result: object) -> PlainAnswer | None:
    """``result``'s texts and structured content when the SDK's shaping of it is known in
    advance (see the module docstring), else None: another type, an ``isError`` result,
    ``_meta`` (views, a coach's athlete), another result type, annotated or non-text content,
    structured content that is not a dict."""
    if type(result) is not CallToolResult:
        return None
    if result.is_error is not False or result.meta is not None:
        return None
    if result.result_type != RESULT_TYPE_COMPLETE or result.__pydantic_extra__:
        return None
    structured = result.structured_content
    kind = type(structured)
    if structured is not None and kind is not dict and kind is not EncodedStructure:
        return None
    texts = []
    for item in result.content:
        if type(item) is not TextContent or item.annotations is not None or item.meta is not None:
            return None
        if item.type != ANSWER_CONTENT_TYPE or item.__pydantic_extra__:
            return None
        texts.append(item.text)
    encoded = structured.encoded if isinstance(structured, EncodedStructure) else None
    return PlainAnswer(tuple(texts), structured, encoded)


def _wire_result(answer: PlainAnswer, modern: bool) -> dict[str, Any]:
    """The result as the version's surface model dumps it (its fields in alphabetical order;
    ``resultType`` only from 2026-07-28 on), structured content as the caller gives it."""
    wire = _wire_head(answer, modern)
    if answer.structured is not None:
        wire[STRUCTURED_KEY] = answer.structured
    return wire


STRUCTURED_KEY = "structuredContent"


def _wire_head(answer: PlainAnswer, modern: bool) -> dict[str, Any]:
    """The result's fields before its structured content (see :func:`_wire_result`)."""
    wire: dict[str, Any] = {
        "content": [{"text": text, "type": ANSWER_CONTENT_TYPE} for text in answer.texts],
        "isError": False,
    }
    if modern:
        wire["resultType"] = RESULT_TYPE_COMPLETE
    return wire


def _encoded(request_id: RequestId, answer: PlainAnswer, tail: dict[str, Any]) -> bytes:
    """``pydantic_core.to_json(envelope, inf_nan_mode="null")`` of the response whose result
    is :func:`_wire_result` followed by ``tail``'s keys. Structured content the size guard
    already encoded (:attr:`PlainAnswer.encoded`; the same encoder and options, so the same
    bytes) is put in its place as it is, not encoded again (issue 20)."""
    modern = bool(tail)
    if answer.encoded is None:
        result = _wire_result(answer, modern) | tail
        envelope = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return pydantic_core.to_json(envelope, inf_nan_mode="null")
    head = {"jsonrpc": "2.0", "id": request_id, "result": _wire_head(answer, modern)}
    pieces = [pydantic_core.to_json(head, inf_nan_mode="null")[:-2], b',"structuredContent":']
    pieces.append(answer.encoded)
    if tail:
        pieces += [b",", pydantic_core.to_json(tail, inf_nan_mode="null")[1:-1]]
    pieces.append(b"}}")
    return b"".join(pieces)


def legacy_answer_bytes(request_id: RequestId, answer: PlainAnswer) -> bytes:
    """The handshake-era (2025-06-18 / 2025-11-25) JSON response body: the SDK's
    ``JSONRPCResponse(...).model_dump_json(by_alias=True, exclude_unset=True)``
    (``StreamableHTTPServerTransport._create_json_response``). pydantic-core encodes the
    structured content straight from the tool's values, as the model's JSON-mode dumps
    convert them (non-finite floats as null, the model's default)."""
    return _encoded(request_id, answer, {})


SPELLED_APART = (b"e-", b"0.0000")
"""Where pydantic-core and ``json.dumps`` spell one float differently: below 1e-4 Python writes
``1e-05`` / ``6.0e-08`` where pydantic-core writes ``0.00001`` / ``6.0e-8``. Every such float
carries one of these in pydantic-core's spelling (tests/mcp/test_answer_bytes.py); the same
bytes inside a string only send the answer down the ``json.dumps`` way, which is never wrong."""
JSON_ASCII = "app.mcp.answer_bytes.json_ascii"
"""The codec error handler that writes what ASCII cannot hold as ``json.dumps``
(``ensure_ascii``) writes it."""


def _json_ascii(error: UnicodeError) -> tuple[str, int]:
    """A run of non-ASCII characters escaped by ``json.dumps``'s own string encoder (its
    quotes taken off): ``\\uXXXX``, surrogate pairs above the Basic Multilingual Plane."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start : error.end]
    return encode_basestring_ascii(run)[1:-1], error.end


codecs.register_error(JSON_ASCII, _json_ascii)


def modern_answer_bytes(
    request_id: RequestId, answer: PlainAnswer, server_info: Mapping[str, Any]
) -> bytes:
    """The 2026-07-28 single-exchange JSON response body: the result with ``resultType`` and
    the ``serverInfo`` ``_meta`` stamp (spec #3002; ``ServerRunner._stamp_server_info``),
    encoded as the SDK's ``_streamable_http_modern._write`` encodes it
    (``json.dumps(..., separators=(",", ":"))``): by pydantic-core, non-ASCII characters then
    escaped as ``json.dumps`` escapes them (the two spell strings alike otherwise), unless a
    float is spelled apart (:data:`SPELLED_APART`) or pydantic-core refuses a value (a lone
    surrogate): then by ``json.dumps`` itself."""
    tail = {"_meta": {SERVER_INFO_META_KEY: server_info}}
    try:
        encoded = _encoded(request_id, answer, tail)
    except pydantic_core.PydanticSerializationError:
        return _python_spelling(request_id, answer, tail)
    if SPELLED_APART[0] in encoded or SPELLED_APART[1] in encoded:
        return _python_spelling(request_id, answer, tail)
    if not encoded.isascii():
        encoded = encoded.decode().encode("ascii", JSON_ASCII)
    if b"\x7f" in encoded:  # ASCII, yet escaped by json.dumps; only ever inside a string
        encoded = encoded.replace(b"\x7f", b"\\u007f")
    return encoded


def _python_spelling(request_id: RequestId, answer: PlainAnswer, tail: dict[str, Any]) -> bytes:
    """``json.dumps`` of the envelope, the structured content first converted as the SDK's
    JSON-mode dumps convert it (``json.dumps`` reads plain JSON values only)."""
    result = _wire_head(answer, modern=True)
    if answer.structured is not None:
        result[STRUCTURED_KEY] = pydantic_core.to_jsonable_python(
            answer.structured, inf_nan_mode="null"
        )
    envelope = {"jsonrpc": "2.0", "id": request_id, "result": result | tail}
    return json.dumps(envelope, separators=(",", ":")).encode()
