"""Compact ``outputSchema``: what a client is sent for every tool on every ``tools/list``.

Tool definitions are paid for in every conversation (MCP 2025-06-18 "Tools": ``outputSchema``),
so the JSON schemas pydantic derives from the answer models are trimmed to what carries meaning:

- no ``title`` on the model or its properties (pydantic makes them from the names: "Avg Hr Bpm");
- no ``additionalProperties: false`` (the models refuse unknown fields; clients need not check);
- no docstring descriptions; a model may publish one short ``schema_note`` instead (units,
  scales) rather than a description on every field;
- nested models inline rather than as ``$defs`` + ``$ref`` (each is used once per tool);
- an optional field ``T | None = None`` is published as plain ``T``: answers never carry nulls
  (they are dumped with ``exclude_none``), so "absent or T" is exactly what a client receives;
- a union of a summary model and its detail extension (``ActivityDetail | ActivitySummary``)
  is published once, as the extension: with every added field optional and no
  ``additionalProperties: false``, that one schema accepts both shapes.

The models themselves are unchanged: the SDK still validates every answer against them.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import BaseModel

JsonSchema = dict[str, Any]

NULL_BRANCH: JsonSchema = {"type": "null"}


def without_null_branch(prop: JsonSchema) -> JsonSchema:
    """``{"anyOf": [X, {"type": "null"}], "default": null}`` as ``X`` (other keys kept)."""
    branches = prop.get("anyOf")
    if not isinstance(branches, list) or NULL_BRANCH not in branches:
        return prop
    rest = [branch for branch in branches if branch != NULL_BRANCH]
    compact = {key: value for key, value in prop.items() if key != "anyOf"}
    if compact.get("default", ...) is None:
        del compact["default"]
    if len(rest) == 1:
        return {**rest[0], **compact}
    return {"anyOf": rest, **compact}


def optional_argument_schema(schema: JsonSchema) -> None:
    """pydantic field ``json_schema_extra`` hook for an optional tool argument: publish ``T``
    rather than ``T | null`` (leaving the argument out means "use the default"; an explicit null
    is still accepted)."""
    compact = without_null_branch(schema)
    schema.clear()
    schema.update(compact)


def date_argument_schema(schema: JsonSchema) -> None:
    """Field hook for an optional ``YYYY-MM-DD`` argument: published as ``"format": "date"``
    (RFC 3339 full-date, JSON Schema 2020-12 §7.3.1), shorter than the validating pattern and
    exact, since the tools also refuse impossible dates such as 2026-02-30."""
    optional_argument_schema(schema)
    schema.pop("pattern", None)
    schema["format"] = "date"


def example_instead_of_pattern(schema: JsonSchema) -> None:
    """Field hook for an id argument: publish its example (the description, "e.g. i170317118")
    without the regular expression. The pattern is still enforced (the SDK validates arguments
    against the function's own model); the model reads the example more easily, in fewer
    characters, and a refused argument's message quotes it (app/mcp/tools/arguments.py)."""
    schema.pop("pattern", None)


def without_titles(schema: JsonSchema) -> JsonSchema:
    """An ``inputSchema`` without the titles pydantic derives from argument names ("Start Date"
    for ``start_date``): the names already say it. Validation is unaffected (the SDK validates
    arguments against the function's own model, not this published copy)."""
    compact = {key: value for key, value in schema.items() if key != "title"}
    properties = compact.get("properties")
    if isinstance(properties, dict):
        compact["properties"] = {
            name: {key: value for key, value in prop.items() if key != "title"}
            if isinstance(prop, dict)
            else prop
            for name, prop in properties.items()
        }
    return compact


def compact_property(prop: JsonSchema) -> JsonSchema:
    """One property without its generated title and without the null branch."""
    prop = without_null_branch(prop)
    prop.pop("title", None)
    return prop


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's annotation (``M``, ``list[M]``, ``A | B | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for argument in get_args(annotation) for model in models_in(argument)]


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model to publish for a field: the one model inside it, or of a model and its
    extensions the most derived one (see the module docstring)."""
    models = models_in(annotation)
    for model in models:
        if all(issubclass(model, other) for other in models):
            return model
    return models[0] if models else None


def collapsed(schema: Any) -> Any:
    """``{"anyOf": [X, X]}`` as ``X``, at any depth (left by inlining a model and its
    extension as the same schema)."""
    if isinstance(schema, list):
        return [collapsed(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: collapsed(value) for key, value in schema.items()}
    branches = schema.get("anyOf")
    if isinstance(branches, list) and branches and all(b == branches[0] for b in branches):
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**branches[0], **rest}
    return schema


def inlined(prop: Any, definition: JsonSchema) -> Any:
    """``prop`` with every ``{"$ref": ...}`` replaced by ``definition``."""
    if isinstance(prop, dict):
        if "$ref" in prop:
            return definition
        return {key: inlined(value, definition) for key, value in prop.items()}
    if isinstance(prop, list):
        return [inlined(value, definition) for value in prop]
    return prop


def compact_model_schema(schema: JsonSchema, model: type[BaseModel]) -> None:
    """pydantic ``json_schema_extra`` hook (runs once per model, nested ones included): drop
    titles, docstring descriptions and null branches, inline nested models (pydantic then drops
    the unused ``$defs``), and publish the model's ``schema_note``."""
    schema.pop("title", None)
    schema.pop("description", None)
    schema.pop("additionalProperties", None)
    note: str | None = getattr(model, "schema_note", None)
    if note:
        schema["description"] = note
    properties: dict[str, JsonSchema] = schema.get("properties", {})
    for name, prop in properties.items():
        inner = nested_model(model.model_fields[name].annotation)
        if inner is not None:
            prop = collapsed(inlined(prop, inner.model_json_schema()))
        properties[name] = compact_property(prop)


def without_defs(schema: JsonSchema) -> JsonSchema:
    """``schema`` with every local ``{"$ref": "#/$defs/X"}`` replaced by ``X`` itself and the
    ``$defs`` dropped (JSON Schema 2020-12 §8.2.4): a model used once reads shorter inline.
    A definition that refers to itself is left as it is."""
    definitions: dict[str, JsonSchema] = schema.get("$defs", {})
    if not definitions or any(f'"#/$defs/{n}"' in json.dumps(d) for n, d in definitions.items()):
        return schema

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: resolve(v) for k, v in value.items() if k != "$ref"}
                return {**resolve(definitions[ref.removeprefix("#/$defs/")]), **rest}
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    resolved: JsonSchema = resolve({k: v for k, v in schema.items() if k != "$defs"})
    return resolved


