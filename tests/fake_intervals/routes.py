"""Route handlers of the fake Intervals.icu server, registered with their OpenAPI templates."""

from __future__ import annotations

import copy
import html
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from tests.fake_intervals.app import (
    CODE_LIFETIME,
    EVENT_CATEGORIES,
    READ_ONLY_WELLNESS,
    Ctx,
    FakeIntervals,
    HTTPError,
    access_denied,
    apply_partial,
    flag,
    format_scope,
    parse_local,
    parse_scope,
    positive_int,
    project,
)
from tests.fake_intervals.data import POWER_ZONES, local_iso, stamp

POWER_SECS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600]
PACE_DISTANCES = [400.0, 800.0, 1000.0, 1609.34, 3000.0, 5000.0, 10000.0]


def register(fake: FakeIntervals) -> None:
    r = fake.route

    # -- athlete ----------------------------------------------------------------------------

    @r("GET", "/athlete/{id}", scope="SETTINGS")
    def get_athlete(ctx: Ctx) -> Any:
        data = ctx.data
        out = copy.deepcopy(data.profile)
        out["sportSettings"] = copy.deepcopy(data.sport_settings)
        out["custom_items"] = list(copy.deepcopy(data.custom_items).values())
        if ctx.caller.kind == "basic" and ctx.caller.athlete == ctx.athlete:
            out["icu_api_key"] = ctx.fake.demo[ctx.athlete].api_key  # upstream really does this
        return out

    @r("GET", "/athletes", scope=None, athlete=None)
    def list_athletes(ctx: Ctx) -> Any:
        if ctx.caller.kind != "basic":
            raise access_denied()
        me = ctx.caller.athlete
        visible = [me, *sorted(ctx.fake.shares.get(me, set()))]
        return [
            {
                "id": a,
                "name": ctx.fake.athletes[a].profile["name"],
                "timezone": ctx.fake.athletes[a].profile["timezone"],
                "tags": None,
            }
            for a in visible
        ]

    @r("GET", "/athlete/{id}/athlete-summary{ext}", scope="ACTIVITY")
    def athlete_summary(ctx: Ctx) -> Any:
        """Weekly rows, newest week first. With a coach's own API key the coached athletes'
        rows follow (the spec's ``tags`` filter picks among them); a bearer token gets its
        athlete only."""
        today = ctx.fake.local_now(ctx.athlete or "").date()
        start = _day(ctx.query.get("start"), "start") or today - timedelta(days=6)
        end = _day(ctx.query.get("end"), "end") or today
        if end < start:
            raise HTTPError(422, "end is before start")
        who = [ctx.athlete or ""]
        if ctx.caller.kind == "basic" and ctx.caller.athlete == ctx.athlete:
            who += sorted(ctx.fake.coaching.get(ctx.athlete or "", set()))
        return [row for a in who for row in summary_rows(ctx.fake, a, start, end)]

    # -- activities -------------------------------------------------------------------------

    def local_window(ctx: Ctx, required: bool) -> tuple[datetime, datetime]:
        oldest_raw = ctx.query.get("oldest")
        if not oldest_raw:
            if required:
                raise HTTPError(422, "Required parameter 'oldest' is not present")
            oldest_raw = ctx.fake.local_now(ctx.athlete or "").date().isoformat()
        oldest = parse_local(oldest_raw, "oldest")
        newest_raw = ctx.query.get("newest")
        if newest_raw:
            newest = parse_local(newest_raw, "newest", end=True)
        else:
            newest = ctx.fake.local_now(ctx.athlete or "").replace(tzinfo=None)
        return oldest, newest

    def activity_out(ctx: Ctx, owner: str, act: dict[str, Any], intervals: bool) -> Any:
        out = copy.deepcopy(act)
        if intervals and act.get("source") != "STRAVA":
            ivs, groups = intervals_of(ctx.fake, owner, act)
            out["icu_intervals"] = ivs
            out["icu_groups"] = groups
        return out

    @r("GET", "/athlete/{id}/activities/search", scope="ACTIVITY")
    def search(ctx: Ctx) -> Any:
        return [
            {
                k: a.get(k)
                for k in (
                    "id",
                    "name",
                    "start_date_local",
                    "type",
                    "race",
                    "distance",
                    "moving_time",
                    "tags",
                    "description",
                )
            }
            for a in _search(ctx)
        ]

    @r("GET", "/athlete/{id}/activities/search-full", scope="ACTIVITY")
    def search_full(ctx: Ctx) -> Any:
        return [copy.deepcopy(a) for a in _search(ctx)]

    def _search(ctx: Ctx) -> list[dict[str, Any]]:
        q = (ctx.query.get("q") or "").strip()
        if not q:
            raise HTTPError(422, "Required parameter 'q' is not present")
        acts = sorted(
            ctx.data.activities.values(), key=lambda a: a["start_date_local"], reverse=True
        )
        acts = [a for a in acts if a.get("source") != "STRAVA"]
        if q.startswith("#"):
            found = [a for a in acts if q[1:] in (a.get("tags") or [])]
        else:
            found = [a for a in acts if q.lower() in (a.get("name") or "").lower()]
        limit = positive_int(ctx.query.get("limit"), "limit")
        return found[:limit] if limit else found

    @r("GET", "/athlete/{id}/activity-tags", scope="ACTIVITY")
    def activity_tags(ctx: Ctx) -> Any:
        return sorted({t for a in ctx.data.activities.values() for t in a.get("tags") or []})

    @r("GET", "/athlete/{athleteId}/activities/{ids}", scope="ACTIVITY", athlete="athleteId")
    def get_many(ctx: Ctx) -> Any:
        wanted = [i for i in ctx.path["ids"].split(",") if i]
        acts = ctx.data.activities
        return [
            activity_out(ctx, ctx.athlete or "", acts[i], flag(ctx.query.get("intervals")))
            for i in wanted
            if i in acts
        ]

    @r("GET", "/athlete/{id}/activities", scope="ACTIVITY")
    def list_activities(ctx: Ctx) -> Any:
        oldest, newest = local_window(ctx, required=True)
        acts = [
            a
            for a in ctx.data.activities.values()
            if oldest <= datetime.fromisoformat(a["start_date_local"]) <= newest
        ]
        acts.sort(key=lambda a: a["start_date_local"], reverse=True)
        limit = positive_int(ctx.query.get("limit"), "limit")
        if limit:
            acts = acts[:limit]
        return [project(copy.deepcopy(a), ctx.query.get("fields")) for a in acts]

    @r("GET", "/athlete/{id}/activities-around", scope="ACTIVITY")
    def around(ctx: Ctx) -> Any:
        target = ctx.query.get("activity_id")
        if not target:
            raise HTTPError(422, "Required parameter 'activity_id' is not present")
        acts = sorted(
            ctx.data.activities.values(), key=lambda a: a["start_date_local"], reverse=True
        )
        index = next((i for i, a in enumerate(acts) if a["id"] == target), None)
        if index is None:
            raise HTTPError(404, f"Activity not found: {target}")
        limit = positive_int(ctx.query.get("limit"), "limit") or 30
        half = max(1, limit // 2)
        return [copy.deepcopy(a) for a in acts[max(0, index - half) : index + half + 1]][:limit]

    @r("GET", "/activity/{id}", scope="ACTIVITY", athlete=None)
    def get_activity(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        return activity_out(ctx, owner, act, flag(ctx.query.get("intervals")))

    @r("PUT", "/activity/{id}", scope="ACTIVITY", athlete=None)
    def update_activity(ctx: Ctx) -> Any:
        _owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        if act.get("source") == "STRAVA":
            raise HTTPError(422, "STRAVA activities cannot be updated via the API")
        if not isinstance(ctx.body, dict):
            raise HTTPError(400, "Required request body is missing")
        apply_partial(act, ctx.body, {"id", "icu_athlete_id", "source", "start_date"})
        return copy.deepcopy(act)

    @r("GET", "/activity/{id}/intervals", scope="ACTIVITY", athlete=None)
    def get_intervals(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        if act.get("source") == "STRAVA":
            raise HTTPError(404, "Activity not found")
        ivs, groups = intervals_of(ctx.fake, owner, act)
        return {
            "id": act["id"],
            "analyzed": act.get("analyzed"),
            "icu_intervals": ivs,
            "icu_groups": groups,
        }

    @r("GET", "/activity/{id}/streams{ext}", scope="ACTIVITY", athlete=None)
    def get_streams(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        if act.get("source") == "STRAVA":
            raise HTTPError(404, "Activity not found")
        streams = ctx.fake.streams(owner, act)
        wanted = [t for t in (ctx.query.get("types") or "").split(",") if t]
        out = []
        for name, values in streams.items():
            if name.startswith("_") or (wanted and name not in wanted):
                continue
            item: dict[str, Any] = {
                "type": name,
                "name": None,
                "data": values,
                "valueTypeIsArray": False,
                "anomalies": None,
                "custom": False,
                "allNull": False,
            }
            if name == "latlng":
                item["data2"] = streams.get("_lng")
            out.append(item)
        if ctx.ext == ".csv":
            cols = [s["type"] for s in out]
            lines = [",".join(cols)] + [
                ",".join(str(s["data"][i]) for s in out) for i in range(len(streams["time"]))
            ]
            return PlainTextResponse("\n".join(lines), media_type="text/csv")
        return out

    @r("GET", "/activity/{id}/best-efforts", scope="ACTIVITY", athlete=None)
    def best_efforts(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        stream = ctx.query.get("stream")
        if not stream:
            raise HTTPError(422, "Required parameter 'stream' is not present")
        duration = positive_int(ctx.query.get("duration"), "duration")
        distance_raw = ctx.query.get("distance")
        if (duration is None) == (distance_raw is None):
            raise HTTPError(422, "Specify duration or distance")
        streams = ctx.fake.streams(owner, act)
        values = streams.get(stream)
        if values is None:
            raise HTTPError(422, f"Activity has no {stream} stream")
        count = positive_int(ctx.query.get("count"), "count") or 8
        return {
            "efforts": _efforts(
                values,
                streams.get("distance") or [],
                duration,
                float(distance_raw) if distance_raw else None,
                count,
            )
        }

    for kind, stream_name, default_size, key in (
        ("power", "watts", 25.0, "watts"),
        ("hr", "heartrate", 5.0, "hr"),
        ("pace", "velocity_smooth", 15.0, None),  # pace buckets: seconds per km
        ("gap", "velocity_smooth", 15.0, None),
    ):
        _histogram_route(fake, kind, stream_name, default_size, key)

    @r("GET", "/activity/{id}/messages", scope="CHATS", athlete=None)
    def list_messages(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        msgs = ctx.fake.athletes[owner].messages.get(act["id"], [])
        since = positive_int(ctx.query.get("sinceId"), "sinceId") or 0
        limit = positive_int(ctx.query.get("limit"), "limit") or 100
        return [copy.deepcopy(m) for m in msgs if m["id"] > since][:limit]

    @r("POST", "/activity/{id}/messages", scope="CHATS", athlete=None)
    def add_message(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        content = ctx.body.get("content") if isinstance(ctx.body, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise HTTPError(422, "content is required")
        mid = ctx.fake.ids.next("message")
        author = ctx.caller.athlete
        ctx.fake.athletes[owner].messages.setdefault(act["id"], []).append(
            {
                "id": mid,
                "athlete_id": author,
                "name": ctx.fake.athletes[author].profile["name"],
                "type": "TEXT",
                "created": stamp(ctx.fake.now()),
                "content": content,
                "activity_id": act["id"],
                "seen": False,
            }
        )
        return {"id": mid, "new_chat": None}

    for kind in ("power", "hr", "pace"):
        _activity_curve_route(fake, kind)

    # -- curves -----------------------------------------------------------------------------

    @r("GET", "/athlete/{id}/power-curves{ext}", scope="ACTIVITY")
    def power_curves(ctx: Ctx) -> Any:
        sport = ctx.query.get("type")
        if not sport:
            raise HTTPError(422, "Required parameter 'type' is not present")
        settings = _settings_for(ctx, sport)
        ftp = (settings or {}).get("ftp") or 0
        w_prime = (settings or {}).get("w_prime") or 18000
        p_max = (settings or {}).get("p_max") or 900

        def values(scale: float) -> list[Any]:
            if not ftp:
                return [None] * len(POWER_SECS)
            return [round(min(p_max, ftp * 0.97 + w_prime / s) * scale) for s in POWER_SECS]

        weight = ctx.data.profile["weight"]
        return _curve_set(
            ctx,
            "secs",
            POWER_SECS,
            values,
            sport,
            extra=lambda vals: {
                "watts_per_kg": [round(v / weight, 2) if v else None for v in vals]
            },
        )

    @r("GET", "/athlete/{id}/hr-curves{ext}", scope="ACTIVITY")
    def hr_curves(ctx: Ctx) -> Any:
        max_hr = max((s.get("max_hr") or 0) for s in ctx.data.sport_settings) or 185

        def values(scale: float) -> list[Any]:
            return [
                round((max_hr - 2 - 14 * (s**0.25) / 60**0.25 * 0.6) * scale) for s in POWER_SECS
            ]

        return _curve_set(ctx, "secs", POWER_SECS, values, ctx.query.get("type"))

    @r("GET", "/athlete/{id}/pace-curves{ext}", scope="ACTIVITY")
    def pace_curves(ctx: Ctx) -> Any:
        sport = ctx.query.get("type")
        if not sport:
            raise HTTPError(422, "Required parameter 'type' is not present")
        settings = _settings_for(ctx, sport) or {}
        pace = settings.get("threshold_pace")

        def values(scale: float) -> list[Any]:
            if not pace:
                return [None] * len(PACE_DISTANCES)
            return [
                round(d / (pace * (1.12 - 0.035 * (d / 1000) ** 0.5)) / scale)
                for d in PACE_DISTANCES
            ]

        return _curve_set(ctx, "distance", PACE_DISTANCES, values, sport)

    # -- wellness ---------------------------------------------------------------------------

    @r("GET", "/athlete/{id}/wellness{ext}", scope="WELLNESS")
    def list_wellness(ctx: Ctx) -> Any:
        today = ctx.fake.local_now(ctx.athlete or "").date()
        newest = _day(ctx.query.get("newest"), "newest") or today
        oldest = _day(ctx.query.get("oldest"), "oldest") or newest - timedelta(days=6)
        rows = [
            w
            for d, w in sorted(ctx.data.wellness.items())
            if oldest.isoformat() <= d <= newest.isoformat()
        ]
        return [project(copy.deepcopy(w), ctx.query.get("fields")) for w in rows]

    @r("GET", "/athlete/{id}/wellness/{date}", scope="WELLNESS")
    def get_wellness(ctx: Ctx) -> Any:
        day = _day(ctx.path["date"], "date")
        assert day is not None
        return copy.deepcopy(ctx.data.wellness.get(day.isoformat(), {"id": day.isoformat()}))

    def put_wellness(ctx: Ctx, day_text: str, changes: Any) -> dict[str, Any]:
        day = _day(day_text, "date")
        assert day is not None
        if not isinstance(changes, dict):
            raise HTTPError(400, "Required request body is missing")
        if changes.get("id") not in (None, day.isoformat()):
            raise HTTPError(422, "id does not match the date")
        record = ctx.data.wellness.setdefault(day.isoformat(), {"id": day.isoformat()})
        apply_partial(record, changes, READ_ONLY_WELLNESS | {"id"})
        record["updated"] = stamp(ctx.fake.now())
        return record

    @r("PUT", "/athlete/{id}/wellness/{date}", scope="WELLNESS")
    def update_wellness(ctx: Ctx) -> Any:
        return copy.deepcopy(put_wellness(ctx, ctx.path["date"], ctx.body))

    @r("PUT", "/athlete/{id}/wellness", scope="WELLNESS")
    def update_wellness_body(ctx: Ctx) -> Any:
        if not isinstance(ctx.body, dict) or not ctx.body.get("id"):
            raise HTTPError(422, "id (the date) is required")
        return copy.deepcopy(put_wellness(ctx, ctx.body["id"], ctx.body))

    @r("PUT", "/athlete/{id}/wellness-bulk", scope="WELLNESS")
    def update_wellness_bulk(ctx: Ctx) -> Any:
        if not isinstance(ctx.body, list):
            raise HTTPError(400, "Required request body is missing")
        for item in ctx.body:
            if not isinstance(item, dict) or not item.get("id"):
                raise HTTPError(422, "Each record needs id (the date)")
            _day(item["id"], "id")
        for item in ctx.body:
            put_wellness(ctx, item["id"], item)
        return Response(status_code=200)

    # -- events -----------------------------------------------------------------------------

    @r("GET", "/athlete/{id}/events{format}", scope="CALENDAR")
    def list_events(ctx: Ctx) -> Any:
        today = ctx.fake.local_now(ctx.athlete or "").date()
        oldest = parse_local(ctx.query.get("oldest") or today.isoformat(), "oldest")
        newest_raw = ctx.query.get("newest") or (oldest.date() + timedelta(days=6)).isoformat()
        newest = parse_local(newest_raw, "newest", end=True)
        categories = {c for c in (ctx.query.get("category") or "").split(",") if c}
        events = [
            e
            for e in ctx.data.events.values()
            if _overlaps(e, oldest, newest) and (not categories or e["category"] in categories)
        ]
        events.sort(key=lambda e: (e["start_date_local"], e["id"]))
        limit = positive_int(ctx.query.get("limit"), "limit")
        return [copy.deepcopy(e) for e in (events[:limit] if limit else events)]

    def event_of(ctx: Ctx) -> dict[str, Any]:
        try:
            eid = int(ctx.path["eventId"])
        except ValueError:
            raise HTTPError(422, "Invalid eventId") from None
        event = ctx.data.events.get(eid)
        if event is None:
            if any(eid in d.events for d in ctx.fake.athletes.values()):
                raise access_denied()
            raise HTTPError(404, f"Event not found: {eid}")
        return event

    @r("GET", "/athlete/{id}/events/{eventId}", scope="CALENDAR")
    def get_event(ctx: Ctx) -> Any:
        return copy.deepcopy(event_of(ctx))

    def new_event(ctx: Ctx, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise HTTPError(400, "Required request body is missing")
        category = body.get("category")
        if category not in EVENT_CATEGORIES:
            raise HTTPError(422, f"Invalid category: {category}")
        start = body.get("start_date_local")
        if not start:
            raise HTTPError(422, "start_date_local is required")
        begin = parse_local(str(start), "start_date_local")
        eid = ctx.fake.ids.next("event")
        event: dict[str, Any] = {
            "id": eid,
            "uid": body.get("uid") or secrets.token_hex(16),
            "athlete_id": ctx.athlete,
            "calendar_id": 1,
            "category": category,
            "start_date_local": local_iso(begin),
            "end_date_local": local_iso(
                datetime.combine(begin.date() + timedelta(days=1), datetime.min.time())
            ),
            "type": None,
            "name": None,
            "description": None,
            "indoor": False,
            "color": None,
            "moving_time": None,
            "distance": None,
            "icu_training_load": None,
            "icu_intensity": None,
            "icu_ftp": None,
            "icu_ctl": None,
            "icu_atl": None,
            "target": None,
            "workout_doc": None,
            "external_id": None,
            "tags": None,
            "oauth_client_id": ctx.caller.client_id,
            "updated": stamp(ctx.fake.now()),
        }
        write_event(event, body)
        return event

    def write_event(event: dict[str, Any], body: dict[str, Any]) -> None:
        changes = {
            k: v
            for k, v in body.items()
            if k
            not in (
                "id",
                "athlete_id",
                "workout_doc",
                "uid",
                "file_contents",
                "file_contents_base64",
                "filename",
            )
        }
        for key in ("start_date_local", "end_date_local"):
            if changes.get(key):
                changes[key] = local_iso(parse_local(str(changes[key]), key))
        if "category" in changes and changes["category"] not in EVENT_CATEGORIES:
            raise HTTPError(422, f"Invalid category: {changes['category']}")
        apply_partial(event, changes, set())
        if event["category"] == "WORKOUT" and event.get("description"):
            doc = parse_workout_text(event["description"])
            if doc:
                event["workout_doc"] = doc
                event["moving_time"] = doc["duration"] or event.get("moving_time")

    @r("POST", "/athlete/{id}/events/bulk", scope="CALENDAR")
    def create_bulk(ctx: Ctx) -> Any:
        if not isinstance(ctx.body, list):
            raise HTTPError(400, "Required request body is missing")
        upsert = flag(ctx.query.get("upsert"))
        out = []
        for body in ctx.body:
            existing = None
            if upsert and isinstance(body, dict) and body.get("external_id"):
                existing = next(
                    (
                        e
                        for e in ctx.data.events.values()
                        if e.get("external_id") == body["external_id"]
                        and e.get("oauth_client_id") == ctx.caller.client_id
                    ),
                    None,
                )
            if existing is not None:
                write_event(existing, body)
                existing["updated"] = stamp(ctx.fake.now())
                out.append(copy.deepcopy(existing))
            else:
                event = new_event(ctx, body)
                ctx.data.events[event["id"]] = event
                out.append(copy.deepcopy(event))
        return out

    @r("PUT", "/athlete/{id}/events/bulk-delete", scope="CALENDAR")
    def delete_bulk(ctx: Ctx) -> Any:
        if not isinstance(ctx.body, list):
            raise HTTPError(400, "Required request body is missing")
        deleted = 0
        for doomed in ctx.body:
            if not isinstance(doomed, dict):
                continue
            for eid, e in list(ctx.data.events.items()):
                if (doomed.get("id") is not None and e["id"] == doomed["id"]) or (
                    doomed.get("external_id")
                    and e.get("external_id") == doomed["external_id"]
                    and e.get("oauth_client_id") == ctx.caller.client_id
                ):
                    del ctx.data.events[eid]
                    deleted += 1
        return {"eventsDeleted": deleted}

    @r("POST", "/athlete/{id}/events", scope="CALENDAR")
    def create_event(ctx: Ctx) -> Any:
        body = ctx.body
        if flag(ctx.query.get("upsertOnUid")) and isinstance(body, dict) and body.get("uid"):
            existing = next((e for e in ctx.data.events.values() if e["uid"] == body["uid"]), None)
            if existing is not None:
                write_event(existing, body)
                return copy.deepcopy(existing)
        event = new_event(ctx, body)
        ctx.data.events[event["id"]] = event
        return copy.deepcopy(event)

    @r("PUT", "/athlete/{id}/events/{eventId}", scope="CALENDAR")
    def update_event(ctx: Ctx) -> Any:
        event = event_of(ctx)
        if not isinstance(ctx.body, dict):
            raise HTTPError(400, "Required request body is missing")
        write_event(event, ctx.body)
        event["updated"] = stamp(ctx.fake.now())
        return copy.deepcopy(event)

    @r("DELETE", "/athlete/{id}/events/{eventId}", scope="CALENDAR")
    def delete_event(ctx: Ctx) -> Any:
        event = event_of(ctx)
        del ctx.data.events[event["id"]]
        return {}

    @r("POST", "/athlete/{id}/duplicate-events", scope="CALENDAR")
    def duplicate(ctx: Ctx) -> Any:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        ids = body.get("eventIds") or []
        copies = int(body.get("numCopies") or 1)
        weeks = int(body.get("weeksBetween") or 1)
        out = []
        for n in range(1, copies + 1):
            for eid in ids:
                source = ctx.data.events.get(eid)
                if source is None:
                    raise HTTPError(404, f"Event not found: {eid}")
                clone = copy.deepcopy(source)
                shift = timedelta(weeks=weeks * n)
                clone["id"] = ctx.fake.ids.next("event")
                clone["uid"] = secrets.token_hex(16)
                for key in ("start_date_local", "end_date_local"):
                    if clone.get(key):
                        clone[key] = local_iso(datetime.fromisoformat(clone[key]) + shift)
                ctx.data.events[clone["id"]] = clone
                out.append(copy.deepcopy(clone))
        return out

    @r("POST", "/athlete/{id}/events/{eventId}/mark-done", scope="CALENDAR")
    def mark_done(ctx: Ctx) -> Any:
        event = event_of(ctx)
        if event["category"] != "WORKOUT":
            raise HTTPError(422, "Event is not a planned workout")
        aid = f"i{ctx.fake.ids.next('activity', 3)}"
        act = {
            "id": aid,
            "icu_athlete_id": ctx.athlete,
            "start_date_local": event["start_date_local"],
            "start_date": None,
            "timezone": ctx.data.profile["timezone"],
            "type": event["type"],
            "name": event["name"],
            "description": event.get("description"),
            "source": "MANUAL",
            "moving_time": event.get("moving_time"),
            "elapsed_time": event.get("moving_time"),
            "distance": event.get("distance"),
            "icu_training_load": event.get("icu_training_load"),
            "paired_event_id": event["id"],
            "tags": None,
            "stream_types": None,
        }
        ctx.data.activities[aid] = act
        return copy.deepcopy(act)

    # -- library ----------------------------------------------------------------------------

    @r("GET", "/athlete/{id}/folders", scope="LIBRARY")
    def list_folders(ctx: Ctx) -> Any:
        out = []
        for folder in ctx.data.folders.values():
            item = copy.deepcopy(folder)
            item["children"] = [
                copy.deepcopy(w)
                for w in ctx.data.workouts.values()
                if w["folder_id"] == folder["id"]
            ]
            out.append(item)
        return out

    @r("GET", "/athlete/{id}/workouts", scope="LIBRARY")
    def list_workouts(ctx: Ctx) -> Any:
        return [copy.deepcopy(w) for w in ctx.data.workouts.values()]

    @r("GET", "/athlete/{id}/workouts/{workoutId}", scope="LIBRARY")
    def get_workout(ctx: Ctx) -> Any:
        try:
            workout = ctx.data.workouts.get(int(ctx.path["workoutId"]))
        except ValueError:
            raise HTTPError(422, "Invalid workoutId") from None
        if workout is None:
            raise HTTPError(404, "Workout not found")
        return copy.deepcopy(workout)

    @r("GET", "/athlete/{id}/training-plan", scope="CALENDAR")
    def training_plan(ctx: Ctx) -> Any:
        out = copy.deepcopy(ctx.data.training_plan)
        folder = ctx.data.folders.get(out.get("training_plan_id") or 0)
        if folder is not None:
            out["training_plan"] = {
                **copy.deepcopy(folder),
                "children": [
                    copy.deepcopy(w)
                    for w in ctx.data.workouts.values()
                    if w["folder_id"] == folder["id"]
                ],
            }
        return out

    @r("POST", "/athlete/{id}/workouts", scope="LIBRARY")
    def create_workout(ctx: Ctx) -> Any:
        body = ctx.body
        if not isinstance(body, dict):
            raise HTTPError(400, "Required request body is missing")
        if body.get("folder_id") not in ctx.data.folders:
            raise HTTPError(422, "Folder not found")
        name = body.get("name") or ""
        if not name:
            raise HTTPError(422, "Name is required")
        if len(name) > 80:
            raise HTTPError(422, "Name is too long")
        wid = ctx.fake.ids.next("workout")
        workout: dict[str, Any] = {
            "id": wid,
            "athlete_id": ctx.athlete,
            "folder_id": body["folder_id"],
            "name": name,
            "description": None,
            "type": None,
            "indoor": False,
            "moving_time": None,
            "icu_training_load": None,
            "icu_intensity": None,
            "workout_doc": None,
            "day": None,
            "tags": None,
            "target": None,
            "updated": stamp(ctx.fake.now()),
        }
        apply_partial(
            workout,
            {k: v for k, v in body.items() if k not in ("id", "athlete_id", "workout_doc")},
            set(),
        )
        if workout.get("description"):
            doc = parse_workout_text(workout["description"])
            if doc:
                workout["workout_doc"] = doc
                workout["moving_time"] = doc["duration"]
        ctx.data.workouts[wid] = workout
        return copy.deepcopy(workout)

    def workout_of(ctx: Ctx) -> dict[str, Any]:
        try:
            workout = ctx.data.workouts.get(int(ctx.path["workoutId"]))
        except ValueError:
            raise HTTPError(422, "Invalid workoutId") from None
        if workout is None:
            raise HTTPError(404, "Workout not found")
        return workout

    @r("PUT", "/athlete/{id}/workouts/{workoutId}", scope="LIBRARY")
    def update_workout(ctx: Ctx) -> Any:
        workout = workout_of(ctx)
        body = ctx.body
        if not isinstance(body, dict):
            raise HTTPError(400, "Required request body is missing")
        if "folder_id" in body and body["folder_id"] not in ctx.data.folders:
            raise HTTPError(422, "Folder not found")
        if "name" in body and (not body["name"] or len(body["name"]) > 80):
            raise HTTPError(422, "Name is too long" if body["name"] else "Name is required")
        apply_partial(workout, body, {"id", "athlete_id", "workout_doc", "updated"})
        if "description" in body:
            doc = parse_workout_text(workout["description"] or "")
            workout["workout_doc"] = doc
            workout["moving_time"] = doc["duration"] if doc else None
        workout["updated"] = stamp(ctx.fake.now())
        return copy.deepcopy(workout)

    @r("DELETE", "/athlete/{id}/workouts/{workoutId}", scope="LIBRARY")
    def delete_workout(ctx: Ctx) -> Any:
        workout = workout_of(ctx)
        del ctx.data.workouts[workout["id"]]
        return Response(status_code=200)

    @r("DELETE", "/athlete/{id}/folders/{folderId}", scope="LIBRARY")
    def delete_folder(ctx: Ctx) -> Any:
        try:
            fid = int(ctx.path["folderId"])
        except ValueError:
            raise HTTPError(422, "Invalid folderId") from None
        if fid not in ctx.data.folders:
            raise HTTPError(404, "Folder not found")
        del ctx.data.folders[fid]
        for wid in [w for w, v in ctx.data.workouts.items() if v["folder_id"] == fid]:
            del ctx.data.workouts[wid]
        return Response(status_code=200)

    def folder_fields(ctx: Ctx) -> dict[str, Any]:
        body = ctx.body
        if not isinstance(body, dict):
            raise HTTPError(400, "Required request body is missing")
        if "name" in body and (not body["name"] or len(body["name"]) > 80):
            raise HTTPError(422, "Name is too long" if body["name"] else "Name is required")
        if body.get("type") not in (None, "FOLDER", "PLAN"):
            raise HTTPError(422, f"Invalid folder type: {body['type']}")
        return {k: v for k, v in body.items() if k in ("name", "description", "type")}

    @r("POST", "/athlete/{id}/folders", scope="LIBRARY")
    def create_folder(ctx: Ctx) -> Any:
        fields = folder_fields(ctx)
        if not fields.get("name"):
            raise HTTPError(422, "Name is required")
        fid = ctx.fake.ids.next("folder")
        folder: dict[str, Any] = {
            "id": fid,
            "athlete_id": ctx.athlete,
            "type": "FOLDER",
            "name": None,
            "description": None,
            "visibility": "PRIVATE",
            "start_date_local": None,
            "num_workouts": 0,
            "duration_weeks": None,
            "canEdit": True,
            "sharedWithCount": 0,
        }
        folder.update({k: v for k, v in fields.items() if v is not None})
        ctx.data.folders[fid] = folder
        return {**copy.deepcopy(folder), "children": []}

    @r("PUT", "/athlete/{id}/folders/{folderId}", scope="LIBRARY")
    def update_folder(ctx: Ctx) -> Any:
        try:
            folder = ctx.data.folders.get(int(ctx.path["folderId"]))
        except ValueError:
            raise HTTPError(422, "Invalid folderId") from None
        if folder is None:
            raise HTTPError(404, "Folder not found")
        folder.update(folder_fields(ctx))
        children = [
            copy.deepcopy(w) for w in ctx.data.workouts.values() if w["folder_id"] == folder["id"]
        ]
        return {**copy.deepcopy(folder), "children": children}

    # -- sport settings, gear, custom items -------------------------------------------------

    def settings_of(ctx: Ctx) -> dict[str, Any]:
        found = _settings_for(ctx, ctx.path["id"])
        if found is None:
            raise HTTPError(404, f"Sport settings not found: {ctx.path['id']}")
        return found

    @r("GET", "/athlete/{athleteId}/sport-settings", scope="SETTINGS", athlete="athleteId")
    def list_settings(ctx: Ctx) -> Any:
        return copy.deepcopy(ctx.data.sport_settings)

    @r("GET", "/athlete/{athleteId}/sport-settings/{id}", scope="SETTINGS", athlete="athleteId")
    def get_settings(ctx: Ctx) -> Any:
        return copy.deepcopy(settings_of(ctx))

    @r("PUT", "/athlete/{athleteId}/sport-settings/{id}", scope="SETTINGS", athlete="athleteId")
    def update_settings(ctx: Ctx) -> Any:
        settings = settings_of(ctx)
        if not isinstance(ctx.body, dict):
            raise HTTPError(400, "Required request body is missing")
        apply_partial(settings, ctx.body, {"id", "athlete_id", "created", "updated"})
        settings["updated"] = stamp(ctx.fake.now())
        return copy.deepcopy(settings)

    @r("GET", "/athlete/{id}/gear{ext}", scope="SETTINGS")
    def list_gear(ctx: Ctx) -> Any:
        return [copy.deepcopy(g) for g in ctx.data.gear.values()]

    @r("GET", "/athlete/{id}/custom-item", scope="SETTINGS")
    def list_custom(ctx: Ctx) -> Any:
        return [copy.deepcopy(c) for c in ctx.data.custom_items.values()]

    @r("GET", "/athlete/{id}/custom-item/{itemId}", scope="SETTINGS")
    def get_custom(ctx: Ctx) -> Any:
        try:
            item = ctx.data.custom_items.get(int(ctx.path["itemId"]))
        except ValueError:
            raise HTTPError(422, "Invalid itemId") from None
        if item is None:
            raise HTTPError(404, "Custom item not found")
        return copy.deepcopy(item)

    # -- OAuth ------------------------------------------------------------------------------

    @r("DELETE", "/disconnect-app", scope=None, athlete=None)
    def disconnect(ctx: Ctx) -> Any:
        if ctx.caller.kind != "bearer":
            raise HTTPError(401, "Unauthorized")
        oauth = ctx.fake.oauth
        for token, caller in list(oauth.tokens.items()):
            if caller.athlete == ctx.caller.athlete and caller.client_id == ctx.caller.client_id:
                del oauth.tokens[token]
        return Response(status_code=200)

    @r("GET", "/oauth/authorize", scope=None, athlete=None)
    async def authorize(ctx: Ctx) -> Response:
        q = ctx.query
        oauth = ctx.fake.oauth
        client_id = q.get("client_id", "")
        redirect_uri = q.get("redirect_uri", "")
        if client_id not in oauth.clients or not redirect_uri:
            return HTMLResponse("<h1>Unknown application</h1>", 400)
        sep = "&" if "?" in redirect_uri else "?"
        state = {"state": q["state"]} if "state" in q else {}
        if q.get("deny"):
            return RedirectResponse(
                redirect_uri + sep + urlencode({"error": "access_denied", **state}), 302
            )
        athlete = q.get("athlete") or oauth.default_athlete
        if athlete not in ctx.fake.athletes:
            return HTMLResponse("<h1>Unknown test athlete</h1>", 400)
        scope = parse_scope(
            oauth.grant_scope if oauth.grant_scope is not None else q.get("scope", "")
        )
        if not scope:
            return HTMLResponse("<h1>No valid scope requested</h1>", 400)
        if oauth.consent_page:
            return consent_form(client_id, redirect_uri, q.get("state"), athlete, scope)
        code = secrets.token_hex(16)
        oauth.codes[code] = (athlete, client_id, format_scope(scope), ctx.fake.now())
        return RedirectResponse(redirect_uri + sep + urlencode({"code": code, **state}), 302)

    @r("POST", "/oauth/authorize", scope=None, athlete=None)
    async def authorize_decision(ctx: Ctx) -> Response:
        """The consent form's answer: the athlete (the fake's stand-in for being logged in to
        Intervals.icu) and the scopes left ticked; none ticked or Cancel declines."""
        form: dict[str, list[str]] = {}
        raw = ctx.body.decode() if isinstance(ctx.body, bytes) else ""
        for key, value in parse_qsl(raw, keep_blank_values=True):
            form.setdefault(key, []).append(value)
        oauth = ctx.fake.oauth
        client_id = (form.get("client_id") or [""])[0]
        redirect_uri = (form.get("redirect_uri") or [""])[0]
        if client_id not in oauth.clients or not redirect_uri:
            return HTMLResponse("<h1>Unknown application</h1>", 400)
        sep = "&" if "?" in redirect_uri else "?"
        state = {"state": form["state"][0]} if form.get("state") else {}
        athlete = (form.get("athlete") or [oauth.default_athlete])[0]
        if athlete not in ctx.fake.athletes:
            return HTMLResponse("<h1>Unknown test athlete</h1>", 400)
        scope = parse_scope(",".join(form.get("scope", [])))
        if (form.get("decision") or [""])[0] != "authorize" or not scope:
            answer = {"error": "access_denied", **state}
            return RedirectResponse(redirect_uri + sep + urlencode(answer), 302)
        code = secrets.token_hex(16)
        oauth.codes[code] = (athlete, client_id, format_scope(scope), ctx.fake.now())
        return RedirectResponse(redirect_uri + sep + urlencode({"code": code, **state}), 302)

    @r("POST", "/api/oauth/token", scope=None, athlete=None)
    async def token(ctx: Ctx) -> Response:
        form = dict(parse_qsl(ctx.body.decode() if isinstance(ctx.body, bytes) else ""))
        oauth = ctx.fake.oauth
        client_id = form.get("client_id", "")
        if oauth.clients.get(client_id) != form.get("client_secret") or not client_id:
            return PlainTextResponse("Client and/or secret not found", 404)
        grant = oauth.codes.pop(form.get("code", ""), None)
        if grant is None or grant[1] != client_id or ctx.fake.now() - grant[3] > CODE_LIFETIME:
            return JSONResponse({"status": 400, "error": "Invalid code"}, 400)
        athlete, _, scope, _ = grant
        access = oauth.issue_token(athlete, scope, client_id)
        oauth.apply_latest_consent(athlete, client_id, scope)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "access_token": access,
                "scope": scope,
                "athlete": {"id": athlete, "name": ctx.fake.athletes[athlete].profile["name"]},
            }
        )


# -- helpers -----------------------------------------------------------------------------------


def consent_form(
    client_id: str, redirect_uri: str, state: str | None, athlete: str, scope: dict[str, str]
) -> HTMLResponse:
    """Intervals.icu's consent dialog as the fake shows it: who signs in (a text field, the
    fake's stand-in for an Intervals.icu login) and one ticked checkbox per requested scope,
    which the athlete may untick (intervals-api.md §3.3)."""
    hidden = {"client_id": client_id, "redirect_uri": redirect_uri}
    if state is not None:
        hidden["state"] = state
    fields = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
        for name, value in hidden.items()
    )
    boxes = "".join(
        f'<label><input type="checkbox" name="scope" value="{area}:{level}" checked> '
        f"{area}:{level}</label><br>"
        for area, level in scope.items()
    )
    page = (
        "<!doctype html><html><head><title>Intervals.icu (fake): authorize</title></head><body>"
        "<h1>Intervals.icu (fake): authorize an application</h1>"
        '<form method="post" action="/oauth/authorize">'
        f"{fields}"
        '<label for="athlete">Signed in as athlete</label> '
        f'<input type="text" id="athlete" name="athlete" value="{html.escape(athlete)}"><br>'
        f"<p>The application asks for:</p>{boxes}"
        '<button type="submit" name="decision" value="authorize">Authorize</button> '
        '<button type="submit" name="decision" value="cancel">Cancel</button>'
        "</form></body></html>"
    )
    return HTMLResponse(page)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return (
            date.fromisoformat(value[:10]) if len(value) in (10, 19) else date.fromisoformat(value)
        )
    except ValueError:
        raise HTTPError(422, f"Invalid {name}: {value}") from None


def _settings_for(ctx: Ctx, key: str) -> dict[str, Any] | None:
    for settings in ctx.data.sport_settings:
        if str(settings["id"]) == key or key in (settings.get("types") or []):
            return settings
    return None


def _curve_set(
    ctx: Ctx,
    axis: str,
    points: list[Any],
    values: Any,
    sport: str | None,
    extra: Any = None,
) -> dict[str, Any]:
    today = ctx.fake.local_now(ctx.athlete or "").date()
    newest = _day(ctx.query.get("newest"), "newest") or today
    recent = [
        a
        for a in sorted(ctx.data.activities.values(), key=lambda a: a["start_date_local"])
        if a.get("type") and (not sport or sport in a["type"])
    ]
    out = []
    for curve in [c for c in (ctx.query.get("curves") or "1y").split(",") if c]:
        first, last, scale = _curve_window(curve, newest)
        inside = [
            a for a in recent if first.isoformat() <= a["start_date_local"][:10] <= last.isoformat()
        ]
        shown = points if inside else []  # no activity in the window: an empty curve
        vals = values(scale)[: len(shown)]
        item: dict[str, Any] = {
            "id": curve,
            "label": curve,
            "filter_label": None,
            "start_date_local": first.isoformat() + "T00:00:00",
            "end_date_local": last.isoformat() + "T00:00:00",
            "days": (last - first).days,
            axis: shown,
            "values": vals,
            "activity_id": [inside[-1 - (i % len(inside))]["id"] for i in range(len(shown))],
        }
        if extra:
            item.update(extra(vals))
        out.append(item)
    return {"list": out, "activities": {}}


_SEASONS = {"s0": (120, 0.98), "s1": (365, 0.99)}
_CURVE_SCALE = {"1y": 1.0, "2y": 1.01, "all": 1.02, "42d": 0.97, "84d": 0.985}


def _curve_window(curve: str, newest: date) -> tuple[date, date, float]:
    """(first day, last day, value scale) of one ``curves`` entry: ``42d``, ``1y``, ``all``,
    seasons ``s0`` (current) / ``s1`` (previous), or a date range ``r.2026-01-01.2026-03-31``;
    a ``-kj0`` / ``-kj1`` suffix (fatigued curve) keeps the window."""
    base = curve.split("-kj")[0]
    ranged = re.fullmatch(r"r\.(\d{4}-\d{2}-\d{2})\.(\d{4}-\d{2}-\d{2})", base)
    if ranged:
        first, last = (_day(d, "curves") for d in ranged.groups())
        assert first is not None and last is not None
        if last < first:
            raise HTTPError(422, f"Invalid curve range: {curve}")
        return first, last, 0.96 + (last.toordinal() % 5) / 100
    if base in _SEASONS:
        days, scale = _SEASONS[base]
        last = newest if base == "s0" else newest - timedelta(days=120)
        return last - timedelta(days=days), last, scale
    if base == "all":
        return newest - timedelta(days=3650), newest, _CURVE_SCALE["all"]
    counted = re.fullmatch(r"(\d{1,4})([dy])", base)
    if counted:
        days = int(counted[1]) * (365 if counted[2] == "y" else 1)
        return newest - timedelta(days=days), newest, _CURVE_SCALE.get(base, 0.975)
    raise HTTPError(422, f"Invalid curve: {curve}")


def summary_rows(fake: FakeIntervals, athlete: str, start: date, end: date) -> list[dict[str, Any]]:
    """``SummaryWithCats`` rows for the weeks (Monday first) that meet ``start .. end``: totals
    of the activities inside both the week and the window, per-sport totals in ``byCategory``,
    fitness / fatigue / form / ramp rate as of the last day of the week inside the window.
    Strava stubs carry no data in the fake and are left out of the totals."""
    data = fake.athletes[athlete]
    rows = []
    monday = end - timedelta(days=end.weekday())
    while monday + timedelta(days=6) >= start:
        first, last = max(monday, start), min(monday + timedelta(days=6), end)
        acts = [
            a
            for a in data.activities.values()
            if a.get("source") != "STRAVA"
            and first <= date.fromisoformat(a["start_date_local"][:10]) <= last
        ]
        wellness = data.wellness.get(last.isoformat()) or {}
        ctl, atl = wellness.get("ctl"), wellness.get("atl")
        zones = [0] * 7
        for a in acts:
            for seg in data.segments.get(a["id"], []):
                zone = next(i for i, top in enumerate(POWER_ZONES) if seg.intensity * 100 <= top)
                zones[zone] += seg.secs
        by_type: dict[str, list[dict[str, Any]]] = {}
        for a in acts:
            by_type.setdefault(a["type"], []).append(a)
        rows.append(
            {
                "date": monday.isoformat(),
                "athlete_id": athlete,
                "athlete_name": data.profile["name"],
                "email": None,
                "external_id": None,
                **_totals(acts),
                "fitness": ctl,
                "fatigue": atl,
                "form": round(ctl - atl, 4) if ctl is not None and atl is not None else None,
                "rampRate": wellness.get("rampRate"),
                "weight": wellness.get("weight"),
                "timeInZones": zones,
                "timeInZonesTot": sum(zones),
                "byCategory": [
                    {"category": kind, **_totals(items)} for kind, items in sorted(by_type.items())
                ],
                "mostRecentWellnessId": last.isoformat() if wellness else None,
            }
        )
        monday -= timedelta(days=7)
    return rows


def _totals(acts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "count": len(acts),
        "time": sum(a.get("elapsed_time") or 0 for a in acts),
        "moving_time": sum(a.get("moving_time") or 0 for a in acts),
        "elapsed_time": sum(a.get("elapsed_time") or 0 for a in acts),
        "calories": sum(a.get("calories") or 0 for a in acts),
        "total_elevation_gain": float(sum(a.get("total_elevation_gain") or 0 for a in acts)),
        "training_load": sum(a.get("icu_training_load") or 0 for a in acts),
        "srpe": sum(
            round((a.get("icu_rpe") or 0) * (a.get("moving_time") or 0) / 60) for a in acts
        ),
        "distance": round(sum(a.get("distance") or 0 for a in acts), 1),
        "eftp": None,
        "eftpPerKg": None,
    }


SWIM_DISTANCES = [50.0, 100.0, 200.0, 400.0, 800.0, 1500.0]


def _activity_curve_route(fake: FakeIntervals, kind: str) -> None:
    @fake.route("GET", f"/activity/{{id}}/{kind}-curve{{ext}}", scope="ACTIVITY", athlete=None)
    def curve(ctx: Ctx) -> Any:
        """``PowerCurve`` / ``HRCurve`` / ``PaceCurve`` of one activity from its 1 Hz streams;
        an activity without the stream gets empty arrays (no 404)."""
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        if act.get("source") == "STRAVA":
            raise HTTPError(404, "Activity not found")
        streams = ctx.fake.streams(owner, act)
        out: dict[str, Any] = {
            "id": act["id"],
            "label": act.get("name"),
            "start_date_local": act["start_date_local"],
            "end_date_local": act["start_date_local"],
            "days": 0,
            "moving_time": act.get("moving_time"),
            "training_load": act.get("icu_training_load"),
            "weight": act.get("icu_weight"),
        }
        if kind == "pace":
            gap = flag(ctx.query.get("gap"))
            speed = 1.01 if gap else 1.0
            swim = act.get("type") in ("Swim", "OpenWaterSwim")
            found = _fastest(
                streams.get("distance") or [],
                SWIM_DISTANCES if swim else PACE_DISTANCES,
            )
            out.update(
                {
                    "type": "GAP" if gap else "PACE",  # the stream, not the sport
                    "distance": [d for d, _s, _e in found],
                    "values": [round((e - s) / speed) for _d, s, e in found],
                    "start_index": [s for _d, s, _e in found],
                    "end_index": [e for _d, _s, e in found],
                }
            )
            return out
        values = streams.get("watts" if kind == "power" else "heartrate") or []
        best = [(secs, *_best_mean(values, secs)) for secs in POWER_SECS if secs <= len(values)]
        out.update(
            {
                "secs": [secs for secs, _v, _s in best],
                "values": [round(v) for _secs, v, _s in best],
                "start_index": [s for _secs, _v, s in best],
                "end_index": [s + secs for secs, _v, s in best],
            }
        )
        if kind == "power":
            weight = act.get("icu_weight") or 70.0
            out["watts_per_kg"] = [round(v / weight, 2) for v in out["values"]]
        return out


def _best_mean(values: list[Any], secs: int) -> tuple[float, int]:
    """(highest mean over ``secs`` samples, its start index)."""
    total = sum(float(v or 0) for v in values[:secs])
    best, where = total, 0
    for start in range(1, len(values) - secs + 1):
        total += float(values[start + secs - 1] or 0) - float(values[start - 1] or 0)
        if total > best:
            best, where = total, start
    return best / secs, where


def _fastest(distance: list[Any], targets: list[float]) -> list[tuple[float, int, int]]:
    """(distance, start, end) of the fewest samples covering each target distance."""
    found = []
    for target in targets:
        best: tuple[int, int] | None = None
        end = 0
        for start in range(len(distance)):
            while end < len(distance) and (distance[end] or 0) - (distance[start] or 0) < target:
                end += 1
            if end >= len(distance):
                break
            if best is None or end - start < best[1] - best[0]:
                best = (start, end)
        if best is not None:
            found.append((target, *best))
    return found


def _efforts(
    values: list[Any],
    distance: list[Any],
    duration: int | None,
    metres: float | None,
    count: int,
) -> list[dict[str, Any]]:
    n = len(values)
    prefix = [0.0]
    for v in values:
        prefix.append(prefix[-1] + float(v or 0))
    windows: list[tuple[float, int, int]] = []
    if duration is not None:
        for start in range(0, n - duration + 1):
            windows.append(
                ((prefix[start + duration] - prefix[start]) / duration, start, start + duration)
            )
    else:
        end = 0
        for start in range(n):
            while end < n and (distance[end] or 0) - (distance[start] or 0) < (metres or 0):
                end += 1
            if end >= n:
                break
            windows.append(((prefix[end + 1] - prefix[start]) / (end + 1 - start), start, end))
    windows.sort(key=lambda w: (-w[0], w[1]))
    chosen: list[tuple[float, int, int]] = []
    for w in windows:
        if all(w[2] <= c[1] or w[1] >= c[2] for c in chosen):
            chosen.append(w)
            if len(chosen) >= count:
                break
    return [
        {
            "start_index": s,
            "end_index": e,
            "average": round(avg, 1),
            "duration": e - s,
            "distance": round(float((distance[min(e, n - 1)] or 0) - (distance[s] or 0)), 1)
            if distance
            else None,
        }
        for avg, s, e in chosen
    ]


def _overlaps(event: dict[str, Any], oldest: datetime, newest: datetime) -> bool:
    """Events starting in the window, or multi-day events running into it."""
    start = datetime.fromisoformat(event["start_date_local"])
    end = datetime.fromisoformat(event.get("end_date_local") or event["start_date_local"])
    return start <= newest and (start >= oldest or end > oldest)


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _histogram_route(
    fake: FakeIntervals, kind: str, stream_name: str, default_size: float, key: str | None
) -> None:
    @fake.route("GET", f"/activity/{{id}}/{kind}-histogram", scope="ACTIVITY", athlete=None)
    def histogram(ctx: Ctx) -> Any:
        owner, act = ctx.fake.activity(ctx, ctx.path["id"])
        if act.get("source") == "STRAVA":
            raise HTTPError(404, "Activity not found")
        streams = ctx.fake.streams(owner, act)
        values = streams.get(stream_name) or []
        size = float(ctx.query.get("bucketSize") or default_size)
        if size <= 0:
            raise HTTPError(422, "bucketSize must be positive")
        buckets: dict[int, int] = {}
        for v in values:
            if v is None or (key is None and not v):
                continue
            if key is None:
                v = 1000 / float(v)
            buckets[int(float(v) // size)] = buckets.get(int(float(v) // size), 0) + 1
        out = []
        for index in sorted(buckets):
            start = index * size
            item: dict[str, Any] = {
                "start": round(start),
                "secs": buckets[index],
                "movingSecs": buckets[index],
            }
            if key:
                item[key] = start + size / 2
            out.append(item)
        return out


def intervals_of(
    fake: FakeIntervals, owner: str, act: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    """``icu_intervals`` and ``icu_groups`` computed from the activity's streams."""
    data = fake.athletes[owner]
    segments = data.segments.get(act["id"], [])
    streams = fake.streams(owner, act)
    ftp = act.get("icu_ftp")
    out: list[dict[str, Any]] = []
    start = 0

    def mean(name: str, a: int, b: int) -> float | None:
        vals = [v for v in (streams.get(name) or [])[a:b] if v is not None]
        return round(sum(vals) / len(vals), 2) if vals else None

    for index, seg in enumerate(segments, start=1):
        end = start + seg.secs
        watts = mean("watts", start, end)
        dist = streams.get("distance") or []
        interval = {
            "id": index,
            "type": seg.kind,
            "label": seg.label,
            "group_id": None,
            "start_index": start,
            "end_index": end,
            "start_time": start,
            "end_time": end,
            "moving_time": seg.secs,
            "elapsed_time": seg.secs,
            "distance": round((dist[end - 1] if dist else 0) - (dist[start] if dist else 0), 1),
            "average_watts": round(watts) if watts is not None else None,
            "max_watts": max((streams.get("watts") or [0])[start:end] or [0]) if watts else None,
            "weighted_average_watts": round(watts) if watts is not None else None,
            "intensity": round(seg.intensity * 100),
            "training_load": round(seg.secs / 3600 * seg.intensity**2 * 100, 1),
            "zone": next(
                (
                    i + 1
                    for i, z in enumerate([55, 75, 90, 105, 120, 150, 999])
                    if seg.intensity * 100 <= z
                ),
                7,
            ),
            "average_heartrate": _int(mean("heartrate", start, end)),
            "max_heartrate": max((streams.get("heartrate") or [0])[start:end] or [0]),
            "average_cadence": mean("cadence", start, end),
            "average_speed": mean("velocity_smooth", start, end),
        }
        if ftp and watts is not None:
            interval["average_watts_kg"] = round(watts / (act.get("icu_weight") or 70), 2)
        interval["group_id"] = f"{seg.secs}s@{round(watts or seg.intensity * 100)}" + (
            "w" if watts is not None else "%"
        )
        out.append(interval)
        start = end
    groups: dict[str, dict[str, Any]] = {}
    for iv in out:
        if iv["type"] != "WORK":
            continue
        g = groups.setdefault(
            iv["group_id"],
            {
                "id": iv["group_id"],
                "count": 0,
                "start_index": iv["start_index"],
                "moving_time": 0,
                "elapsed_time": 0,
                "distance": 0.0,
                "average_watts": iv["average_watts"],
                "average_heartrate": iv["average_heartrate"],
                "intensity": iv["intensity"],
            },
        )
        g["count"] += 1
        g["moving_time"] += iv["moving_time"]
        g["elapsed_time"] += iv["elapsed_time"]
        g["distance"] = round(g["distance"] + iv["distance"], 1)
    return out, [g for g in groups.values() if g["count"] > 1]


_STEP = re.compile(r"^-\s*(?P<rest>.*)$")
_DURATION = re.compile(r"\b(?:(\d+)h)?(?:(\d+)m(?!tr))?(?:(\d+)s)?\b")
_TOKEN_TIME = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_TOKEN_DIST = re.compile(r"^(\d+(?:\.\d+)?)(mtr|km)$")
_TOKEN_PCT = re.compile(r"^(\d+)(?:-(\d+))?%$")
_TOKEN_WATTS = re.compile(r"^(\d+)(?:-(\d+))?w$")


def parse_workout_text(text: str) -> dict[str, Any] | None:
    """A small subset of the Intervals.icu workout syntax: ``- Label 12m 88-92%``, ``3x`` (or
    ``Main set 3x``) blocks,
    ``m`` = minutes, ``mtr`` = metres, ``km``, ``w`` (watts), ``%`` (of threshold)."""
    steps: list[dict[str, Any]] = []
    block: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        reps = re.fullmatch(r"(?:\S.*\s)?(\d+)x", line)  # "4x" or "Main set 4x"
        if reps:
            block = {"reps": int(reps.group(1)), "text": line, "steps": []}
            steps.append(block)
            continue
        if not line:
            block = None
            continue
        m = _STEP.match(line)
        if not m:
            continue
        step: dict[str, Any] = {}
        words: list[str] = []
        for token in m.group("rest").split():
            low = token.lower()
            if (t := _TOKEN_TIME.match(low)) and any(t.groups()):
                h, mi, s = (int(x) if x else 0 for x in t.groups())
                step["duration"] = h * 3600 + mi * 60 + s
            elif d := _TOKEN_DIST.match(low):
                step["distance"] = float(d.group(1)) * (1000 if d.group(2) == "km" else 1)
            elif p := _TOKEN_PCT.match(low):
                lo, hi = p.group(1), p.group(2)
                step["power"] = (
                    {"start": int(lo), "end": int(hi), "units": "%ftp"}
                    if hi
                    else {"value": int(lo), "units": "%ftp"}
                )
            elif w := _TOKEN_WATTS.match(low):
                lo, hi = w.group(1), w.group(2)
                step["power"] = (
                    {"start": int(lo), "end": int(hi), "units": "w"}
                    if hi
                    else {"value": int(lo), "units": "w"}
                )
            elif not step:
                words.append(token)
        if words:
            step["text"] = " ".join(words)
        (block["steps"] if block is not None else steps).append(step)
    if not steps:
        return None
    total = 0
    for step in steps:
        if "reps" in step:
            step["duration"] = step["reps"] * sum(s.get("duration", 0) for s in step["steps"])
        total += step.get("duration", 0)
    return {"duration": total, "distance": 0, "steps": steps}
