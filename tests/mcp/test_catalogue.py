"""Catalogue checks: they iterate the registry, so every tool added under
app/mcp/tools/catalog/ is checked without editing this file.

What the model reads of each tool on every ``tools/list`` (name, title, description, input
schema) has a per-tool budget; output schemas stay compact; examples are valid and their
answers match the published output schema; scopes and annotations agree; every id argument is
checked for ownership.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from app.mcp.tools.answers import Answer
from app.mcp.tools.registry import discover, scopes_in_use, served, takes_athlete
from app.mcp.tools.scales import SCALES
from app.mcp.tools.sizes import (
    CORE_TOOLSET_MAX,
    MODEL_VISIBLE_AVERAGE,
    MODEL_VISIBLE_MAX,
    WRITE_MODEL_VISIBLE_MAX,
    compact_size,
    model_visible_size,
)
from app.mcp.tools.spec import TOOLSETS, ToolSpec
from app.scopes import READ, WRITE
from tests.mcp.tools.harness import AUCKLAND, BERLIN, ToolBench, coach_bench, fake_at

OVER_BUDGET_PENDING: dict[str, str] = {}
"""Tools still over the model-visible budgets, each with who brings it in: left out of the
per-tool and average checks, and the check fails once one of them fits (so the list is
emptied). Keep it empty."""
OUTPUT_SCHEMA_BUDGET = 3_000
"""Characters of one tool's compact ``outputSchema``."""
NOW = datetime(2026, 7, 29, 10, tzinfo=UTC)

SPECS = discover()
BY_NAME = {spec.name: spec for spec in SPECS}


async def listed() -> dict[str, dict[str, Any]]:
    """Every tool as listed: an athlete's tools, then the coach toolset as a coach sees it."""
    bench = ToolBench(fake_at(NOW), BERLIN, NOW)
    tools = {tool["name"]: tool for tool in await bench.listed()}
    coach = coach_bench(fake_at(NOW), NOW)
    coach_only = {s.name for s in SPECS if not takes_athlete(s)}
    tools.update({t["name"]: t for t in await coach.listed() if t["name"] in coach_only})
    return {spec.name: tools[spec.name] for spec in SPECS if spec.name in tools}


def walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, subschema) of a JSON schema: itself, its properties and array items."""
    found = [(path, schema)]
    for name, prop in schema.get("properties", {}).items():
        found += walk(prop, f"{path}/{name}")
    if isinstance(schema.get("items"), dict):
        found += walk(schema["items"], f"{path}[]")
    return found


def test_names_are_unique_and_every_declaration_is_sound() -> None:
    assert len(BY_NAME) == len(SPECS) > 0
    for spec in SPECS:
        assert spec.problems() == [], spec.name
        assert spec.toolset in TOOLSETS


async def model_visible_sizes() -> dict[str, int]:
    return {name: model_visible_size(tool) for name, tool in (await listed()).items()}


def budget(name: str) -> int:
    """A tool's model-visible budget: reads 500, writes (structured inputs) 700."""
    return MODEL_VISIBLE_MAX if BY_NAME[name].scope == READ else WRITE_MODEL_VISIBLE_MAX


async def test_what_the_model_reads_of_each_tool_stays_within_its_budget() -> None:
    sizes = await model_visible_sizes()
    over = {n: s for n, s in sizes.items() if s > budget(n) and n not in OVER_BUDGET_PENDING}
    assert over == {}, (
        f"over budget ({MODEL_VISIBLE_MAX} read, {WRITE_MODEL_VISIBLE_MAX} write): {over}. "
        "Every conversation pays for these before the first question: shorten the "
        "description, not the argument checks."
    )
    fitting = [n for n in OVER_BUDGET_PENDING if sizes.get(n, 0) <= budget(n)]
    assert fitting == [], f"{fitting} now fit: remove them from OVER_BUDGET_PENDING"


