"""``fields=`` for the list endpoints that take it (``GET /athlete/{id}/activities`` and
``GET /athlete/{id}/wellness``, the only two in the OpenAPI contract; intervals-api.md §2.2,
§2.4): a tool names the model attributes its answer reads, and asks upstream for exactly those,
by their upstream names. Upstream then also drops nulls, which the models read as unset."""

from __future__ import annotations

from pydantic import BaseModel


def upstream_fields(model: type[BaseModel], *attributes: str) -> tuple[str, ...]:
    """The upstream names (aliases: ``restingHR``, ``_note``) of ``model``'s ``attributes``."""
    fields = model.model_fields
    return tuple(fields[name].alias or name for name in attributes)
