"""``get_training_plan``: ``GET /athlete/{id}/training-plan`` (intervals-api.md §2.5,
``AthleteTrainingPlan``): the plan applied to the athlete, its start day, the days it covers,
where today falls in it, and its weeks (workouts, time, load). Plan workouts carry a ``day``
counted from the plan's start (0 = the start day), which gives their calendar date."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import Field

from app.intervals.models import AthleteTrainingPlan, Workout
from app.mcp.tools.catalog._library import WorkoutSummary
from app.mcp.tools.kit import Answer, AthleteContext, join, tool, upstream_errors, with_unit


class PlanWeek(Answer):
    """One week of the plan: its days, number of workouts, planned time and load."""

    week: int
    start: str
    end: str
    workouts: int
    moving_time_s: int | None = None
    training_load: int | None = None

    def line(self) -> str:
        body = join(
            [
                f"{self.workouts} workouts",
                with_unit("moving_time_s", self.moving_time_s),
                with_unit("training_load", self.training_load, "load"),
            ]
        )
        return f"week {self.week} {self.start}..{self.end}: {body}"


class PlanWorkout(WorkoutSummary):
    """A plan workout on its calendar date."""

    date: str


class TrainingPlan(Answer):
    """The training plan applied to the athlete (``applied`` false when there is none)."""

    schema_note = "Days are the athlete's local dates; folder_id works in get_folder_workouts."

    applied: bool
    folder_id: int | None = None
    name: str | None = None
    alias: str | None = None
    start: str | None = None
    end: str | None = None
    duration_weeks: int | None = None
    today: str | None = None
    last_applied: str | None = None
    workout_count: int | None = None
    weeks: list[PlanWeek] | None = None
    workouts: list[PlanWorkout] | None = None

    def text(self) -> str:
        if not self.applied:
            return "No training plan applied."
        head = join(
            [
                f"Plan {self.name or self.alias or ''} [{self.folder_id}]".replace("  ", " "),
                f"{self.start}..{self.end}" if self.end else f"from {self.start}",
                f"{self.duration_weeks} weeks" if self.duration_weeks else None,
                f"today: {self.today}" if self.today else None,
                f"{self.workout_count} workouts",
            ]
        )
        lines = [head, *(w.line() for w in self.weeks or [])]
        if self.workouts:
            lines += [f"{w.date} {w.line()}" for w in self.workouts]
        elif self.workout_count:
            lines.append("workouts: detail=true lists each with its date")
        return "\n".join(lines)


def _weeks(start: date, workouts: list[tuple[date, Workout]], count: int) -> list[PlanWeek]:
    """Totals per plan week (week 1 starts on the plan's start day)."""
    by_week: dict[int, list[Workout]] = defaultdict(list)
    for day, workout in workouts:
        by_week[(day - start).days // 7].append(workout)
    weeks = []
    for index in range(count):
        items = by_week.get(index, [])
        time = sum(w.moving_time or 0 for w in items)
        load = sum(w.icu_training_load or 0 for w in items)
        weeks.append(
            PlanWeek(
                week=index + 1,
                start=(start + timedelta(days=7 * index)).isoformat(),
                end=(start + timedelta(days=7 * index + 6)).isoformat(),
                workouts=len(items),
                moving_time_s=time or None,
                training_load=round(load) or None,
            )
        )
    return weeks


def _where(today: date, start: date, end: date) -> str:
    if today < start:
        return f"starts in {(start - today).days} days"
    if today > end:
        return f"ended {(today - end).days} days ago"
    return f"week {(today - start).days // 7 + 1}, day {(today - start).days + 1}"


def _local_day(stamp: str | None, ctx: AthleteContext) -> str | None:
    """An upstream timestamp as the athlete's local date (as sent when not parseable)."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.astimezone(ctx.timezone).date().isoformat()


def plan_answer(plan: AthleteTrainingPlan, ctx: AthleteContext, detail: bool) -> TrainingPlan:
    start = plan.training_plan_start_date
    if plan.training_plan_id is None or start is None:
        return TrainingPlan(applied=False)
    folder = plan.training_plan
    children = list(folder.children) if folder else []
    dated = sorted(
        ((start + timedelta(days=w.day or 0), w) for w in children),
        key=lambda pair: (pair[0], pair[1].name or "", pair[1].id),
    )
    weeks = folder.duration_weeks if folder and folder.duration_weeks else None
    span = weeks or (((dated[-1][0] - start).days // 7 + 1) if dated else 1)
    end = start + timedelta(days=7 * span - 1)
    return TrainingPlan(
        applied=True,
        folder_id=plan.training_plan_id,
        name=folder.name if folder else None,
        alias=plan.training_plan_alias,
        start=start.isoformat(),
        end=end.isoformat(),
        duration_weeks=weeks,
        today=_where(ctx.today(), start, end),
        last_applied=_local_day(plan.training_plan_last_applied, ctx),
        workout_count=len(children),
        weeks=_weeks(start, dated, span),
        workouts=[
            PlanWorkout.model_validate(
                WorkoutSummary.summary_fields(w) | {"date": day.isoformat(), "plan_day": None}
            )
            for day, w in dated
        ]
        if detail and dated
        else None,
    )


@tool(
    title="Training plan",
    toolset="calendar",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads the applied training plan in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_training_plan(
    ctx: AthleteContext,
    detail: Annotated[bool, Field(description="Each workout with its date")] = False,
) -> TrainingPlan:
    """Your applied training plan: name, dates, current week; per week its workouts, time and
    load."""
    async with upstream_errors("your training plan"):
        plan = await ctx.api.get_training_plan()
    if plan.athlete_id is not None:
        ctx.owned(plan.athlete_id, "training plan")
    return plan_answer(plan, ctx, detail)