async def test_what_the_model_reads_of_the_read_tools_stays_within_its_average() -> None:
    sizes = await model_visible_sizes()
    counted = [
        s for n, s in sizes.items() if BY_NAME[n].scope == READ and n not in OVER_BUDGET_PENDING
    ]
    average = sum(counted) / len(counted)
    assert average <= MODEL_VISIBLE_AVERAGE, (
        f"{average:.0f} characters per read tool on average, over {MODEL_VISIBLE_AVERAGE}: {sizes}"
    )


async def test_the_core_toolset_stays_within_its_total() -> None:
    sizes = await model_visible_sizes()
    core = {spec.name: sizes[spec.name] for spec in SPECS if spec.toolset == "core"}
    assert len(core) >= 4, "core answers the everyday questions: profile, activities, ..."
    assert sum(core.values()) <= CORE_TOOLSET_MAX, core


async def test_output_schemas_stay_compact() -> None:
    for name, tool in (await listed()).items():
        schema = tool["outputSchema"]
        assert compact_size(schema) <= OUTPUT_SCHEMA_BUDGET, name
        assert schema["type"] == "object" and "$defs" not in schema, name
        for path, node in walk(schema):
            assert "title" not in node, f"{name}{path}: generated title"
            assert {"type": "null"} not in node.get("anyOf", []), f"{name}{path}"
            assert "anyOf" not in node, f"{name}{path}: a union published twice"
            assert node.get("default", "unset") is not None, f"{name}{path}"
        prose = [
            p for p, node in walk(schema) if "description" in node and "properties" not in node
        ]
        assert prose == [], f"{name}: per-field descriptions at {prose}"


async def test_input_schemas_carry_no_titles_and_never_an_athlete_or_a_key() -> None:
    for name, tool in (await listed()).items():
        titled = [path or "/" for path, sub in walk(tool["inputSchema"]) if "title" in sub]
        assert titled == [], f"{name}: titles derived from argument names at {titled}"
        arguments = set(tool["inputSchema"].get("properties", {}))
        assert not arguments & {"athlete_id", "api_key", "athlete"}, name
        assert "$defs" not in tool["inputSchema"], f"{name}: a model used once reads shorter inline"


async def test_annotations_match_scope_and_kind() -> None:
    tools = await listed()
    for spec in SPECS:
        annotations = tools[spec.name]["annotations"]
        assert tools[spec.name]["title"] == spec.title
        assert 40 <= len(tools[spec.name]["description"]) < 200
        assert annotations["readOnlyHint"] is spec.read_only
        assert annotations["openWorldHint"] is spec.open_world
        assert annotations["destructiveHint"] is spec.destructive
        assert annotations["idempotentHint"] is spec.idempotent
        if spec.read_only:
            assert spec.scope == READ and annotations["destructiveHint"] is False
        else:
            assert spec.scope == WRITE


async def test_scaled_fields_name_their_scale_in_a_schema_note() -> None:
    for name, tool in (await listed()).items():
        schema = tool["outputSchema"]
        fields = {path.rsplit("/", 1)[-1] for path, _ in walk(schema)}
        notes = " ".join(n["description"] for _, n in walk(schema) if "description" in n)
        for scaled in set(SCALES) & fields:
            assert scaled in notes, f"{name}: the scale of {scaled} is not named in a note"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
async def test_the_example_is_valid_and_its_answer_matches_the_output_schema(
    spec: ToolSpec,
) -> None:
    bench = (
        ToolBench(fake_at(NOW), BERLIN, NOW)
        if takes_athlete(spec)
        else coach_bench(fake_at(NOW), NOW)
    )
    tool = (await listed())[spec.name]
    arguments = spec.example_arguments(bench.fake, BERLIN.id)
    jsonschema.validate(arguments, tool["inputSchema"])
    result = await bench.call(spec.name, arguments)
    assert result.is_error is False, result.text
    jsonschema.validate(result.structured, tool["outputSchema"])
    assert result.text and len(result.text) < 4000


SAMPLES: dict[Any, Any] = {str: "x", int: 1, float: 1.5, bool: True}


