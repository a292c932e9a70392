"""``get_load_metrics``: acute:chronic ratios (rolling 7/28 and EWMA), monotony, strain and
ramp rate over a window, from one ``GET /athlete/{id}/wellness`` (intervals-api.md §2.4:
``ctlLoad`` is the day's load as Intervals.icu counts it, ``ctl`` the fitness). Formulas and
thresholds: app/analytics/load.py and docs/analytics.md "Load metrics"."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from app.analytics.fitness import RAMP_DAYS
from app.analytics.load import (
    CHRONIC_DAYS,
    THRESHOLDS,
    LoadDay,
    acwr_zone,
    load_days,
)
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    IsoDate,
    WindowAnswer,
    join,
    rounded,
    tool,
    upstream_errors,
)

DEFAULT_DAYS_BACK = 27
MAX_WINDOW_DAYS = 92
WARM_UP_DAYS = 2 * CHRONIC_DAYS  # history fetched before the window (EWMA settles)


class LoadPoint(Answer):
    """One local day: its load and the metrics at its end."""

    date: str
    load: float
    acwr: float | None = None
    acwr_ewma: float | None = None
    monotony: float | None = None
    strain: float | None = None
    fitness_ctl: float | None = None

    @classmethod
    def of(cls, day: dt.date, metrics: LoadDay, ctl: float | None) -> LoadPoint:
        return cls(
            date=day.isoformat(),
            load=round(metrics.load, 1),
            acwr=rounded(metrics.acwr, 2),
            acwr_ewma=rounded(metrics.acwr_ewma, 2),
            monotony=rounded(metrics.monotony, 2),
            strain=rounded(metrics.strain, 0),
            fitness_ctl=rounded(ctl),
        )


class LoadMetrics(WindowAnswer):
    """The metrics on the window's last day, the thresholds used, then the daily points."""

    schema_note = (
        "acwr: 7-day/28-day mean load; acwr_ewma: EWMA 7/28; monotony: 7-day mean/SD; "
        "strain: 7-day load x monotony; ramp_rate: CTL change over the last 7 days; "
        "window_ramp_per_week: over the window."
    )

    acwr: float | None = None
    acwr_zone: str | None = None
    acwr_ewma: float | None = None
    monotony: float | None = None
    strain: float | None = None
    week_load: float | None = None
    ramp_rate: float | None = None
    window_ramp_per_week: float | None = None
    history_days: int
    thresholds: dict[str, str]
    points: list[LoadPoint]

    def text(self) -> str:
        head = f"load metrics {self.oldest}..{self.newest} ({self.timezone})"
        if not self.history_days:
            return f"{head}: no load data"
        values = join(
            [
                f"ACWR {self.acwr:g} ({self.acwr_zone})" if self.acwr is not None else None,
                f"EWMA ACWR {self.acwr_ewma:g}" if self.acwr_ewma is not None else None,
                f"monotony {self.monotony:g}" if self.monotony is not None else None,
                f"strain {self.strain:g}" if self.strain is not None else None,
                f"7-day load {self.week_load:g}" if self.week_load is not None else None,
                f"ramp {self.ramp_rate:+g} CTL/wk" if self.ramp_rate is not None else None,
                f"window ramp {self.window_ramp_per_week:+g} CTL/wk"
                if self.window_ramp_per_week is not None
                else None,
            ]
        )
        lines = [f"{head}, on {self.newest}: {values or 'not enough history'}"]
        if self.history_days < CHRONIC_DAYS:
            lines.append(f"only {self.history_days} days of history: ratios need {CHRONIC_DAYS}")
        lines.append("thresholds: " + "; ".join(f"{k} {v}" for k, v in self.thresholds.items()))
        return "\n".join(lines)


@tool(
    title="Load metrics",
    toolset="analytics",
    example={"end_date": "2026-07-28"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads activities and wellness in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_load_metrics(
    ctx: AthleteContext, start_date: IsoDate = None, end_date: IsoDate = None
) -> LoadMetrics:
    """Acute:chronic ratio (rolling, EWMA), monotony, strain, ramp rate; default 4 weeks."""
    window = ctx.window(start_date, end_date, days_back=DEFAULT_DAYS_BACK, max_days=MAX_WINDOW_DAYS)
    first = window.oldest - timedelta(days=WARM_UP_DAYS)
    async with upstream_errors("load data"):
        records = await ctx.api.list_wellness(
            first, window.newest, fields=["ctl", "ctlLoad"], only_fields=True
        )
    records = sorted((r for r in records if first <= r.id <= window.newest), key=lambda r: r.id)
    loads = [0.0] * ((window.newest - first).days + 1)
    for r in records:
        loads[(r.id - first).days] += r.ctl_load or 0.0
    started = next((r.id for r in records if r.ctl_load or r.ctl), None)
    known_from = (started - first).days if started else len(loads)
    metrics = load_days(loads, known_from)
    ctl = {r.id: r.ctl for r in records}
    skip = (window.oldest - first).days
    points = [
        LoadPoint.of(first + timedelta(days=i), m, ctl.get(first + timedelta(days=i)))
        for i, m in enumerate(metrics)
        if i >= skip
    ]
    last = metrics[-1]
    now, week_ago = ctl.get(window.newest), ctl.get(window.newest - timedelta(days=RAMP_DAYS))
    history = max(0, len(loads) - known_from)
    before = ctl.get(window.oldest - timedelta(days=1))
    window_ramp = (
        (now - before) / window.days * 7 if now is not None and before is not None else None
    )
    return LoadMetrics(
        **LoadMetrics.window_fields(window, str(ctx.timezone), len(points)),
        acwr=rounded(last.acwr, 2),
        acwr_zone=acwr_zone(last.acwr),
        acwr_ewma=rounded(last.acwr_ewma, 2),
        monotony=rounded(last.monotony, 2),
        strain=rounded(last.strain, 0),
        week_load=round(last.acute * 7, 1) if last.acute is not None else None,
        ramp_rate=rounded(now - week_ago) if now is not None and week_ago is not None else None,
        window_ramp_per_week=rounded(window_ramp),
        history_days=history,
        thresholds=THRESHOLDS,
        points=points if history else [],
    )
