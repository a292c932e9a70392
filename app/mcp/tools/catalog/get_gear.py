"""``get_gear``: ``GET /athlete/{id}/gear`` (intervals-api.md §2.7, ``Gear`` and
``GearReminder``): bikes, shoes and components with their distance, time and activity totals,
and each reminder's limit, use since its last reset, what remains and whether it is due
(``percent_used`` is of the limit closest to being reached)."""

from __future__ import annotations

from app.intervals.models import Gear, GearReminder
from app.mcp.tools.kit import (
    Answer,
    AthleteContext,
    join,
    rounded,
    tool,
    upstream_errors,
    whole,
    with_unit,
)


def _left(limit: float | None, used: float | None) -> float | None:
    """What remains of a limit (never below zero); None without a limit."""
    if not limit:
        return None
    return max(float(limit) - float(used or 0), 0.0)


class Reminder(Answer):
    """A gear reminder: limits, use since the last reset, what remains, due or not."""

    name: str | None = None
    due: bool
    percent_used: float | None = None
    limit_distance_m: float | None = None
    limit_time_s: int | None = None
    limit_days: int | None = None
    limit_activities: int | None = None
    remaining_distance_m: float | None = None
    remaining_time_s: int | None = None
    remaining_days: int | None = None
    remaining_activities: int | None = None
    last_reset: str | None = None
    snoozed_until: str | None = None

    @classmethod
    def from_upstream(cls, reminder: GearReminder) -> Reminder:
        percent = rounded(reminder.percent_used)
        days = _left(reminder.days, reminder.days_used)
        activities = _left(reminder.activities, reminder.activities_used)
        return cls(
            name=reminder.name,
            due=percent is not None and percent >= 100,
            percent_used=percent,
            limit_distance_m=rounded(reminder.distance) or None,
            limit_time_s=whole(reminder.time) or None,
            limit_days=reminder.days or None,
            limit_activities=reminder.activities or None,
            remaining_distance_m=rounded(_left(reminder.distance, reminder.distance_used)),
            remaining_time_s=whole(_left(reminder.time, reminder.time_used)),
            remaining_days=None if days is None else int(days),
            remaining_activities=None if activities is None else int(activities),
            last_reset=(reminder.last_reset or "")[:10] or None,
            snoozed_until=(reminder.snoozed_until or "")[:10] or None,
        )

    def line(self) -> str:
        left = join(
            [
                with_unit("distance_m", self.remaining_distance_m),
                with_unit("remaining_time_s", self.remaining_time_s),
                f"{self.remaining_days} days" if self.remaining_days is not None else None,
                f"{self.remaining_activities} activities"
                if self.remaining_activities is not None
                else None,
            ]
        )
        state = "DUE" if self.due else f"{self.percent_used or 0:g}% used"
        parts = [
            state,
            f"left {left}" if left else None,
            f"since {self.last_reset}" if self.last_reset else None,
            f"snoozed until {self.snoozed_until}" if self.snoozed_until else None,
        ]
        return f"reminder {self.name or ''}: {join(parts)}".replace("reminder :", "reminder:")


class GearItem(Answer):
    """One piece of gear with its totals and reminders."""

    id: str
    type: str | None = None
    name: str | None = None
    distance_m: float | None = None
    time_s: int | None = None
    activities: int | None = None
    retired: str | None = None
    component: bool | None = None
    reminders: list[Reminder] | None = None

    @classmethod
    def from_upstream(cls, gear: Gear) -> GearItem:
        return cls(
            id=gear.id,
            type=gear.type,
            name=gear.name,
            distance_m=rounded(gear.distance),
            time_s=whole(gear.time),
            activities=gear.activities,
            retired=(gear.retired or "")[:10] or None,
            component=gear.component or None,
            reminders=[Reminder.from_upstream(r) for r in gear.reminders] or None,
        )

    def lines(self) -> list[str]:
        body = join(
            [
                with_unit("distance_m", self.distance_m),
                with_unit("time_s", self.time_s),
                f"{self.activities} activities" if self.activities is not None else None,
                "component" if self.component else None,
                f"retired {self.retired}" if self.retired else None,
            ]
        )
        head = f"{self.type or 'Gear'} {self.name or ''} [{self.id}]".replace("  ", " ")
        return [f"{head}: {body}", *(f"  {r.line()}" for r in self.reminders or [])]


class GearList(Answer):
    """The athlete's gear, active first; reminders that are due are counted."""

    schema_note = "due: a reminder's limit is reached (percent_used >= 100)."

    count: int
    due_reminders: int
    retired_left_out: int | None = None
    gear: list[GearItem]

    def text(self) -> str:
        head = f"{self.count} gear, {self.due_reminders} reminders due"
        if self.retired_left_out:
            head += f"; {self.retired_left_out} retired left out (include_retired=true)"
        return "\n".join([head, *(line for g in self.gear for line in g.lines())])


@tool(
    title="Gear and reminders",
    toolset="core",
    example={},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads gear and its reminders in the athlete's own Intervals.icu account; changes nothing"
        " there or anywhere public."
    ),
)
async def get_gear(
    ctx: AthleteContext,
    include_retired: bool = False,
) -> GearList:
    """Bikes, shoes and components: distance, time, activities; reminders with what remains and if
    due."""
    async with upstream_errors("your gear"):
        found = await ctx.api.list_gear()
    own = [g for g in found if g.athlete_id in (None, ctx.athlete_id)]
    kept = [g for g in own if include_retired or not g.retired]
    kept.sort(key=lambda g: (g.retired is not None, g.type or "", g.name or "", g.id))
    items = [GearItem.from_upstream(g) for g in kept]
    return GearList(
        count=len(items),
        due_reminders=sum(1 for g in items for r in g.reminders or [] if r.due),
        retired_left_out=(len(own) - len(kept)) or None,
        gear=items,
    )
