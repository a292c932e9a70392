"""``get_activity_messages``: ``GET /activity/{id}/messages`` (``sinceId``, ``limit``=100;
intervals-api.md §2.2 Chats), after ``GET /activity/{id}`` proves the activity is the acting
athlete's. Times are turned from upstream's UTC stamps into the athlete's local time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from app.intervals.models import Message
from app.mcp.tools.catalog._activity import ActivityIdShort, fetch_own_activity
from app.mcp.tools.kit import Answer, AthleteContext, tool, upstream_errors

MAX_LIMIT = 100


def local_time(stamp: str | None, zone: ZoneInfo) -> str | None:
    """``2026-07-29T07:35:12.123+0000`` (UTC unless it says otherwise) as local
    ``2026-07-29T19:35:12``; None when missing or unreadable."""
    if not stamp:
        return None
    text = stamp.strip()
    for parse in (datetime.fromisoformat, lambda t: datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%f%z")):
        try:
            moment = parse(text)
        except ValueError:
            continue
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(zone).replace(tzinfo=None, microsecond=0).isoformat()
    return None


class Comment(Answer):
    """One comment: who wrote it, when (athlete-local), what."""

    id: int
    author: str | None = None
    by_you: bool | None = None
    at_local: str | None = None
    content: str | None = None

    @classmethod
    def from_upstream(cls, message: Message, ctx: AthleteContext) -> Comment:
        return cls.model_validate(
            {
                "id": message.id,
                "author": message.name,
                "by_you": True if message.athlete_id == ctx.athlete_id else None,
                "at_local": local_time(message.created, ctx.timezone),
                "content": message.content,
            }
        )

    def line(self) -> str:
        when = (self.at_local or "").replace("T", " ")[:16]
        who = (self.author or "someone") + (" (you)" if self.by_you else "")
        return f"{when} {who}: {self.content or ''}".strip()


class ActivityMessages(Answer):
    """The comments on one activity, oldest first."""

    activity_id: str
    name: str | None = None
    timezone: str
    count: int
    more_available: bool | None = None
    comments: list[Comment]

    def text(self) -> str:
        noun = "comment" if self.count == 1 else "comments"
        head = f"{self.count} {noun} on {self.name or 'activity'} [{self.activity_id}]"
        head += f" ({self.timezone})"
        if self.more_available:
            head += "; limit reached, raise limit for more"
        return "\n".join([head, *(c.line() for c in self.comments)])


def example(fake: Any, athlete: str) -> dict[str, Any]:
    data = fake.athletes[athlete]
    with_comments = [a for a in data.activities.values() if data.messages.get(a["id"])]
    newest = max(with_comments, key=lambda a: str(a["start_date_local"]))
    return {"activity_id": str(newest["id"])}


@tool(
    title="Activity comments",
    toolset="activities",
    example=example,
    owned={"activity_id": "activity"},
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    hints_because=(
        "Reads one activity's comments in the athlete's own Intervals.icu account; changes "
        "nothing there or anywhere public."
    ),
)
async def get_activity_messages(
    ctx: AthleteContext,
    activity_id: ActivityIdShort,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 30,
) -> ActivityMessages:
    """Comments on one activity: author, local time, text."""
    activity = await fetch_own_activity(ctx, activity_id)
    async with upstream_errors(f"comments on activity {activity_id}"):
        found = await ctx.api.list_messages(activity.id, limit=limit)
    found.sort(key=lambda m: m.id)
    comments = [Comment.from_upstream(m, ctx) for m in found if m.content]
    return ActivityMessages(
        activity_id=activity.id,
        name=activity.name,
        timezone=str(ctx.timezone),
        count=len(comments),
        more_available=True if len(found) >= limit else None,
        comments=comments,
    )
