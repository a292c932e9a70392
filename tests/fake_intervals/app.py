"""The fake Intervals.icu server: state plus an ASGI app (Starlette request/response objects,
with a small route table whose templates are the OpenAPI paths, so the contract test can check
every route against the published spec).

Behaviour follows shared/docs/intervals-api.md: Basic ``API_KEY:<key>`` and Bearer auth, athlete
``0``, Spring-style error bodies, query semantics of the list endpoints, partial updates with
``-1`` clearing numbers, bulk upsert by ``external_id``, Strava stubs, OAuth endpoints.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import csv
import io
import json
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.types import Receive, Scope, Send

from tests.fake_intervals.data import (
    DEMO_ATHLETES,
    HISTORY_DAYS,
    AthleteData,
    DemoAthlete,
    Ids,
    Segment,
    generate,
    stamp,
    streams_for,
)
from tests.fake_intervals.data import _athlete as generate_one
from tests.fake_intervals.faults import AuthKind, Faults, RecordedRequest, RequestLog
from tests.fake_intervals.webhooks import FakeWebhooks, api_write_event

API = "/api/v1"
SCOPE_AREAS = ("ACTIVITY", "WELLNESS", "CALENDAR", "LIBRARY", "SETTINGS", "CHATS")
EVENT_CATEGORIES = {
    "WORKOUT",
    "RACE_A",
    "RACE_B",
    "RACE_C",
    "NOTE",
    "PLAN",
    "HOLIDAY",
    "SICK",
    "INJURED",
    "SET_EFTP",
    "FITNESS_DAYS",
    "SEASON_START",
    "TARGET",
    "SET_FITNESS",
}
READ_ONLY_WELLNESS = {"ctl", "atl", "rampRate", "ctlLoad", "atlLoad", "sportInfo", "updated"}
CODE_LIFETIME = timedelta(minutes=2)
DEFAULT_OAUTH_CLIENT = ("fake-client-id", "fake-client-secret")
REQUEST_COUNTS_PATH = "/_fake/request-counts"
"""``GET``: how many requests reached the fake so far, by ``"METHOD path"`` (no query), for a
process that runs the fake on its own (the benchmark counts upstream requests per tool call).
Not an Intervals.icu route: not recorded, no credentials."""


class HTTPError(Exception):
    def __init__(self, status: int, error: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.headers = headers or {}


def access_denied() -> HTTPError:
    return HTTPError(403, "Access denied")


@dataclass
class Caller:
    athlete: str  # id of the credential's owner
    kind: AuthKind
    scopes: dict[str, str] | None = None  # bearer only: area -> READ|WRITE
    client_id: str | None = None


@dataclass
class Ctx:
    fake: FakeIntervals
    request: Request
    path: dict[str, str]
    query: dict[str, str]
    body: Any
    caller: Caller
    athlete: str | None = None  # resolved athlete of the path, when the route has one

    @property
    def data(self) -> AthleteData:
        assert self.athlete is not None
        return self.fake.athletes[self.athlete]

    @property
    def ext(self) -> str:
        return self.path.get("ext", self.path.get("format", ""))


Handler = Callable[[Ctx], Any]


@dataclass
class Route:
    method: str
    template: str  # exactly as in the OpenAPI document
    handler: Handler
    scope: str | None  # OAuth area; None = no scope check
    athlete_param: str | None
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        pattern = ""
        for part in re.split(r"(\{[^}]+\})", self.template):
            if part.startswith("{"):
                name = part[1:-1]
                if name in ("ext", "format"):
                    pattern += rf"(?P<{name}>(?:\.json|\.csv)?)"
                else:
                    pattern += rf"(?P<{name}>[^/]+?)"
            else:
                pattern += re.escape(part)
        self.regex = re.compile(pattern + "$")


@dataclass
class OAuthState:
    clients: dict[str, str] = field(default_factory=lambda: dict([DEFAULT_OAUTH_CLIENT]))
    default_athlete: str = DEMO_ATHLETES[0].id
    grant_scope: str | None = None  # override: simulate the user unticking scopes
    consent_page: bool = False  # show Intervals.icu's consent form (athlete, scope checkboxes)
    codes: dict[str, tuple[str, str, str, datetime]] = field(default_factory=dict)
    tokens: dict[str, Caller] = field(default_factory=dict)

    def register_client(self, client_id: str, secret: str) -> None:
        self.clients[client_id] = secret

    def issue_token(
        self,
        athlete: str,
        scope: str = "ACTIVITY:WRITE,WELLNESS:WRITE,CALENDAR:WRITE,"
        "LIBRARY:WRITE,SETTINGS:WRITE,CHATS:WRITE",
        client_id: str = DEFAULT_OAUTH_CLIENT[0],
    ) -> str:
        """Mint an access token directly (tests that skip the authorize dance)."""
        token = secrets.token_hex(16)
        self.tokens[token] = Caller(athlete, "bearer", parse_scope(scope), client_id)
        return token

    def apply_latest_consent(self, athlete: str, client_id: str, scope: str) -> None:
        """The athlete's latest consent to an app sets the scopes of every token that app holds
        for them (intervals-api.md §3.7)."""
        for caller in self.tokens.values():
            if caller.athlete == athlete and caller.client_id == client_id:
                caller.scopes = parse_scope(scope)

    def tokens_of(self, athlete: str) -> list[Caller]:
        """The live tokens issued for ``athlete`` (any app)."""
        return [caller for caller in self.tokens.values() if caller.athlete == athlete]


def parse_scope(scope: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in scope.replace(" ", ",").split(","):
        area, _, level = item.strip().upper().partition(":")
        if area in SCOPE_AREAS and level in ("READ", "WRITE") and out.get(area) != "WRITE":
            out[area] = level
    return out


def format_scope(scopes: dict[str, str]) -> str:
    return ",".join(f"{a}:{lvl}" for a, lvl in scopes.items())


class FakeIntervals:
    """The fake's state and its ASGI app (``fake.app``).

    ``today`` anchors the data (default: today's UTC date from ``now``); ``now`` returns the
    current aware UTC time and can be pinned to test dates around local midnight (default: the
    real time, or noon UTC of ``today`` when ``today`` is given); ``clock`` is the monotonic clock
    used to timestamp requests.
    """

    def __init__(
        self,
        seed: int = 42,
        today: date | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        history_days: int = HISTORY_DAYS,
    ) -> None:
        if now is None:
            if today is None:
                now = _real_now
            else:  # data pinned to a day: pin the clock to noon UTC of that day as well
                pinned = datetime.combine(today, dtime(12), UTC)
                now = lambda: pinned  # noqa: E731
        self.now = now
        self.today = today or self.now().astimezone(UTC).date()
        self.seed = seed
        self.clock = clock
        self._sleep = sleep
        self.ids = Ids()
        self.demo: dict[str, DemoAthlete] = {a.id: a for a in DEMO_ATHLETES}
        self.athletes: dict[str, AthleteData] = generate(seed, self.today, self.ids, history_days)
        self.keys: dict[str, str] = {a.api_key: a.id for a in DEMO_ATHLETES}
        self.shares: dict[str, set[str]] = {
            a.id: set(a.coached) | set(a.followed) for a in DEMO_ATHLETES
        }
        # coached athletes only (the summary's extra rows; a follower's key reads, no rows)
        self.coaching: dict[str, set[str]] = {a.id: set(a.coached) for a in DEMO_ATHLETES}
        self.requests = RequestLog()
        self.faults = Faults(clock=clock)
        self.oauth = OAuthState()
        self.webhooks = FakeWebhooks(now=self.now)
        self.routes: list[Route] = []
        self._stream_cache: dict[str, dict[str, list[Any]]] = {}
        _register_routes(self)

    # -- helpers for tests ------------------------------------------------------------------

    def add_race(self, athlete: str, day: date, name: str, priority: str = "B") -> int:
        """Put one more race (``RACE_<priority>``) on ``athlete``'s calendar; its event id.

        Ids come after every generated one, so the generated calendar is left as it was."""
        eid = self.ids.next("event")
        self.athletes[athlete].events[eid] = {
            "id": eid,
            "athlete_id": athlete,
            "calendar_id": 1,
            "category": f"RACE_{priority}",
            "start_date_local": f"{day.isoformat()}T00:00:00",
            "end_date_local": f"{(day + timedelta(days=1)).isoformat()}T00:00:00",
            "type": self.demo[athlete].sports[0],
            "name": name,
            "description": None,
            "indoor": False,
            "icu_training_load": None,
            "show_as_note": False,
            "not_on_fitness_chart": False,
        }
        return eid

    def add_squad(self, coach: str, size: int, *, history_days: int = 50) -> list[str]:
        """``size`` generated athletes (``i2000001``...) sharing with ``coach``, with a short
        history so a large squad stays cheap; only tests that need one ask for it."""
        added = []
        for n in range(1, size + 1):
            athlete = DemoAthlete(
                f"i2{n:06d}",
                f"Squad Athlete {n:02d}",
                "Europe/London",
                f"fake-key-squad-{n:06d}",
                ("Ride", "Run"),
            )
            rng = random.Random(f"{self.seed}:{athlete.id}")
            self.demo[athlete.id] = athlete
            self.athletes[athlete.id] = generate_one(
                athlete, rng, self.today, self.ids, history_days
            )
            self.keys[athlete.api_key] = athlete.id
            self.shares.setdefault(coach, set()).add(athlete.id)
            self.coaching.setdefault(coach, set()).add(athlete.id)
            added.append(athlete.id)
        return added

    def upload_activity(self, athlete: str, name: str = "Lunch Ride", load: int = 80) -> str:
        """A device sync: a new activity (a copy of the athlete's latest, started now) is
        uploaded, then analyzed; each step queues its webhook (``ACTIVITY_UPLOADED``, then
        ``ACTIVITY_ANALYZED`` and ``FITNESS_UPDATED``). Returns the activity id."""
        data = self.athletes[athlete]
        latest = max(
            (a for a in data.activities.values() if a.get("source") != "STRAVA"),
            key=lambda a: a["start_date_local"],
        )
        aid = f"i{self.ids.next('activity', 7)}"
        started = self.local_now(athlete).replace(microsecond=0)
        activity = {
            **copy.deepcopy(latest),
            "id": aid,
            "name": name,
            "start_date_local": started.replace(tzinfo=None).isoformat(),
            "start_date": started.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z",
            "icu_training_load": load,
            "analyzed": None,
        }
        data.activities[aid] = activity
        self.webhooks.emit(athlete, "ACTIVITY_UPLOADED", activity={"id": aid, "name": name})
        activity["analyzed"] = stamp(self.now())
        self.webhooks.emit(athlete, "ACTIVITY_ANALYZED", activity={"id": aid, "name": name})
        self.webhooks.emit(athlete, "FITNESS_UPDATED")
        return aid

    def sync_wellness(self, athlete: str, day: date, **values: Any) -> dict[str, Any]:
        """A device sync of one day's wellness (``restingHR=48``, ``hrv=70`` ...): the record
        changes and ``WELLNESS_UPDATED`` is queued."""
        record = self.athletes[athlete].wellness.setdefault(
            day.isoformat(), {"id": day.isoformat()}
        )
        record.update(values)
        record["updated"] = stamp(self.now())
        self.webhooks.emit(athlete, "WELLNESS_UPDATED", date=day.isoformat())
        return record

    def athlete_of_activity(self, activity_id: str) -> str | None:
        for aid, data in self.athletes.items():
            if activity_id in data.activities:
                return aid
        return None

    def local_now(self, athlete: str) -> datetime:
        return self.now().astimezone(ZoneInfo(self.demo[athlete].timezone))

    def route(
        self, method: str, template: str, *, scope: str | None, athlete: str | None = "id"
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method,
                    API + template
                    if not template.startswith("/api/") and not template.startswith("/oauth")
                    else template,
                    handler,
                    scope,
                    athlete,
                )
            )
            return handler

        return register

    # -- ASGI -------------------------------------------------------------------------------

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if request.url.path == REQUEST_COUNTS_PATH:  # the fake's own: neither logged nor routed
            response: Response = JSONResponse(self.requests.counts())
        else:
            response = await self._handle(request)
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        method = request.method
        path = request.url.path
        raw = await request.body()
        body: Any = None
        if raw and "json" in request.headers.get("content-type", "json"):
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        caller, auth_kind, auth_error = self._authenticate(request)
        record = RecordedRequest(
            method=method,
            path=path,
            query=dict(request.query_params),
            query_string=request.url.query,
            json=body,
            auth=auth_kind,
            athlete=caller.athlete if caller else None,
            at=self.clock(),
        )
        self.requests.add(record)
        queued = len(self.webhooks.pending)
        response = await self._respond(request, method, path, body, raw, caller, auth_error)
        record.status = response.status_code
        if len(self.webhooks.pending) > queued:  # this write's webhook, sent once it is made
            await self.webhooks.deliver()
        return response

    async def _respond(
        self,
        request: Request,
        method: str,
        path: str,
        body: Any,
        raw: bytes,
        caller: Caller | None,
        auth_error: HTTPError | None,
    ) -> Response:
        if self.faults.latency:
            await self._sleep(self.faults.latency)
        fault = self.faults.take(method, path)
        if fault is not None:
            if fault.kind == "hang":
                await asyncio.sleep(fault.seconds)  # real time: the client's timeout fires
            elif fault.kind == "malformed":
                return Response(
                    b'{"id": "i1", "name": "trunc', 200, media_type="application/json;charset=UTF-8"
                )
            elif fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                if fault.body is not None:
                    return PlainTextResponse(fault.body, fault.status, headers=headers)
                error = {
                    429: "Too Many Requests",
                    502: "Bad Gateway",
                    503: "Service Unavailable",
                    504: "Gateway Timeout",
                }.get(fault.status, "Internal Server Error")
                return _error(fault.status, error, headers)
        route, params, allowed = self._match(method, path)
        if route is None:
            if allowed:
                return _error(405, "Method Not Allowed")
            return JSONResponse(
                {
                    "timestamp": self.now().isoformat(timespec="milliseconds"),
                    "status": 404,
                    "error": "Not Found",
                    "path": path,
                },
                404,
            )
        try:
            if path.startswith("/oauth/") or path == "/api/oauth/token":
                return await route.handler(
                    Ctx(self, request, params, dict(request.query_params), raw, Caller("", "none"))
                )
            if auth_error is not None:
                raise auth_error
            assert caller is not None
            if caller.kind == "bearer" and route.scope is not None:
                level = (caller.scopes or {}).get(route.scope)
                if level is None or (method != "GET" and level != "WRITE"):
                    raise access_denied()
            ctx = Ctx(self, request, params, dict(request.query_params), body, caller)
            if route.athlete_param:
                ctx.athlete = self._resolve_athlete(caller, params[route.athlete_param])
            result = route.handler(ctx)
            change = api_write_event(route.scope, method, params, result)
            if change is not None and ctx.athlete is not None:
                self.webhooks.emit(ctx.athlete, change[0], **change[1])
            if isinstance(result, Response):
                return result
            if ctx.ext == ".csv" and isinstance(result, list):
                return _csv(result)
            return JSONResponse(result, media_type="application/json;charset=UTF-8")
        except HTTPError as exc:
            return _error(exc.status, exc.error, exc.headers)

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        allowed = False
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                if route.method == method:
                    return route, m.groupdict(), True
                allowed = True
        return None, {}, allowed

    def _authenticate(self, request: Request) -> tuple[Caller | None, AuthKind, HTTPError | None]:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if not header:
            return None, "none", HTTPError(401, "Unauthorized")
        if scheme.lower() == "basic":
            try:
                user, _, key = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, "basic", HTTPError(401, "Unauthorized")
            if user != "API_KEY" or not key:
                return None, "basic", HTTPError(401, "Unauthorized")
            owner = self.keys.get(key)
            if owner is None:
                return None, "basic", access_denied()
            return Caller(owner, "basic"), "basic", None
        if scheme.lower() == "bearer":
            token = value.strip()
            if token in self.keys:  # an API key sent as Bearer
                return None, "bearer", access_denied()
            caller = self.oauth.tokens.get(token)
            if caller is None:
                return None, "bearer", HTTPError(401, "Unauthorized")
            return caller, "bearer", None
        return None, "other", HTTPError(401, "Unauthorized")

    def _resolve_athlete(self, caller: Caller, athlete: str) -> str:
        if athlete == "0":
            return caller.athlete
        if athlete not in self.athletes:
            raise access_denied()
        if athlete == caller.athlete:
            return athlete
        if caller.kind == "basic" and athlete in self.shares.get(caller.athlete, set()):
            return athlete  # a coach's key reading an athlete who shares with them
        raise access_denied()

    def can_read(self, caller: Caller, athlete: str) -> bool:
        try:
            self._resolve_athlete(caller, athlete)
        except HTTPError:
            return False
        return True

    # -- object lookups ---------------------------------------------------------------------

    def activity(self, ctx: Ctx, activity_id: str) -> tuple[str, dict[str, Any]]:
        owner = self.athlete_of_activity(activity_id)
        if owner is None:
            raise HTTPError(404, f"Activity not found: {activity_id}")
        if not self.can_read(ctx.caller, owner):
            raise access_denied()
        return owner, self.athletes[owner].activities[activity_id]

    def streams(self, owner: str, activity: dict[str, Any]) -> dict[str, list[Any]]:
        cached = self._stream_cache.get(activity["id"])
        if cached is None:
            data = self.athletes[owner]
            segments: list[Segment] = data.segments.get(activity["id"], [])
            ftp = next((s["ftp"] for s in data.sport_settings if s.get("ftp")), 250)
            cached = streams_for(activity, segments, activity.get("icu_ftp") or ftp)
            self._stream_cache[activity["id"]] = cached
        return cached


def _real_now() -> datetime:
    return datetime.now(UTC)


# -- response helpers ------------------------------------------------------------------------


def _error(status: int, error: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"status": status, "error": error},
        status,
        headers=headers,
        media_type="application/json;charset=UTF-8",
    )


def _csv(rows: list[Any]) -> Response:
    out = io.StringIO()
    dict_rows = [r for r in rows if isinstance(r, dict)]
    columns = list(dict.fromkeys(k for r in dict_rows for k in r))
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in dict_rows:
        writer.writerow(
            [
                ""
                if r.get(c) is None
                else json.dumps(r[c])
                if isinstance(r.get(c), list | dict)
                else r[c]
                for c in columns
            ]
        )
    return Response(out.getvalue(), media_type="text/csv")


def project(item: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """``fields=a,b``: only those keys, and nulls dropped (upstream behaviour)."""
    if not fields:
        return item
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    return {k: item[k] for k in wanted if item.get(k) is not None}


def parse_local(value: str, name: str, end: bool = False) -> datetime:
    """A local date or date-time query value; a bare date as end bound covers the whole day."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day)
            return moment + timedelta(days=1) - timedelta(seconds=1) if end else moment
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise HTTPError(422, f"Invalid {name}: {value}") from None


def positive_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise HTTPError(422, f"Invalid {name}: {value}") from None
    if number < 0:
        raise HTTPError(422, f"Invalid {name}: {value}")
    return number


def flag(value: str | None) -> bool:
    return (value or "").lower() == "true"


def apply_partial(target: dict[str, Any], changes: dict[str, Any], read_only: set[str]) -> None:
    """Partial update: only keys sent change; ``-1`` clears a numeric field."""
    for key, value in changes.items():
        if key in read_only:
            continue
        current = target.get(key)
        if (
            value == -1
            and not isinstance(value, bool)
            and (current is None or isinstance(current, int | float))
        ):
            target[key] = None
        else:
            target[key] = value


def _register_routes(fake: FakeIntervals) -> None:
    from tests.fake_intervals import routes

    routes.register(fake)
