"""App-only tools (MCP Apps ``_meta.ui.visibility: ["app"]``): called by a view to change its
range or compare periods, hidden from the model's ``tools/list`` and never listed for a client
that did not declare the extension. Each wraps a catalogue tool, so the answers, scopes and
upstream requests are the catalogue's (``GET /athlete/{id}/wellness``, ``.../power-curves``)."""

from __future__ import annotations

from collections.abc import Sequence

from app.mcp.tools.catalog._curves import CurveKind
from app.mcp.tools.catalog.get_curves import Curves, get_curves
from app.mcp.tools.catalog.get_fitness import MAX_DAILY_DAYS, FitnessSeries, get_fitness
from app.mcp.tools.context import AthleteContext
from app.mcp.tools.dates import IsoDate
from app.mcp.tools.spec import ToolSpec, spec_of, tool


@tool(
    title="Fitness chart range",
    toolset="core",
    example={"start_date": "2026-05-01", "end_date": "2026-07-28"},
    register=False,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads fitness and form in the athlete's own Intervals.icu account; changes nothing there"
        " or anywhere public."
    ),
)
async def chart_fitness_range(
    ctx: AthleteContext, start_date: IsoDate = None, end_date: IsoDate = None
) -> FitnessSeries:
    """For the fitness chart only: daily fitness, fatigue and form over the range the athlete
    picked (weekly points beyond 92 days)."""
    window = ctx.window(start_date, end_date, days_back=83, max_days=731)
    step = "day" if window.days <= MAX_DAILY_DAYS else "week"
    answer = await get_fitness(ctx, start_date, end_date, step=step)
    assert isinstance(answer, FitnessSeries)
    return answer


@tool(
    title="Curves comparison",
    toolset="analytics",
    example={"kind": "power", "period": "90d", "vs": "1y"},
    register=False,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads best-effort curves in the athlete's own Intervals.icu account; changes nothing "
        "there or anywhere public."
    ),
)
async def chart_curves_compare(
    ctx: AthleteContext, kind: CurveKind = "power", period: str = "90d", vs: str | None = None
) -> Curves:
    """For the curves view only: the curve of a period and a second period to compare."""
    answer = await get_curves(ctx, kind=kind, period=period, vs=vs)
    assert isinstance(answer, Curves)
    return answer


APP_ONLY: dict[str, tuple[ToolSpec, str]] = {
    spec.name: (spec, wrapped)
    for spec, wrapped in (
        (spec_of(chart_fitness_range), "get_fitness"),
        (spec_of(chart_curves_compare), "get_curves"),
    )
}
"""App-only tool name -> (its spec, the catalogue tool it wraps: served only with that one)."""


def app_only_specs(served: Sequence[ToolSpec]) -> tuple[ToolSpec, ...]:
    """The app-only tools whose wrapped catalogue tool is among ``served``."""
    names = {spec.name for spec in served}
    return tuple(spec for spec, wrapped in APP_ONLY.values() if wrapped in names)
