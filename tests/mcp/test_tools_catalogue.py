"""Token economy of ``tools/list``: every conversation pays for the tool definitions, so they
stay small while keeping typed outputs, units, scales, annotations and input validation."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from app.mcp.server import build_server
from app.mcp.tools import models
from app.mcp.tools.models import SCALES
from app.mcp.tools.registry import TOOLS, sdk_function

TOOLS_LIST_BUDGET = 10_500
"""Characters of the compact JSON ``tools/list`` result for the six tools (24,648 before the
schemas were trimmed). Raise it only for a new tool, never for per-field prose."""


class NoProvider:
    def open(self) -> Any:
        raise AssertionError("listing tools must not open an athlete context")


async def listed_tools() -> list[dict[str, Any]]:
    tools = await build_server(NoProvider()).list_tools()
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


def compact_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, subschema) of a JSON schema: itself, its properties and array items."""
    found = [(path, schema)]
    for name, prop in schema.get("properties", {}).items():
        found += walk(prop, f"{path}/{name}")
    if isinstance(schema.get("items"), dict):
        found += walk(schema["items"], f"{path}[]")
    return found


async def test_tools_list_stays_within_its_budget() -> None:
    tools = await listed_tools()
    size = compact_size({"tools": tools})
    per_tool = {t["name"]: compact_size(t) for t in tools}
    assert size <= TOOLS_LIST_BUDGET, (
        f"tools/list is {size} characters (budget {TOOLS_LIST_BUDGET}): every conversation with "
        f"the gateway pays for it in tokens before the first question. Per tool: {per_tool}. "
        "Put units in field names and scales in one schema_note, not in per-field descriptions."
    )


async def test_input_schemas_carry_no_generated_titles() -> None:
    for tool in await listed_tools():
        titled = [path or "/" for path, sub in walk(tool["inputSchema"]) if "title" in sub]
        assert titled == [], f"{tool['name']}: titles derived from argument names at {titled}"


async def test_output_schemas_carry_no_generated_titles_nulls_or_field_prose() -> None:
    for tool in await listed_tools():
        schema = tool["outputSchema"]
        assert schema["type"] == "object" and "$defs" not in schema, tool["name"]
        for path, node in walk(schema):
            assert "title" not in node, f"{tool['name']}{path}: generated title"
            assert {"type": "null"} not in node.get("anyOf", []), f"{tool['name']}{path}"
            assert node.get("default", "unset") is not None, f"{tool['name']}{path}"
        field_prose = [
            path
            for path, node in walk(schema)
            if "description" in node and "properties" not in node
        ]
        assert field_prose == [], f"{tool['name']}: per-field descriptions at {field_prose}"


async def test_units_and_scales_stay_discoverable_from_the_schemas() -> None:
    for tool in await listed_tools():
        names = {path.rsplit("/", 1)[-1] for path, _ in walk(tool["outputSchema"])}
        for scaled in set(SCALES) & names:
            notes = [n["description"] for _, n in walk(tool["outputSchema"]) if "description" in n]
            assert any(scaled in note and "1-" in note for note in notes), (
                f"{tool['name']}: the scale of {scaled} is not named in a schema note"
            )
    wellness_schema = json.dumps(next(t for t in await listed_tools() if "wellness" in t["name"]))
    assert all(unit in wellness_schema for unit in ("weight_kg", "resting_hr_bpm", "sleep_hours"))


async def test_annotations_descriptions_and_input_validation_are_kept() -> None:
    for tool in await listed_tools():
        assert tool["title"] and 40 <= len(tool["description"]) < 200
        assert tool["annotations"] == {
            "readOnlyHint": True,
            "destructiveHint": False,
            "openWorldHint": True,
        }
    by_name = {t["name"]: t for t in await listed_tools()}
    dates = by_name["get_activities"]["inputSchema"]["properties"]["start_date"]
    assert dates["format"] == "date" and dates["type"] == "string"
    categories = by_name["get_events"]["inputSchema"]["properties"]["category"]
    assert "WORKOUT" in categories["items"]["enum"]


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("get_activities", {"start_date": "2026-7-1"}),
        ("get_activities", {"limit": 0}),
        ("get_activity_details", {"activity_id": "../athlete"}),
        ("get_events", {"category": ["PARTY"]}),
        ("get_event_by_id", {"event_id": 0}),
        ("get_wellness_data", {"end_date": "29.07.2026"}),
    ],
)
async def test_published_inputs_are_still_validated(tool: str, arguments: dict[str, Any]) -> None:
    """The compact input schema (``format: date``, no null branch) validates as strictly as
    before: the SDK checks arguments against the same pydantic model it derived it from."""
    from mcp.server.mcpserver.utilities.func_metadata import func_metadata

    spec = next(s for s in TOOLS if s.name == tool)
    metadata = func_metadata(sdk_function(spec, NoProvider()))
    with pytest.raises(ValidationError):
        metadata.validate_arguments(arguments)
    valid = (
        {**arguments, "start_date": "2026-07-01", "end_date": None}
        if "date" in str(arguments)
        else {}
    )
    if valid:
        assert metadata.validate_arguments(valid)["start_date"] == "2026-07-01"


SAMPLE_VALUES: dict[Any, Any] = {str: "x", int: 1, float: 1.5, bool: True, list[str]: ["x"]}


def full(model: type[models.Answer], **nested: Any) -> Any:
    """An instance with every field set (nested answers passed in)."""
    values = {}
    for name, field in model.model_fields.items():
        plain = [a for a in getattr(field.annotation, "__args__", (field.annotation,)) if a]
        values[name] = SAMPLE_VALUES.get(plain[0])
    return model(**(values | nested))


def answers_with_every_field() -> dict[str, dict[str, Any]]:
    """One answer per tool with every optional field present, dumped as sent."""
    activity = full(models.ActivityOut)
    event = full(models.EventOut)
    window = {"timezone": "UTC", "oldest": "2026-07-29", "newest": "2026-07-29", "count": 1}
    samples = {
        "get_activities": full(models.ActivityList, activities=[activity], scales=SCALES),
        "get_activity_details": full(models.ActivityDetails, activity=activity, scales=SCALES),
        "get_activity_intervals": full(
            models.ActivityIntervals,
            intervals=[full(models.IntervalOut)],
            groups=[full(models.IntervalGroupOut)],
        ),
        "get_wellness_data": models.WellnessList(
            **window, days=[full(models.WellnessDayOut)], scales=SCALES
        ),
        "get_events": full(models.EventList, events=[event]),
        "get_event_by_id": models.EventDetails(event=event),
    }
    return {name: a.model_dump(mode="json", exclude_none=True) for name, a in samples.items()}


async def test_full_answers_match_the_published_output_schemas() -> None:
    """Clients validate ``structuredContent`` against ``outputSchema`` (the SDK client does):
    answers with every field present pass; nulls are never sent, so plain types are exact."""
    schemas = {t["name"]: t["outputSchema"] for t in await listed_tools()}
    answers = answers_with_every_field()
    assert set(answers) == set(schemas)
    for name, answer in answers.items():
        jsonschema.validate(answer, schemas[name])


def test_answer_models_declare_no_per_field_descriptions() -> None:
    """Prose must not creep back into the answers' fields: units go in field names, scales in
    the model's ``schema_note``."""
    for name in dir(models):
        model = getattr(models, name)
        if isinstance(model, type) and issubclass(model, models.Answer):
            described = [f for f, info in model.model_fields.items() if info.description]
            assert described == [], f"{name}: per-field descriptions {described}"