def sample(annotation: Any) -> Any:
    """A value for a field type with everything set (the most derived model of a union)."""
    options = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
        best = next((m for m in models if all(issubclass(m, o) for o in models)), None)
        return sample(best or options[0])
    if origin is list:
        return [sample(options[0])]
    if origin is dict:
        return {"x": sample(options[1])}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return full(annotation)
    return SAMPLES[annotation]


def full(model: type[BaseModel]) -> BaseModel:
    """An instance of ``model`` with every field set, nested answers included."""
    return model(**{name: sample(f.annotation) for name, f in model.model_fields.items()})


async def test_answers_with_every_field_match_the_published_output_schemas() -> None:
    """Clients validate ``structuredContent`` against ``outputSchema``; nulls are never sent."""
    tools = await listed()
    for spec in SPECS:
        answer = full(spec.answer).model_dump(mode="json", exclude_none=True)
        jsonschema.validate(answer, tools[spec.name]["outputSchema"])


def test_answer_models_declare_no_per_field_descriptions() -> None:
    seen: set[type[BaseModel]] = set()

    def check(model: type[BaseModel]) -> None:
        if model in seen:
            return
        seen.add(model)
        described = [f for f, info in model.model_fields.items() if info.description]
        assert described == [], f"{model.__name__}: per-field descriptions {described}"
        for info in model.model_fields.values():
            for inner in typing.get_args(info.annotation) or (info.annotation,):
                for leaf in typing.get_args(inner) or (inner,):
                    if isinstance(leaf, type) and issubclass(leaf, Answer):
                        check(leaf)

    for spec in SPECS:
        check(spec.answer)


OWNED = [(spec, name) for spec in SPECS for name in spec.owned]


@pytest.mark.parametrize("spec_and_argument", OWNED, ids=lambda p: f"{p[0].name}.{p[1]}")
async def test_another_athletes_ids_are_refused(spec_and_argument: tuple[ToolSpec, str]) -> None:
    """For every id argument a tool declares as owned: Auckland asks with Berlin's ids while
    Intervals.icu would let Auckland's key read Berlin's data; the answer is "not found"."""
    spec, argument = spec_and_argument
    fake = fake_at(NOW)
    fake.shares[AUCKLAND.id] = {BERLIN.id}
    own = spec.example_arguments(fake, AUCKLAND.id)
    theirs = spec.example_arguments(fake, BERLIN.id)
    assert own[argument] != theirs[argument]
    result = await ToolBench(fake, AUCKLAND, NOW).call(
        spec.name, {**own, argument: theirs[argument]}
    )
    assert result.is_error, f"{spec.name} returned another athlete's {spec.owned[argument]}"
    assert result.structured is None
    refused = (f"No {spec.owned[argument]} ", "has no access to")  # ours, or upstream's 403
    assert any(phrase in result.text for phrase in refused), result.text


def test_toolsets_select_tools_and_the_served_scopes() -> None:
    assert served() == SPECS
    assert {s.toolset for s in served(("calendar",))} == {"calendar", "changes"}
    assert served(()) == ()
    with pytest.raises(ValueError, match="unknown toolsets"):
        served(("nope",))
    assert scopes_in_use() == {READ, WRITE}  # write tools served: consent offers mcp.write
    assert scopes_in_use(("analytics",)) <= {READ}


def test_the_changes_toolset_comes_with_any_write_tool() -> None:
    changes = {"list_changes", "undo_changes"}
    with_writes = {s.name for s in served(("calendar",))}
    assert changes <= with_writes  # create_event etc. can be listed and undone
    assert not changes & {s.name for s in served(("analytics",))}  # reads only
    assert {s.name for s in served(("changes",))} == changes
    core = {s.name for s in served(("core",))}
    assert all(BY_NAME[n].scope == READ for n in core), core


async def test_the_list_follows_the_registry() -> None:
    names = list(await listed())
    assert names == [spec.name for spec in SPECS]
    assert {"get_activities", "get_wellness_data", "get_events"} <= set(names)
