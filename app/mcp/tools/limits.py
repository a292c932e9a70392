"""The size guard: every answer is held to a budget, in one place for every tool.

Clients refuse or silently cut large tool results (Claude Code refuses results over 25,000
tokens, about 60,000 characters of text). An answer over the budget is cut here: the largest
list in it (activities, days, samples...) loses items from its end (the lists are ordered, the
first items are the ones asked for first: newest activities, first samples) until both the text
and ``structuredContent`` fit. The cut answer is rebuilt through its own model, so text and
structured content keep the same items, and says what was kept and how to get the rest, first
in the text and in ``structuredContent.truncated`` (published in every ``outputSchema``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from pydantic import Field, ValidationError, create_model
from pydantic_core import to_json

from app.mcp.tools.answers import Answer
from app.mcp.tools.errors import ToolFailure

HOW_TO_GET_THE_REST = "For the rest: a narrower window, fewer points, or without detail."
MAX_CUTS = 64

Path = tuple[str | int, ...]


class LimitSettings(Protocol):
    """The two settings of the budget (app/settings.py: GATEWAY_ANSWER_MAX_*)."""

    @property
    def answer_max_text_chars(self) -> int: ...

    @property
    def answer_max_structured_chars(self) -> int: ...


@dataclass(frozen=True)
class AnswerLimits:
    """Characters one answer may take: its text, and its ``structuredContent`` as compact JSON."""

    text_chars: int = 60_000
    structured_chars: int = 80_000

    @classmethod
    def from_settings(cls, settings: LimitSettings) -> AnswerLimits:
        return cls(settings.answer_max_text_chars, settings.answer_max_structured_chars)


@dataclass(frozen=True)
class Fitted:
    """An answer as sent: its text and structured content (``truncated`` set when cut), and
    the structured content's compact JSON as the guard measured it (:func:`compact_json`)."""

    text: str
    structured: dict[str, Any]
    encoded: bytes | None = None


class EncodedStructure(dict[str, Any]):
    """Structured content carrying its compact JSON (:func:`compact_json`), so that the bytes
    the size guard measured are the bytes sent (app/mcp/answer_bytes.py), not a second
    encoding of the same content (issue 20). Built last, by
    :func:`~app.mcp.tools.registry.answer_result`; nothing changes structured content after
    that, and its own keys cannot be set or removed (a change would leave the JSON behind)."""

    __slots__ = ("encoded",)

    def __init__(self, structured: dict[str, Any], encoded: bytes) -> None:
        super().__init__(structured)
        self.encoded = encoded

    def __reduce__(self) -> tuple[type[EncodedStructure], tuple[dict[str, Any], bytes]]:
        """Copied and pickled through :meth:`__init__` (its keys cannot be set one by one)."""
        return type(self), (dict(self), self.encoded)

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("structured content is sent as encoded; build a new dict to change it")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


def with_key(encoded: bytes, key: str, value: Any) -> bytes:
    """The compact JSON of ``{**obj, key: value}`` from ``encoded``, the compact JSON of a
    dict ``obj`` without ``key``: the pair appended."""
    pair = compact_json({key: value})
    return pair if encoded == b"{}" else encoded[:-1] + b"," + pair[1:]


def optional_type(annotation: Any) -> Any:
    """``annotation | None``."""
    return annotation | None


@cache
def published_answer(model: type[Answer], optional: tuple[str, ...] = ()) -> type[Answer]:
    """``model`` with the optional ``truncated`` note the guard may add and the ``as_of`` time
    of every answer drawn from Intervals.icu (app/mcp/tools/registry.py): what the SDK
    publishes as ``outputSchema`` and validates ``structuredContent`` against. The fields named in
    ``optional`` (a view's series, sent to a client drawing the view in ``_meta`` only) are
    published as optional, so both the whole and the compact answer satisfy the schema."""
    relaxed: dict[str, Any] = {
        name: (optional_type(info.annotation), Field(None, description=info.description))
        for name, info in model.model_fields.items()
        if name in optional
    }
    published: type[Answer] = create_model(
        model.__name__,
        __base__=model,
        __module__=model.__module__,
        truncated=(str | None, None),
        as_of=(str | None, None),
        **relaxed,
    )
    return published


