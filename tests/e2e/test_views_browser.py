"""The MCP Apps views in real Chromium (issue 17): tests/e2e/views/host.html plays the host side
of the bridge (initialize with hostContext, tool input, tool result, size changes, tools/call,
update-model-context, teardown) under the hosts' strict default CSP, and loads each view with
REAL results from the gateway over the fake Intervals.icu (SDK client that declared the
extension). The assertions are what a person sees; screenshots go to docs/img/ when
VIEW_SCREENSHOTS is set (light and dark, desktop and phone widths)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp_types import CallToolResult
from playwright.sync_api import Browser, FrameLocator, Page

from app.mcp.tools.registry import discover
from app.mcp.views import VIEWS
from tests.e2e.browser import PHONE
from tests.fake_intervals.app import FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.mcp.support import BERLIN, running_gateway
from tests.mcp.test_views import client

HOST = Path(__file__).parent / "views" / "host.html"
DOCS_IMG = Path(__file__).parents[2] / "docs" / "img"
TODAY = date(2026, 7, 29)
MOMENT = datetime(2026, 7, 29, 10, tzinfo=UTC)
DESKTOP = {"width": 1000, "height": 700}
WORKOUT = {"blocks": ["warmup | 600s ramp 50-75 %ftp", "3x | SST: 720s 88-92 %ftp; 300s 55 %ftp"]}
SPECS = {spec.name: spec for spec in discover()}
COACH = next(a for a in DEMO_ATHLETES if a.id == "i100004")

Calls = dict[str, tuple[str, dict[str, Any]]]


def wire(result: CallToolResult) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


async def fetch_results(gw: Any, fake: FakeIntervals) -> dict[str, dict[str, Any]]:
    """Every tool call the views need, over /mcp, by an Apps client acting for BERLIN."""
    caller = await gw.seed(BERLIN, scope="mcp.read mcp.write")
    fake.add_race(BERLIN.id, TODAY + timedelta(days=38), "Hill criterium", "B")  # after the A race
    streams = SPECS["get_activity_streams"].example_arguments(fake, BERLIN.id)
    streams["points"] = 120
    wanted: Calls = {
        "fitness": ("get_fitness", {"step": "day", "start_date": "2026-05-06"}),
        "projection": ("project_fitness", {}),
        "two_races": ("project_fitness", {"target_date": (TODAY + timedelta(days=45)).isoformat()}),
        "readiness": ("get_readiness", {}),
        "range": ("chart_fitness_range", {"start_date": "2026-06-17", "end_date": "2026-07-28"}),
        "curves": ("get_curves", {"kind": "power", "period": "90d", "vs": "1y"}),
        "compare": ("chart_curves_compare", {"kind": "power", "period": "90d", "vs": "all"}),
        "week": ("get_weekly_review", {"week_of": "2026-07-20"}),
        "workout": ("build_workout", WORKOUT),
        "event": ("create_event", dict(SPECS["create_event"].example_arguments(fake, BERLIN.id))),
        "streams": ("get_activity_streams", streams),
        "intervals": ("get_activity_intervals", {"activity_id": streams["activity_id"]}),
    }
    found: dict[str, dict[str, Any]] = {}
    async with client(gw.mcp_url, caller.token, "2026-07-28", apps=True) as apps:
        for key, (name, arguments) in wanted.items():
            result = await apps.call_tool(name, arguments)
            assert result.is_error is False, (name, result.content)
            found[key] = wire(result) | {"arguments": arguments}
    coach = await gw.seed(COACH)  # Maria: Aroha and Lena share their data with her
    async with client(gw.mcp_url, coach.token, "2026-07-28", apps=True) as apps:
        triage = await apps.call_tool("get_roster_triage", {})
        assert triage.is_error is False, triage.content
        found["roster"] = wire(triage) | {"arguments": {}}
    return found


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, migrated_templates: dict[str, str]
) -> dict[str, dict[str, Any]]:
    fake = FakeIntervals(today=TODAY, now=lambda: MOMENT)
    tmp = tmp_path_factory.mktemp("views")
    shutil.copyfile(migrated_templates["sqlite"], tmp / "gateway.db")
    with running_gateway(tmp, f"sqlite:///{tmp}/gateway.db", fake=fake) as gw:
        gw.pin(MOMENT)
        with ThreadPoolExecutor(1) as pool:  # a thread of its own: this one runs a loop
            return pool.submit(anyio.run, fetch_results, gw, fake).result()


def html_of(name: str) -> str:
    return next(view.html for view in VIEWS if view.name == name)


def open_view(
    browser: Browser,
    view: str,
    result: dict[str, Any],
    tools: dict[str, dict[str, Any]] | None = None,
    theme: str = "light",
    width: int = DESKTOP["width"],
) -> tuple[Page, FrameLocator, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(HOST.as_uri())
    config = {
        "html": html_of(view),
        "theme": theme,
        "input": result.get("arguments", {}),
        "result": {k: v for k, v in result.items() if k != "arguments"},
        "tools": {
            k: {x: y for x, y in v.items() if x != "arguments"} for k, v in (tools or {}).items()
        },
    }
    page.evaluate("config => window.startView(config)", config)
    page.wait_for_function("() => window.lastSize && window.lastSize.height > 100")
    return page, page.frame_locator("#view"), problems


def shoot(page: Page, view: str, theme: str, width: int) -> None:
    if not os.environ.get("VIEW_SCREENSHOTS"):
        return
    device = "phone" if width == PHONE["width"] else "desktop"
    page.locator("#view").screenshot(path=str(DOCS_IMG / f"view-{view}-{device}-{theme}.png"))


def points_of(frame: FrameLocator, series: str) -> int:
    return int(frame.locator(f"polyline[data-name='{series}']").get_attribute("data-points") or 0)


def hover_middle(frame: FrameLocator) -> None:
    svg = frame.locator("svg[role=img]").first
    box = svg.bounding_box()
    assert box is not None
    svg.hover(position={"x": box["width"] / 2, "y": box["height"] / 2})


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP["width"], PHONE["width"]])
def test_fitness_chart_history_projection_race_and_range(
    browser: Browser, results: dict[str, dict[str, Any]], theme: str, width: int
) -> None:
    fitness = results["fitness"]["_meta"]["intervals-gateway/view"]
    assert "points" not in results["fitness"]["structuredContent"]  # drawn from _meta
    page, frame, problems = open_view(
        browser, "fitness", results["fitness"], theme=theme, width=width
    )
    assert points_of(frame, "ctl") == len(fitness["points"]) > 30
    assert frame.locator("svg[role=img]").get_attribute("aria-label").startswith("Fitness chart")
    assert frame.locator(".x-tick").count() == 5 and frame.locator(".y-tick").count() == 5
    hover_middle(frame)
    tip = frame.locator("#tip").inner_text()
    assert tip.startswith("2026-") and "fitness" in tip and "form" in tip
    frame.locator("svg[role=img]").press("ArrowRight")
    assert frame.locator("#tip").inner_text() != tip  # the keyboard moves the cursor too
    dark = page.evaluate("() => document.querySelector('#view').contentDocument")  # sandboxed
    assert dark is None  # the view is isolated from the host page (opaque origin)
    shoot(page, "fitness", theme, width)
    page.context.close()
    assert problems == []

    projection = results["projection"]
    page, frame, problems = open_view(
        browser,
        "fitness",
        projection,
        tools={"chart_fitness_range": results["range"]},
        theme=theme,
        width=width,
    )
    data = projection["_meta"]["intervals-gateway/view"]
    frame.locator("polyline[data-name='ctl-projected']").wait_for()
    assert data["target_name"] == "Spring classic"
    assert frame.locator(".mark-label").all_text_contents() == ["Spring classic (A)"]
    dashed = frame.locator("polyline[data-name='ctl-projected']")
    assert dashed.get_attribute("stroke-dasharray") == "6 4"
    assert points_of(frame, "ctl-projected") == len(data["points"]) + 1  # joined to today
    assert points_of(frame, "ctl") == len(
        results["range"]["_meta"]["intervals-gateway/view"]["points"]
    )
    shoot(page, "projection", theme, width)
    frame.get_by_role("button", name="6 weeks").click()
    page.wait_for_function("() => window.modelContext.length == 1")
    told = page.evaluate("() => window.modelContext[0].content[0].text")
    assert told.startswith("The athlete is viewing fitness 2026-")
    assert page.evaluate("() => window.calls.map(c => c.name)") == ["chart_fitness_range"] * 2
    assert page.evaluate("() => window.teardownView()") == {}
    page.context.close()
    assert problems == []

    two = results["two_races"]
    races = two["_meta"]["intervals-gateway/view"]["races"]
    assert [(r["name"], r["priority"]) for r in races] == [
        ("Spring classic", "A"),
        ("Hill criterium", "B"),
    ]
    assert two["structuredContent"]["races"] == races  # the model reads them too
    page, frame, problems = open_view(
        browser,
        "fitness",
        two,
        tools={"chart_fitness_range": results["range"]},
        theme=theme,
        width=width,
    )
    frame.locator("polyline[data-name='ctl-projected']").wait_for()
    marked = ["Spring classic (A)", "Hill criterium (B)"]
    target = f"target {two['structuredContent']['target_date']}"  # a plain day: marked apart
    assert frame.locator(".mark-label").all_text_contents() == [*marked, target]
    alt = frame.locator("svg[role=img]").get_attribute("aria-label") or ""
    assert f"Planned races: Spring classic (A) on {races[0]['date']}, Hill criterium (B)" in alt
    shoot(page, "races", theme, width)
    page.context.close()
    assert problems == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP["width"], PHONE["width"]])
def test_curves_log_axis_second_period_and_hover(
    browser: Browser, results: dict[str, dict[str, Any]], theme: str, width: int
) -> None:
    data = results["curves"]["_meta"]["intervals-gateway/view"]
    page, frame, problems = open_view(
        browser,
        "curves",
        results["curves"],
        tools={"chart_curves_compare": results["compare"]},
        theme=theme,
        width=width,
    )
    with_power = [p for p in data["period"]["points"] if "power_w" in p]
    assert points_of(frame, "90d") == len(with_power) >= 5
    assert points_of(frame, "1y") >= 5
    ticks = frame.locator(".x-tick").all_text_contents()
    assert ticks[0] == "5s"
    xs = [float(t.get_attribute("x") or 0) for t in frame.locator(".x-tick").all()]
    assert xs[1] - xs[0] > xs[-1] - xs[-2]  # log time: short durations spread out
    hover_middle(frame)
    tip = frame.locator("#tip").inner_text()
    assert "90d" in tip and " W" in tip and "1y" in tip
    shoot(page, "curves", theme, width)
    frame.get_by_role("button", name="vs all").click()
    page.wait_for_function("() => window.modelContext.length == 1")
    assert points_of(frame, "all") >= 5
    page.context.close()
    assert problems == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP["width"], PHONE["width"]])
def test_week_card_workout_and_activity_views(
    browser: Browser, results: dict[str, dict[str, Any]], theme: str, width: int
) -> None:
    week = results["week"]["_meta"]["intervals-gateway/view"]
    page, frame, problems = open_view(
        browser,
        "week",
        results["week"],
        tools={"get_readiness": results["readiness"]},
        theme=theme,
        width=width,
    )
    assert frame.locator("rect.bar").count() == len(week["by_sport"]) + len(week["intensity"])
    assert frame.locator("#title").inner_text() == f"Week {week['oldest']} \u2013 {week['newest']}"
    assert frame.locator("#compliance").inner_text().startswith("Plan: ")
    trend = frame.locator("#readiness").inner_text()
    hrv = next(t for t in week["wellness"] if t["measure"] == "hrv_ms")
    assert trend.startswith("Readiness this week: HRV ")
    assert f"HRV {hrv['week_mean']:g} ms ({hrv['change_pct']:+g}% vs 60-day baseline)" in trend
    ready = results["readiness"]["structuredContent"]
    light = frame.locator("#today")
    light.wait_for()
    assert light.get_attribute("data-level") == ready["level"]
    said = frame.locator("#today-text").inner_text()
    assert said.startswith(f"Readiness today ({ready['date']}): {ready['level'].upper()}")
    shoot(page, "week", theme, width)
    page.context.close()

    page, frame, more = open_view(browser, "workout", results["workout"], theme=theme, width=width)
    assert frame.locator("polygon.block").count() == 1 + 3 * 2
    assert frame.locator("#steps li").count() == 7
    assert frame.locator("#title").inner_text().startswith("Workout preview")
    shoot(page, "workout", theme, width)
    page.context.close()
    page, frame, even_more = open_view(
        browser, "workout", results["event"], theme=theme, width=width
    )
    assert results["event"]["structuredContent"]["status"] == "preview"
    assert frame.locator("#title").inner_text().startswith("Preview (nothing written yet)")
    assert frame.locator("polygon.block").count() == 1 + 3 * 2
    page.context.close()

    streams = results["streams"]["_meta"]["intervals-gateway/view"]
    assert not {"time_s", "channels"} & set(results["streams"]["structuredContent"])
    page, frame, last = open_view(
        browser,
        "activity",
        results["streams"],
        tools={"get_activity_intervals": results["intervals"]},
        theme=theme,
        width=width,
    )
    page.wait_for_function("() => window.calls.length == 1")
    first = streams["channels"][0]
    assert points_of(frame, first["channel"]) == len(streams["time_s"]) - len(first.get("gaps", []))
    work = [
        i for i in results["intervals"]["structuredContent"]["intervals"] if i.get("type") == "WORK"
    ]
    frame.locator(".mark").nth(max(0, len(work) - 1)).wait_for(state="attached") if work else None
    assert frame.locator(".mark").count() == len(work)
    assert frame.locator("#fade").inner_text().startswith("Fade: ")
    shoot(page, "activity", theme, width)
    page.context.close()
    assert problems + more + even_more + last == []


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP["width"], PHONE["width"]])
def test_roster_view_one_row_per_athlete(
    browser: Browser, results: dict[str, dict[str, Any]], theme: str, width: int
) -> None:
    """A real ``get_roster_triage`` answer for Maria (coach of Aroha and Lena)."""
    roster = results["roster"]
    rows = roster["_meta"]["intervals-gateway/view"]["rows"]
    assert "rows" not in roster["structuredContent"]  # the rows reach the view only
    assert roster["structuredContent"]["athletes"] == len(rows) == 2
    page, frame, problems = open_view(browser, "roster", roster, theme=theme, width=width)
    assert frame.locator("tr.row").count() == 2
    for shown, row in zip(frame.locator("tr.row").all(), rows, strict=True):
        cells = shown.locator("th, td").all_inner_texts()
        assert cells[:2] == [row["athlete"], str(row["score"])]
        why = "; ".join(row.get("reasons", [])) or "nothing to flag"
        assert why in frame.locator("#rows").inner_text()
    first = frame.locator("tr.row").first.locator("th, td").all_inner_texts()
    assert first[:3] == ["Aroha Ngata (i100001)", "2", "0.81"] and first[4] == "-13 %"
    assert "HRV -13 % vs 28-day baseline" in frame.locator("#rows").inner_text()
    assert [r["athlete"] for r in rows] == ["Aroha Ngata (i100001)", "Lena Vogel (i100002)"]
    shoot(page, "roster", theme, width)
    page.context.close()
    assert problems == []