def checked_not_published(schema: JsonSchema) -> None:
    """Field hook for an optional ``float`` or ``str`` argument whose range, length or pattern
    pydantic checks but the published schema leaves out (the model reads fewer characters; a value
    outside is refused with the same plain message, "x must be a number." / "x must be a
    string."). Not for whole numbers: their message names the range from the schema."""
    optional_argument_schema(schema)
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        schema.pop(key, None)
    for key in ("minLength", "maxLength", "pattern"):
        schema.pop(key, None)


def whole_number_choices(schema: JsonSchema) -> None:
    """Field hook for an optional small whole-number range (a 1-4 scale): published as
    ``{"enum": [1, 2, 3, 4]}``, shorter than type, minimum and maximum; pydantic still checks
    the range, and app/mcp/tools/arguments.py words the refusal as a range."""
    optional_argument_schema(schema)
    low, high = int(schema.pop("minimum")), int(schema.pop("maximum"))
    schema.pop("type", None)
    schema["enum"] = list(range(low, high + 1))


def without_false_defaults(schema: JsonSchema) -> JsonSchema:
    """``schema`` without ``"default": false`` on its boolean arguments: a flag left out is off,
    which every reader assumes (JSON Schema 2020-12 §9.2: ``default`` is an annotation only)."""
    properties = {
        name: {k: v for k, v in prop.items() if not (k == "default" and v is False)}
        if isinstance(prop, dict) and prop.get("type") == "boolean"
        else prop
        for name, prop in schema.get("properties", {}).items()
    }
    return {**schema, "properties": properties} if "properties" in schema else schema