def compact_json(value: Any) -> bytes:
    """``value`` as compact JSON, UTF-8, non-finite floats as ``null``: as the handshake-era
    answer sends structured content (app/mcp/answer_bytes.py). Encoded by pydantic-core (about
    a quarter of ``json.dumps``' time on an answer of ten activities; the same text but for
    floats in exponent form, ``1e-05`` as ``0.00001``)."""
    return to_json(value, inf_nan_mode="null")


def characters(encoded: bytes) -> int:
    """Characters of UTF-8 ``encoded`` (what a client counts; non-ASCII is kept in the JSON)."""
    return len(encoded) if encoded.isascii() else len(encoded.decode())


def compact_size(value: Any) -> int:
    """Characters ``value`` takes as compact JSON, non-ASCII kept (what a client receives)."""
    return characters(compact_json(value))


def lists_in(value: Any, path: Path = ()) -> Iterator[tuple[Path, list[Any]]]:
    """Every non-empty list inside ``value`` (dicts and lists walked), with its path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from lists_in(inner, (*path, key))
    elif isinstance(value, list) and value:
        yield path, value
        for index, inner in enumerate(value):
            yield from lists_in(inner, (*path, index))


def largest_list(data: dict[str, Any]) -> tuple[Path, list[Any]] | None:
    """The list whose items take the most characters (the one worth cutting)."""
    found = list(lists_in(data))
    return max(found, key=lambda pair: compact_size(pair[1])) if found else None


def list_name(path: Path) -> str:
    """``("days", 3, "samples")`` -> ``samples``: the innermost named list."""
    return next((str(part) for part in reversed(path) if isinstance(part, str)), "items")


def too_large(size: int) -> ToolFailure:
    return ToolFailure(
        f"The answer is too large ({size} characters) to send. Ask for a narrower window, "
        "fewer points, or without detail."
    )


def fit(answer: Answer, limits: AnswerLimits) -> Fitted:
    """The answer within ``limits``: unchanged when it fits, else cut (see the module
    docstring). Raises :class:`ToolFailure` when even cut it cannot fit."""
    data = answer.model_dump(mode="json", exclude_none=True)
    text = answer.text()
    encoded = compact_json(data)
    if len(text) <= limits.text_chars and characters(encoded) <= limits.structured_chars:
        return Fitted(text, data, encoded)  # the usual answer: as the loop's first pass keeps it
    kept: dict[Path, tuple[int, int]] = {}
    for _ in range(MAX_CUTS):
        note = cut_note(kept)
        fitted = with_note(text, data, note)
        encoded = compact_json(fitted.structured)
        text_size, size = len(fitted.text), characters(encoded)
        if text_size <= limits.text_chars and size <= limits.structured_chars:
            return Fitted(fitted.text, fitted.structured, encoded)
        found = largest_list(data)
        if found is None:
            break
        path, items = found
        ratio = min(limits.text_chars / text_size, limits.structured_chars / size)
        keep = min(len(items) - 1, int(len(items) * ratio * 0.95))
        total = kept.get(path, (0, len(items)))[1]
        del items[keep:]
        kept[path] = (keep, total)
        try:
            text = type(answer).model_validate(data).text()
        except ValidationError:
            break
    raise too_large(max(len(answer.text()), compact_size(answer.model_dump(exclude_none=True))))


def with_note(text: str, data: dict[str, Any], note: str) -> Fitted:
    """The answer as sent: the note (if any) first in the text and as ``truncated``."""
    if not note:
        return Fitted(text, data)
    return Fitted(f"{note}\n{text}", {**data, "truncated": note})


def cut_note(kept: dict[Path, tuple[int, int]]) -> str:
    """``Cut to fit the size limit: activities: 40 of 100 kept. For the rest: ...``."""
    if not kept:
        return ""
    parts = [f"{list_name(path)}: {n} of {total} kept" for path, (n, total) in kept.items()]
    return f"Cut to fit the size limit: {'; '.join(parts)}. {HOW_TO_GET_THE_REST}"
