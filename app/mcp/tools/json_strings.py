"""The SDK's reading of JSON inside string arguments, without parsing strings it cannot change.

Before validating a ``tools/call``'s arguments, the SDK's ``FuncMetadata.pre_parse_json``
(mcp ``func_metadata.py``) tries ``json.loads`` on every string given for a parameter that is
not a plain ``str`` (clients send ``"[1, 2]"`` for a list), and keeps the parsed value only
when it is not a ``str``, ``int`` or ``float`` (``bool`` is an ``int``): a list, an object or
``null``. A JSON text is one of those only if its first character after JSON whitespace
(RFC 8259 §2: space, tab, line feed, carriage return; what ``json.loads`` skips) is ``[``,
``{`` or ``n``. Every other string (a date, an id, a word, a number) either fails to parse or
parses to a scalar, and is kept as sent; the SDK still learns that by raising and catching a
``JSONDecodeError`` per string, on every call (``get_activities``' two dates: most of its
argument validation). :class:`StringArguments` asks the SDK only when some string could
change, so the arguments it hands to validation are the SDK's, always.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata

JSON_WHITESPACE = " \t\n\r"
"""What ``json.loads`` skips before a value (``json.decoder.WHITESPACE``)."""
REPLACING_STARTS = frozenset("[{n")
"""First characters of the JSON texts ``pre_parse_json`` keeps parsed: array, object, null."""


class StringArguments(FuncMetadata):
    """The SDK's ``FuncMetadata``, whose ``pre_parse_json`` skips the parse when no argument
    may be replaced (module docstring): the same copy of the arguments it would return."""

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        for value in data.values():
            if isinstance(value, str) and value.lstrip(JSON_WHITESPACE)[:1] in REPLACING_STARTS:
                return super().pre_parse_json(data)  # this string may be replaced: ask the SDK
        return data.copy()


def with_string_arguments(tool: Tool) -> Tool:
    """``tool`` with its argument metadata read by :class:`StringArguments` (every field as
    the SDK built it)."""
    metadata = tool.fn_metadata
    fields: Mapping[str, Any] = {
        name: getattr(metadata, name) for name in FuncMetadata.model_fields
    }
    tool.fn_metadata = StringArguments(**fields)
    return tool
