"""``fields=`` for the list endpoints that take it (``GET /athlete/{id}/activities`` and
``GET /athlete/{id}/wellness``, the only two in the OpenAPI contract; intervals-api.md §2.2,
§2.4): a tool names the model attributes its answer reads, and asks upstream for exactly those,
by their upstream names. Upstream then also drops nulls, which the models read as unset."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel

FIELD_LISTS_KEPT = 64
"""Distinct (model, attributes) lists kept: each tool asks for one or two fixed lists."""


@lru_cache(maxsize=FIELD_LISTS_KEPT)
def upstream_fields(model: type[BaseModel], *attributes: str) -> tuple[str, ...]:
    """The upstream names (aliases: ``restingHR``, ``_note``) of ``model``'s ``attributes``,
    worked out once per tool's list (the same on every call)."""
    fields = model.model_fields
    return tuple(fields[name].alias or name for name in attributes)
