"""One short, plain message for arguments that fail validation.

The SDK validates ``tools/call`` arguments against the tool's pydantic model and, by default,
answers with pydantic's multi-line report ("1 validation error for get_wellness_dataArguments
... For further information visit https://errors.pydantic.dev/..."). The server
(app/mcp/server.py) hands the errors here instead, and the model reads e.g.
``start_date must be a date like 2026-11-30.``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field
from pydantic_core import ErrorDetails

from app.mcp.tools.dates import date_message

MAX_CHOICES = 8
EXAMPLES = {"activity_id": "i170317118"}
"""An example of an argument whose published schema is only ``{"type": "string"}`` (its
pattern is checked, not printed): what a refusal quotes."""

Detail = Annotated[bool, Field()]
"""The ``detail`` argument of the tools that answer with a summary first."""


def _choices(prop: dict[str, Any]) -> list[str]:
    items = prop.get("items", prop)
    return [str(v) for v in items.get("enum", [])] if isinstance(items, dict) else []


def _whole_number_range(prop: dict[str, Any]) -> tuple[int, int] | None:
    """(low, high) when ``prop`` is published as the consecutive whole numbers low..high."""
    values = prop.get("enum")
    if not values or not all(type(v) is int for v in values):
        return None
    if list(values) != list(range(values[0], values[0] + len(values))):
        return None
    return values[0], values[-1]


def field_message(name: str, error: ErrorDetails, prop: dict[str, Any]) -> str:
    """The message for one argument."""
    kind = error["type"]
    if kind == "missing":
        return f"{name} is required."
    if prop.get("format") == "date":
        return date_message(name)
    low, high = prop.get("minimum"), prop.get("maximum")
    whole = _whole_number_range(prop)
    if whole is not None:
        low, high = whole
    if (prop.get("type") == "integer" or whole is not None) and (
        low is not None or high is not None
    ):
        if low is not None and high is not None:
            return f"{name} must be a whole number from {low} to {high}."
        bound = f"at least {low}" if low is not None else f"at most {high}"
        return f"{name} must be a whole number {bound}."
    choices = _choices(prop)
    if choices:
        shown = ", ".join(choices[:MAX_CHOICES]) + (", ..." if len(choices) > MAX_CHOICES else "")
        return f"{name} must be one of {shown}."
    example = prop.get("description", "")
    if "e.g." in example:
        return f"{name} must look like {example.split('e.g.', 1)[1].strip()}."
    if name in EXAMPLES:
        return f"{name} must look like {EXAMPLES[name]}."
    if kind == "extra_forbidden" or kind == "unexpected_keyword_argument":
        return f"{name} is not an argument of this tool."
    expected = prop.get("type")
    if expected:
        return f"{name} must be a {'whole number' if expected == 'integer' else expected}."
    return f"{name} is not valid."


def arguments_message(errors: Sequence[ErrorDetails], schema: dict[str, Any]) -> str:
    """One line per wrong argument (at most three), in argument order, no values echoed."""
    properties: dict[str, Any] = schema.get("properties", {})
    messages: list[str] = []
    for error in errors:
        name = str(error["loc"][0]) if error["loc"] else "arguments"
        message = field_message(name, error, properties.get(name, {}))
        if message not in messages:
            messages.append(message)
    return " ".join(messages[:3]) or "The arguments are not valid."
