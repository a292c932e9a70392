"""Per-athlete view of the client: typed methods, one per Intervals.icu endpoint the tools use.

A session holds one credential and one athlete id (``0`` = the credential's owner) for the
duration of a tool call. Each method's docstring names the endpoint (method + path under
``/api/v1``) it implements.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from copy import copy
from datetime import date, datetime
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from app.intervals import ids
from app.intervals.answer_cache import FetchLedger, fetch_ledger, read_identity, written_areas
from app.intervals.client import Answered, _known_to_lack, missing_permission, scope_area
from app.intervals.credentials import Credential
from app.intervals.errors import MissingPermission, UnexpectedPayload
from app.intervals.models import (
    Activity,
    ActivityCurve,
    ActivitySearchResult,
    ActivityStream,
    ActivityUpdate,
    Athlete,
    AthleteSummary,
    AthleteTrainingPlan,
    BestEfforts,
    CurveSet,
    CustomItem,
    DeletedEvents,
    Event,
    EventWrite,
    Folder,
    FolderWrite,
    Gear,
    HistogramBucket,
    Intervals,
    Message,
    NewMessage,
    SportSettings,
    SportSettingsUpdate,
    WeekSummary,
    Wellness,
    WellnessUpdate,
    Workout,
    WorkoutUpdate,
    WorkoutWrite,
)

if TYPE_CHECKING:
    from app.intervals.client import ForbiddenMeaning, IntervalsClient, Method

__all__ = ["AthleteSession", "CurveKind", "HistogramKind"]

M = TypeVar("M", bound=BaseModel)
HistogramKind = Literal["power", "hr", "pace", "gap"]
CurveKind = Literal["power", "hr", "pace"]
DateLike = date | str
DateTimeLike = date | datetime | str


def _one(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _unexpected(exc, what) from None


_PROFILES: OrderedDict[int, tuple[Any, Athlete]] = OrderedDict()
PROFILES_KEPT = 64


def _profile(data: Any) -> Athlete:
    """The athlete profile of ``data``, validated once per payload object: the answer cache
    hands out the same decoded profile for each hit (the pace units behind every answer with
    a pace), so its model is reused. Nobody mutates a profile (its readers only read)."""
    kept = _PROFILES.get(id(data))
    if kept is not None and kept[0] is data:
        return kept[1]
    profile = _one(Athlete, data, "the athlete profile")
    _PROFILES[id(data)] = (data, profile)
    if len(_PROFILES) > PROFILES_KEPT:
        _PROFILES.popitem(last=False)
    return profile


@cache
def _list_of(model: type[M]) -> TypeAdapter[list[M]]:
    """One validator for a whole list of ``model`` (built once per model)."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _many(model: type[M], data: Any, what: str) -> list[M]:
    """The items of a list payload as ``model``s, validated in one pass; a bad item is
    reported as before (the first failing item's first problem)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise UnexpectedPayload(f"Intervals.icu sent {what} that is not a list.")
    try:
        return _list_of(model).validate_python(data)
    except ValidationError:
        pass
    try:
        return [model.model_validate(item) for item in data]
    except ValidationError as exc:
        raise _unexpected(exc, what) from None


READINGS_KEPT = 64
"""Distinct (model, fields) cut-down models kept: each tool asks for one or two fixed lists."""


@lru_cache(maxsize=READINGS_KEPT)
def _reading(model: type[M], fields: tuple[str, ...], *, rest_dropped: bool = False) -> type[M]:
    """``model`` cut down to the ``fields`` asked for upstream (``fields=``, by upstream name)
    and its properties: each kept field as ``model`` defines it (type, alias, checks), so a
    payload is read, and a bad one refused, exactly as ``model`` does for them; no other field
    is built (an ``Activity`` has 40, a list answer reads about ten; filling the others with
    their defaults was half of the validation, issue 20). Its instances read like ``model``
    for those fields only, and are not ``model`` instances: for a caller that reads nothing
    else. Built once per (model, fields), the last :data:`READINGS_KEPT` kept.
    ``rest_dropped``: for an endpoint without ``fields=``, whose objects carry every field,
    the others are dropped unread (``model`` keeps unknown keys), so reading one of them
    still fails instead of handing back its raw value. A model with validators, serializers
    or computed fields of its own (or inherited) is read whole: a cut built from its fields
    alone would skip them (an athlete record's dropping of its API key)."""
    if _has_decorators(model):
        return model
    kept = {
        name: (info.annotation, copy(info))
        for name, info in model.model_fields.items()
        if name in fields or info.alias in fields
    }
    config = (
        ConfigDict(**{**model.model_config, "extra": "ignore"})
        if rest_dropped
        else model.model_config
    )
    cut = create_model(  # type: ignore[call-overload]  # named as model: refusals name it
        model.__name__, __config__=config, __module__=model.__module__, **kept
    )
    for name, value in vars(model).items():
        if isinstance(value, property):
            setattr(cut, name, value)
    return cast("type[M]", cut)


def _has_decorators(model: type[BaseModel]) -> bool:
    """Whether ``model`` (or a base) declares a validator, serializer or computed field."""
    found = model.__pydantic_decorators__
    return any(
        (
            found.validators,
            found.field_validators,
            found.root_validators,
            found.field_serializers,
            found.model_serializers,
            found.model_validators,
            found.computed_fields,
        )
    )


def _unexpected(exc: ValidationError, what: str) -> UnexpectedPayload:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "body"
    return UnexpectedPayload(
        f"Intervals.icu sent {what} in an unexpected shape ({exc.error_count()} problem(s); "
        f"first at {where}: {first.get('msg', 'invalid')})."
    )


def _body(model: type[M], value: M | Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields the caller set, by upstream name (camelCase where upstream uses it)."""
    instance = value if isinstance(value, model) else model.model_validate(value)
    return instance.model_dump(mode="json", by_alias=True, exclude_unset=True)


class AthleteSession:
    """Typed Intervals.icu calls for one athlete with one credential."""

    def __init__(
        self,
        client: IntervalsClient,
        credential: Credential,
        athlete_id: str | int = "0",
        *,
        owner_id: str | None = None,
        rate_key: str | None = None,
    ) -> None:
        if not isinstance(credential, Credential):
            raise TypeError("credential must be an ApiKey or BearerToken")
        self._client = client
        self._credential = credential
        self.athlete_id = ids.athlete_id(athlete_id)
        if owner_id is None:
            self.owner_id: str | None = None
        elif owner_id == athlete_id:  # the caller's own athlete: the same text, checked above
            self.owner_id = self.athlete_id
        else:
            self.owner_id = ids.athlete_id(owner_id)
        self._is_self = self.athlete_id == "0" or self.athlete_id == self.owner_id
        if rate_key is None:
            own = self.athlete_id if self.athlete_id != "0" else self.owner_id
            rate_key = own or f"credential:{credential.fingerprint}"
        self.rate_key = rate_key
        self._identity: str | None = None

    def __repr__(self) -> str:
        return f"AthleteSession(athlete_id={self.athlete_id!r}, credential={self._credential!r})"

    def missing_permission(self, area: str, what: str, *, write: bool) -> MissingPermission | None:
        """The permission this session's credential is known to lack for ``area`` (an OAuth
        token whose granted scope leaves it out; never an API key), as the error a call would
        raise; None when it has it or the scope is unknown. Lets a write preview say so before
        anything is confirmed."""
        if _known_to_lack(self._credential, area, write=write):
            return missing_permission(area, what, write=write)
        return None

    # -- plumbing ---------------------------------------------------------------------------

    def _athlete(self, suffix: str = "") -> str:
        return f"/athlete/{self.athlete_id}{suffix}"

    @property
    def _athlete_forbidden(self) -> ForbiddenMeaning:
        return "credential" if self._is_self else "athlete"

    def _who(self) -> str:
        return "your athlete" if self.athlete_id == "0" else f"athlete {self.athlete_id}"

    def _call(
        self,
        method: Method,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        forbidden: ForbiddenMeaning | None = None,
    ) -> Coroutine[Any, Any, Any]:
        """One upstream request, to await. A GET may be answered from the answer cache and is
        noted in the tool call's fetch ledger ("as of"); any other method invalidates the areas
        it changes for this athlete, even when it failed (it may have been applied); what it
        answers is noted in the ledger as fetched now. Returns the coroutine of :meth:`_get` or
        :meth:`_write` itself (no coroutine of its own wrapping it: one per upstream request)."""
        if method == "GET":
            return self._get(path, what, params, forbidden)
        return self._write(method, path, what, params, json, forbidden)

    async def _write(
        self,
        method: Method,
        path: str,
        what: str,
        params: Mapping[str, Any] | None,
        json: Any,
        forbidden: ForbiddenMeaning | None,
    ) -> Any:
        """A request other than GET (see :meth:`_call`)."""
        try:
            data = await self._send(method, path, what, params, json, forbidden)
        finally:
            await self._forget_written(path)
        ledger = fetch_ledger()
        if ledger is not None and data:
            ledger.fetched()  # what a write answered is Intervals.icu's data as of now
        return data

    def _send(
        self,
        method: Method,
        path: str,
        what: str,
        params: Mapping[str, Any] | None,
        json: Any,
        forbidden: ForbiddenMeaning | None,
        *,
        with_body: bool = False,
    ) -> Coroutine[Any, Any, Any]:
        """``IntervalsClient.request`` with this session's credential, rate key and meaning of
        a 403, to await (its coroutine itself, not one wrapping it)."""
        return self._client.request(
            method,
            path,
            credential=self._credential,
            rate_key=self.rate_key,
            params=params,
            json=json,
            what=what,
            forbidden=forbidden or self._athlete_forbidden,
            with_body=with_body,
        )

    def _read_identity(self) -> str:
        """Who reads, for the answer cache's keys (answer_cache.read_identity: a digest of the
        credential, never the credential), worked out once per session."""
        if self._identity is None:
            self._identity = read_identity(self._credential, self.owner_id)
        return self._identity

    @property
    def _cached_athlete(self) -> str | None:
        """The real id of the athlete whose data this session reads (None: unknown, so
        nothing is cached or invalidated)."""
        return self.athlete_id if self.athlete_id != "0" else self.owner_id

    async def _get(
        self,
        path: str,
        what: str,
        params: Mapping[str, Any] | None,
        forbidden: ForbiddenMeaning | None,
    ) -> Any:
        """``GET path``: from the answer cache when it holds it for this athlete and this
        credential (app/intervals/answer_cache.py), else from Intervals.icu (then kept)."""
        ledger = fetch_ledger()
        cache, athlete = self._client.answers, self._cached_athlete
        if cache is None or athlete is None:
            return self._noted(
                ledger, await self._send("GET", path, what, params, None, forbidden), None
            )
        area = scope_area(path)
        if _known_to_lack(self._credential, area, write=False):
            raise missing_permission(area, what)  # before the cache: never served without scope
        identity = self._read_identity()
        hit, key, areas = await cache.lookup(athlete, identity, path, params)
        if hit is not None:
            return self._noted(ledger, hit.data, hit.fetched_at)
        answered: Answered = await self._send(
            "GET", path, what, params, None, forbidden, with_body=True
        )
        data = answered.data
        if key is None or areas is None:
            return self._noted(ledger, data, None)
        self._noted(ledger, data, None)
        analyzed = _analyzed(data) or (ledger is not None and areas.activity_id in ledger.analyzed)
        await cache.keep(key, areas, data, analyzed=analyzed, body=answered.body)
        return data

    @staticmethod
    def _noted(ledger: FetchLedger | None, data: Any, when: datetime | None) -> Any:
        if ledger is not None:
            ledger.fetched(when)
            ledger.saw(data)
        return data

    async def _forget_written(self, path: str) -> None:
        """Invalidate what a write to ``path`` changes for this athlete, at once."""
        cache, athlete = self._client.answers, self._cached_athlete
        changed = written_areas(path)
        if cache is None or athlete is None or changed is None:
            return
        activities = [changed.activity_id] if changed.activity_id else []
        await cache.invalidate(athlete, changed.areas, activity_ids=activities)

    # -- athlete ----------------------------------------------------------------------------

    async def get_athlete(self) -> Athlete:
        """``GET /athlete/{id}``: profile with sport settings and custom items."""
        data = await self._call("GET", self._athlete(), what=self._who())
        return _profile(data)

    async def list_athletes(self) -> list[AthleteSummary]:
        """``GET /athletes``: athletes the key may read (coached/followed, plus the caller).
        Upstream accepts API keys only, not bearer tokens."""
        data = await self._call(
            "GET", "/athletes", what="the athletes list", forbidden="credential"
        )
        return _many(AthleteSummary, data, "the athletes list")

    async def get_athlete_summary(
        self, start: DateTimeLike | None = None, end: DateTimeLike | None = None
    ) -> list[WeekSummary]:
        """``GET /athlete/{id}/athlete-summary``: weekly totals (count, time, distance, load,
        time by sport in ``byCategory``) with fitness, fatigue, form and ramp rate as of each
        week's last activity. ``start`` / ``end`` are athlete-local (upstream defaults: 6 days
        ago .. today). Oldest week first.

        With a coach's API key upstream adds a row per coached athlete; only this session's
        athlete's rows are kept, so the answer never mixes athletes."""
        params = {
            "start": ids.local_datetime(start) if start is not None else None,
            "end": ids.local_datetime(end) if end is not None else None,
        }
        data = await self._call(
            "GET",
            self._athlete("/athlete-summary"),
            params=params,
            what=f"the summary of {self._who()}",
        )
        rows = self._own_rows(_many(WeekSummary, data, "the athlete summary"))
        return sorted(rows, key=lambda row: row.date)

    def _own_rows(self, rows: list[WeekSummary]) -> list[WeekSummary]:
        """The rows of this session's athlete. For athlete ``0`` without a known owner, rows of
        several athletes cannot be told apart, so they are refused rather than mixed."""
        me = self.athlete_id if self.athlete_id != "0" else self.owner_id
        if me is None:
            present = {_bare(row.athlete_id) for row in rows if row.athlete_id is not None}
            if len(present) > 1:
                raise UnexpectedPayload(
                    "Intervals.icu sent a summary of several athletes and the gateway cannot "
                    "tell which one is yours."
                )
            return rows
        return [row for row in rows if row.athlete_id is None or _bare(row.athlete_id) == _bare(me)]

    # -- activities -------------------------------------------------------------------------

    async def list_activities(
        self,
        oldest: DateTimeLike,
        newest: DateTimeLike | None = None,
        *,
        limit: int | None = None,
        fields: Sequence[str] | None = None,
        route_id: int | None = None,
        only_fields: bool = False,
    ) -> list[Activity]:
        """``GET /athlete/{id}/activities``: newest first, ``oldest`` required, ``newest``
        inclusive (athlete-local dates). ``fields`` always includes ``id`` and
        ``start_date_local``. ``only_fields``: the caller reads no other attribute, so only
        ``fields`` are validated (:func:`_reading`)."""
        if fields is not None:
            fields = list(dict.fromkeys(["id", "start_date_local", *fields]))
        params = {
            "oldest": ids.local_datetime(oldest),
            "newest": ids.local_datetime(newest) if newest is not None else None,
            "limit": _positive(limit, "limit"),
            "fields": fields,
            "route_id": route_id,
        }
        data = await self._call(
            "GET", self._athlete("/activities"), params=params, what=f"activities of {self._who()}"
        )
        model = _reading(Activity, tuple(fields)) if only_fields and fields else Activity
        return _many(model, data, "activities")

    async def search_activities(
        self, query: str, *, limit: int | None = None
    ) -> list[ActivitySearchResult]:
        """``GET /athlete/{id}/activities/search``: by name (case-insensitive) or ``#tag``
        (``list_activity_tags``). Upstream has no type or date filter here: for a type in a
        window, filter ``list_activities`` (with ``fields``) by ``type``."""
        params = {"q": _text(query, "query"), "limit": _positive(limit, "limit")}
        data = await self._call(
            "GET", self._athlete("/activities/search"), params=params, what="activity search"
        )
        return _many(ActivitySearchResult, data, "activity search results")

    async def search_activities_full(
        self, query: str, *, limit: int | None = None
    ) -> list[Activity]:
        """``GET /athlete/{id}/activities/search-full``: like search, full activities."""
        params = {"q": _text(query, "query"), "limit": _positive(limit, "limit")}
        data = await self._call(
            "GET", self._athlete("/activities/search-full"), params=params, what="activity search"
        )
        return _many(Activity, data, "activity search results")

    async def list_activity_tags(self) -> list[str]:
        """``GET /athlete/{id}/activity-tags``: every tag on the athlete's activities (search
        one with ``search_activities("#tag")``)."""
        data = await self._call(
            "GET", self._athlete("/activity-tags"), what=f"activity tags of {self._who()}"
        )
        if data is None:
            return []
        if not isinstance(data, list) or not all(isinstance(t, str) for t in data):
            raise UnexpectedPayload("Intervals.icu sent activity tags that are not a list of text.")
        return list(data)

    async def activities_around(
        self,
        activity_id: str,
        *,
        limit: int | None = None,
        route_id: int | None = None,
        reads: Sequence[str] | None = None,
    ) -> list[Activity]:
        """``GET /athlete/{id}/activities-around``: activities before and after one activity.
        The endpoint takes no ``fields=`` (intervals-api.md §2.2); ``reads``: the upstream
        names of the only fields the caller reads (with ``id`` and ``start_date_local``), the
        only ones validated; the others are dropped unread (:func:`_reading`)."""
        params = {
            "activity_id": ids.activity_id(activity_id),
            "limit": _positive(limit, "limit"),
            "route_id": route_id,
        }
        data = await self._call(
            "GET", self._athlete("/activities-around"), params=params, what="activities around"
        )
        model = Activity
        if reads is not None:
            kept = tuple(dict.fromkeys(["id", "start_date_local", *reads]))
            model = _reading(Activity, kept, rest_dropped=True)
        return _many(model, data, "activities")

    async def get_activity(self, activity_id: str, *, intervals: bool = False) -> Activity:
        """``GET /activity/{id}``; ``intervals=True`` adds ``icu_intervals`` and ``icu_groups``."""
        aid = ids.activity_id(activity_id)
        data = await self._call(
            "GET",
            f"/activity/{aid}",
            params={"intervals": True if intervals else None},
            what=f"activity {aid}",
            forbidden="object",
        )
        return _one(Activity, data, "the activity")

    async def get_activities(
        self, activity_ids: Iterable[str], *, intervals: bool = False
    ) -> list[Activity]:
        """``GET /athlete/{athleteId}/activities/{ids}``: several by id (missing ids skipped)."""
        joined = ",".join(ids.activity_id(a) for a in activity_ids)
        if not joined:
            return []
        data = await self._call(
            "GET",
            self._athlete(f"/activities/{joined}"),
            params={"intervals": True if intervals else None},
            what="activities",
        )
        return _many(Activity, data, "activities")

    async def get_intervals(self, activity_id: str) -> Intervals:
        """``GET /activity/{id}/intervals``: intervals and interval groups."""
        aid = ids.activity_id(activity_id)
        data = await self._call(
            "GET",
            f"/activity/{aid}/intervals",
            what=f"intervals of activity {aid}",
            forbidden="object",
        )
        return _one(Intervals, data, "activity intervals")

    async def get_streams(
        self,
        activity_id: str,
        types: Sequence[str] | None = None,
        *,
        include_defaults: bool | None = None,
    ) -> list[ActivityStream]:
        """``GET /activity/{id}/streams.json``: ``[{type, name, data, data2}]`` (full resolution;
        downsampling is the caller's job)."""
        aid = ids.activity_id(activity_id)
        params = {"types": list(types) if types else None, "includeDefaults": include_defaults}
        data = await self._call(
            "GET",
            f"/activity/{aid}/streams.json",
            params=params,
            what=f"streams of activity {aid}",
            forbidden="object",
        )
        return _many(ActivityStream, data, "activity streams")

    async def get_best_efforts(
        self,
        activity_id: str,
        stream: str,
        *,
        duration: int | None = None,
        distance: float | None = None,
        count: int | None = None,
        min_value: float | None = None,
        exclude_intervals: bool | None = None,
        start_index: int | None = None,
        end_index: int | None = None,
    ) -> BestEfforts:
        """``GET /activity/{id}/best-efforts``: ``stream`` is required, plus exactly one of
        ``duration`` (s) or ``distance`` (m)."""
        aid = ids.activity_id(activity_id)
        if (duration is None) == (distance is None):
            raise ValueError("give exactly one of duration (seconds) or distance (metres)")
        params = {
            "stream": _text(stream, "stream"),
            "duration": _positive(duration, "duration"),
            "distance": distance,
            "count": _positive(count, "count"),
            "minValue": min_value,
            "excludeIntervals": exclude_intervals,
            "startIndex": start_index,
            "endIndex": end_index,
        }
        data = await self._call(
            "GET",
            f"/activity/{aid}/best-efforts",
            params=params,
            what=f"best efforts of activity {aid}",
            forbidden="object",
        )
        return _one(BestEfforts, data, "best efforts")

    async def get_histogram(
        self, activity_id: str, kind: HistogramKind, *, bucket_size: float | None = None
    ) -> list[HistogramBucket]:
        """``GET /activity/{id}/{power,hr,pace,gap}-histogram``: a bare array of buckets.
        ``bucket_size`` (W or bpm) exists for power and heart rate only."""
        aid = ids.activity_id(activity_id)
        if kind not in ("power", "hr", "pace", "gap"):
            raise ValueError("histogram kind must be power, hr, pace or gap")
        if bucket_size is not None and kind not in ("power", "hr"):
            raise ValueError("bucket_size applies to power and heart rate histograms only")
        data = await self._call(
            "GET",
            f"/activity/{aid}/{kind}-histogram",
            params={"bucketSize": bucket_size},
            what=f"{kind} histogram of activity {aid}",
            forbidden="object",
        )
        return _many(HistogramBucket, data, "histogram")

    async def list_messages(
        self, activity_id: str, *, since_id: int | None = None, limit: int | None = None
    ) -> list[Message]:
        """``GET /activity/{id}/messages``: comments on an activity."""
        aid = ids.activity_id(activity_id)
        params = {"sinceId": since_id, "limit": _positive(limit, "limit")}
        data = await self._call(
            "GET",
            f"/activity/{aid}/messages",
            params=params,
            what=f"comments on activity {aid}",
            forbidden="object",
        )
        return _many(Message, data, "activity comments")

    async def add_message(self, activity_id: str, content: str) -> NewMessage:
        """``POST /activity/{id}/messages``: add a comment."""
        aid = ids.activity_id(activity_id)
        data = await self._call(
            "POST",
            f"/activity/{aid}/messages",
            json={"content": _text(content, "content")},
            what=f"a comment on activity {aid}",
            forbidden="object",
        )
        return _one(NewMessage, data, "the new comment")

    async def update_activity(
        self, activity_id: str, changes: ActivityUpdate | Mapping[str, Any]
    ) -> Activity:
        """``PUT /activity/{id}``: partial update; ``-1`` clears a numeric field."""
        aid = ids.activity_id(activity_id)
        data = await self._call(
            "PUT",
            f"/activity/{aid}",
            json=_body(ActivityUpdate, changes),
            what=f"activity {aid}",
            forbidden="object",
        )
        return _one(Activity, data, "the updated activity")

    async def get_activity_curve(
        self,
        activity_id: str,
        kind: CurveKind,
        *,
        gap: bool | None = None,
        fatigue: Literal["kj0", "kj1"] | None = None,
    ) -> ActivityCurve:
        """``GET /activity/{id}/{power,hr,pace}-curve``: the best power / heart rate for each
        duration, or best pace for each distance, within one activity. ``gap`` (pace only):
        grade-adjusted pace; ``fatigue`` (power only): the curve after the athlete's first or
        second predefined amount of work (``kj0`` / ``kj1``)."""
        aid = ids.activity_id(activity_id)
        if kind not in ("power", "hr", "pace"):
            raise ValueError("curve kind must be power, hr or pace")
        if gap is not None and kind != "pace":
            raise ValueError("gap applies to the pace curve only")
        if fatigue is not None and (kind != "power" or fatigue not in ("kj0", "kj1")):
            raise ValueError("fatigue applies to the power curve only and is kj0 or kj1")
        data = await self._call(
            "GET",
            f"/activity/{aid}/{kind}-curve.json",
            params={"gap": gap, "fatigue": fatigue},
            what=f"{kind} curve of activity {aid}",
            forbidden="object",
        )
        return _one(ActivityCurve, data, f"the {kind} curve")

    # -- curves -----------------------------------------------------------------------------

    async def get_power_curves(
        self,
        sport: str,
        *,
        curves: Sequence[str] | None = None,
        newest: DateLike | None = None,
        include_ranks: bool | None = None,
        sub_max_efforts: int | None = None,
    ) -> CurveSet:
        """``GET /athlete/{id}/power-curves``: ``type`` (sport) is required; ``curves`` like
        ``1y``, ``42d``, ``s0`` (this season), ``r.2026-01-01.2026-03-31``
        (``ids.curve_range``), one curve each in the answer, in order, so two periods compare
        in one call."""
        params = {
            "type": _text(sport, "sport"),
            "curves": [ids.curve_id(c) for c in curves] if curves else None,
            "newest": ids.local_date(newest) if newest is not None else None,
            "includeRanks": include_ranks,
            "subMaxEfforts": sub_max_efforts,
        }
        data = await self._call(
            "GET", self._athlete("/power-curves"), params=params, what="power curves"
        )
        return _one(CurveSet, data, "power curves")

    async def get_hr_curves(
        self,
        sport: str | None = None,
        *,
        curves: Sequence[str] | None = None,
        newest: DateLike | None = None,
    ) -> CurveSet:
        """``GET /athlete/{id}/hr-curves``: best heart rate for durations."""
        params = {
            "type": sport,
            "curves": [ids.curve_id(c) for c in curves] if curves else None,
            "newest": ids.local_date(newest) if newest is not None else None,
        }
        data = await self._call(
            "GET", self._athlete("/hr-curves"), params=params, what="heart rate curves"
        )
        return _one(CurveSet, data, "heart rate curves")

    async def get_pace_curves(
        self,
        sport: str,
        *,
        curves: Sequence[str] | None = None,
        newest: DateLike | None = None,
        gap: bool | None = None,
    ) -> CurveSet:
        """``GET /athlete/{id}/pace-curves``: best pace for distances."""
        params = {
            "type": _text(sport, "sport"),
            "curves": [ids.curve_id(c) for c in curves] if curves else None,
            "newest": ids.local_date(newest) if newest is not None else None,
            "gap": gap,
        }
        data = await self._call(
            "GET", self._athlete("/pace-curves"), params=params, what="pace curves"
        )
        return _one(CurveSet, data, "pace curves")

    # -- wellness ---------------------------------------------------------------------------

    async def list_wellness(
        self,
        oldest: DateLike | None = None,
        newest: DateLike | None = None,
        *,
        fields: Sequence[str] | None = None,
        only_fields: bool = False,
    ) -> list[Wellness]:
        """``GET /athlete/{id}/wellness``: one record per local day, ``newest`` inclusive.
        ``fields`` always includes ``id``. ``only_fields``: the caller reads no other
        attribute, so only ``fields`` are validated (:func:`_reading`)."""
        if fields is not None:
            fields = list(dict.fromkeys(["id", *fields]))
        params = {
            "oldest": ids.local_date(oldest) if oldest is not None else None,
            "newest": ids.local_date(newest) if newest is not None else None,
            "fields": fields,
        }
        data = await self._call(
            "GET", self._athlete("/wellness"), params=params, what=f"wellness of {self._who()}"
        )
        model = _reading(Wellness, tuple(fields)) if only_fields and fields else Wellness
        return _many(model, data, "wellness records")

    async def get_wellness(self, day: DateLike) -> Wellness:
        """``GET /athlete/{id}/wellness/{date}``."""
        d = ids.local_date(day)
        data = await self._call("GET", self._athlete(f"/wellness/{d}"), what=f"wellness for {d}")
        return _one(Wellness, data, "the wellness record")

    async def update_wellness(
        self, day: DateLike, changes: WellnessUpdate | Mapping[str, Any]
    ) -> Wellness:
        """``PUT /athlete/{id}/wellness/{date}``: create or partially update; ``-1`` clears."""
        d = ids.local_date(day)
        body = _body(WellnessUpdate, changes)
        body["id"] = d
        data = await self._call(
            "PUT", self._athlete(f"/wellness/{d}"), json=body, what=f"wellness for {d}"
        )
        return _one(Wellness, data, "the wellness record")

    async def update_wellness_bulk(
        self, records: Sequence[WellnessUpdate | Mapping[str, Any]]
    ) -> None:
        """``PUT /athlete/{id}/wellness-bulk``: each record carries its date as ``id``."""
        body = [_body(WellnessUpdate, r) for r in records]
        for record in body:
            if not record.get("id"):
                raise ValueError("every bulk wellness record needs its date as 'id'")
        await self._call("PUT", self._athlete("/wellness-bulk"), json=body, what="wellness")

    # -- calendar events --------------------------------------------------------------------

    async def list_events(
        self,
        oldest: DateTimeLike | None = None,
        newest: DateTimeLike | None = None,
        *,
        category: Sequence[str] | None = None,
        limit: int | None = None,
        resolve: bool | None = None,
    ) -> list[Event]:
        """``GET /athlete/{id}/events``: defaults to today .. today+6 days (athlete-local)."""
        params = {
            "oldest": ids.local_datetime(oldest) if oldest is not None else None,
            "newest": ids.local_datetime(newest) if newest is not None else None,
            "category": list(category) if category else None,
            "limit": _positive(limit, "limit"),
            "resolve": resolve,
        }
        data = await self._call(
            "GET", self._athlete("/events"), params=params, what=f"calendar of {self._who()}"
        )
        return _many(Event, data, "calendar events")

    async def get_event(self, event_id: int) -> Event:
        """``GET /athlete/{id}/events/{eventId}``."""
        eid = ids.numeric_id(event_id, "event id")
        data = await self._call(
            "GET", self._athlete(f"/events/{eid}"), what=f"event {eid}", forbidden="object"
        )
        return _one(Event, data, "the event")

    async def create_event(
        self, event: EventWrite | Mapping[str, Any], *, upsert_on_uid: bool | None = None
    ) -> Event:
        """``POST /athlete/{id}/events``: a planned workout, note, race ..."""
        body = _body(EventWrite, event)
        if not body.get("category") or not body.get("start_date_local"):
            raise ValueError("an event needs category and start_date_local")
        data = await self._call(
            "POST",
            self._athlete("/events"),
            params={"upsertOnUid": upsert_on_uid},
            json=body,
            what="a new event",
        )
        return _one(Event, data, "the created event")

    async def update_event(self, event_id: int, changes: EventWrite | Mapping[str, Any]) -> Event:
        """``PUT /athlete/{id}/events/{eventId}``: only the fields sent change."""
        eid = ids.numeric_id(event_id, "event id")
        data = await self._call(
            "PUT",
            self._athlete(f"/events/{eid}"),
            json=_body(EventWrite, changes),
            what=f"event {eid}",
            forbidden="object",
        )
        return _one(Event, data, "the updated event")

    async def delete_event(self, event_id: int, *, others: bool | None = None) -> None:
        """``DELETE /athlete/{id}/events/{eventId}``; ``others``: also those added with it."""
        eid = ids.numeric_id(event_id, "event id")
        await self._call(
            "DELETE",
            self._athlete(f"/events/{eid}"),
            params={"others": others},
            what=f"event {eid}",
            forbidden="object",
        )

    async def create_events_bulk(
        self, events: Sequence[EventWrite | Mapping[str, Any]], *, upsert: bool | None = None
    ) -> list[Event]:
        """``POST /athlete/{id}/events/bulk``; ``upsert=True`` updates events with the same
        ``external_id`` (created by the same app) instead of duplicating them."""
        body = [_body(EventWrite, e) for e in events]
        if upsert and any(not e.get("external_id") for e in body):
            raise ValueError("upsert needs an external_id on every event")
        data = await self._call(
            "POST",
            self._athlete("/events/bulk"),
            params={"upsert": upsert},
            json=body,
            what="new events",
        )
        return _many(Event, data, "created events")

    async def delete_events_bulk(
        self, *, event_ids: Iterable[int] = (), external_ids: Iterable[str] = ()
    ) -> int:
        """``PUT /athlete/{id}/events/bulk-delete``: by id or ``external_id``; returns the count."""
        body: list[dict[str, Any]] = [{"id": ids.numeric_id(e, "event id")} for e in event_ids]
        body += [{"external_id": _text(x, "external_id")} for x in external_ids]
        if not body:
            return 0
        data = await self._call(
            "PUT", self._athlete("/events/bulk-delete"), json=body, what="events to delete"
        )
        return _one(DeletedEvents, data, "the delete result").events_deleted

    async def duplicate_events(
        self, event_ids: Iterable[int], *, num_copies: int = 1, weeks_between: int = 1
    ) -> list[Event]:
        """``POST /athlete/{id}/duplicate-events``: copy events ``weeks_between`` weeks apart."""
        body = {
            "eventIds": [ids.numeric_id(e, "event id") for e in event_ids],
            "numCopies": _positive(num_copies, "num_copies"),
            "weeksBetween": _positive(weeks_between, "weeks_between"),
        }
        data = await self._call(
            "POST", self._athlete("/duplicate-events"), json=body, what="events to duplicate"
        )
        return _many(Event, data, "duplicated events")

    async def mark_event_done(self, event_id: int) -> Activity:
        """``POST /athlete/{id}/events/{eventId}/mark-done``: creates a matching manual activity."""
        eid = ids.numeric_id(event_id, "event id")
        data = await self._call(
            "POST",
            self._athlete(f"/events/{eid}/mark-done"),
            what=f"event {eid}",
            forbidden="object",
        )
        return _one(Activity, data, "the activity created for the event")

    # -- workout library --------------------------------------------------------------------

    async def list_folders(self) -> list[Folder]:
        """``GET /athlete/{id}/folders``: folders and plans with their workouts."""
        data = await self._call("GET", self._athlete("/folders"), what="workout library")
        return _many(Folder, data, "library folders")

    async def list_workouts(self) -> list[Workout]:
        """``GET /athlete/{id}/workouts``: every workout in the library."""
        data = await self._call("GET", self._athlete("/workouts"), what="workout library")
        return _many(Workout, data, "library workouts")

    async def get_workout(self, workout_id: int) -> Workout:
        """``GET /athlete/{id}/workouts/{workoutId}``: one library workout with its structure
        (``workout_doc``: steps, repeats, targets) and workout text (``description``)."""
        wid = ids.numeric_id(workout_id, "workout id")
        data = await self._call(
            "GET", self._athlete(f"/workouts/{wid}"), what=f"workout {wid}", forbidden="object"
        )
        return _one(Workout, data, "the workout")

    async def get_training_plan(self) -> AthleteTrainingPlan:
        """``GET /athlete/{id}/training-plan``: the plan applied to the athlete (its folder with
        the workouts, start date, last applied); fields are null when none is applied."""
        data = await self._call(
            "GET", self._athlete("/training-plan"), what=f"the training plan of {self._who()}"
        )
        return _one(AthleteTrainingPlan, data, "the training plan")

    async def create_workout(self, workout: WorkoutWrite | Mapping[str, Any]) -> Workout:
        """``POST /athlete/{id}/workouts``: a workout in a folder (name at most 80 chars)."""
        data = await self._call(
            "POST",
            self._athlete("/workouts"),
            json=_body(WorkoutWrite, workout),
            what="a new library workout",
        )
        return _one(Workout, data, "the created workout")

    async def update_workout(
        self, workout_id: int, changes: WorkoutUpdate | Mapping[str, Any]
    ) -> Workout:
        """``PUT /athlete/{id}/workouts/{workoutId}``: partial update of a library workout."""
        wid = ids.numeric_id(workout_id, "workout id")
        data = await self._call(
            "PUT",
            self._athlete(f"/workouts/{wid}"),
            json=_body(WorkoutUpdate, changes),
            what=f"workout {wid}",
            forbidden="object",
        )
        return _one(Workout, data, "the updated workout")

    async def delete_workout(self, workout_id: int) -> None:
        """``DELETE /athlete/{id}/workouts/{workoutId}``: one library workout."""
        wid = ids.numeric_id(workout_id, "workout id")
        await self._call(
            "DELETE", self._athlete(f"/workouts/{wid}"), what=f"workout {wid}", forbidden="object"
        )

    async def delete_folder(self, folder_id: int) -> None:
        """``DELETE /athlete/{id}/folders/{folderId}``: a folder or plan WITH its workouts."""
        fid = ids.numeric_id(folder_id, "folder id")
        await self._call(
            "DELETE", self._athlete(f"/folders/{fid}"), what=f"folder {fid}", forbidden="object"
        )

    async def create_folder(self, folder: FolderWrite | Mapping[str, Any]) -> Folder:
        """``POST /athlete/{id}/folders``: a workout folder (``FOLDER``) or plan (``PLAN``)."""
        data = await self._call(
            "POST", self._athlete("/folders"), json=_body(FolderWrite, folder), what="a new folder"
        )
        return _one(Folder, data, "the created folder")

    async def update_folder(
        self, folder_id: int, changes: FolderWrite | Mapping[str, Any]
    ) -> Folder:
        """``PUT /athlete/{id}/folders/{folderId}``: rename or describe a folder or plan."""
        fid = ids.numeric_id(folder_id, "folder id")
        data = await self._call(
            "PUT",
            self._athlete(f"/folders/{fid}"),
            json=_body(FolderWrite, changes),
            what=f"folder {fid}",
            forbidden="object",
        )
        return _one(Folder, data, "the updated folder")

    # -- sport settings ---------------------------------------------------------------------

    async def list_sport_settings(self) -> list[SportSettings]:
        """``GET /athlete/{athleteId}/sport-settings``."""
        data = await self._call("GET", self._athlete("/sport-settings"), what="sport settings")
        return _many(SportSettings, data, "sport settings")

    async def get_sport_settings(self, sport: str | int) -> SportSettings:
        """``GET /athlete/{athleteId}/sport-settings/{id}``: by id or sport (``Ride``, ``Run``)."""
        key = ids.sport_settings_id(sport)
        data = await self._call(
            "GET", self._athlete(f"/sport-settings/{key}"), what=f"{key} sport settings"
        )
        return _one(SportSettings, data, "sport settings")

    async def update_sport_settings(
        self,
        sport: str | int,
        changes: SportSettingsUpdate | Mapping[str, Any],
        *,
        recalc_hr_zones: bool | None = None,
    ) -> SportSettings:
        """``PUT /athlete/{athleteId}/sport-settings/{id}``: thresholds and zones."""
        key = ids.sport_settings_id(sport)
        data = await self._call(
            "PUT",
            self._athlete(f"/sport-settings/{key}"),
            params={"recalcHrZones": recalc_hr_zones},
            json=_body(SportSettingsUpdate, changes),
            what=f"{key} sport settings",
        )
        return _one(SportSettings, data, "sport settings")

    # -- gear and custom items --------------------------------------------------------------

    async def list_gear(self) -> list[Gear]:
        """``GET /athlete/{id}/gear``: bikes, shoes and components with reminders."""
        data = await self._call("GET", self._athlete("/gear"), what="gear")
        return _many(Gear, data, "gear")

    async def list_custom_items(self) -> list[CustomItem]:
        """``GET /athlete/{id}/custom-item``: charts, custom fields, zones ..."""
        data = await self._call("GET", self._athlete("/custom-item"), what="custom items")
        return _many(CustomItem, data, "custom items")

    async def get_custom_item(self, item_id: int) -> CustomItem:
        """``GET /athlete/{id}/custom-item/{itemId}``."""
        iid = ids.numeric_id(item_id, "custom item id")
        data = await self._call(
            "GET",
            self._athlete(f"/custom-item/{iid}"),
            what=f"custom item {iid}",
            forbidden="object",
        )
        return _one(CustomItem, data, "the custom item")

    # -- OAuth ------------------------------------------------------------------------------

    async def disconnect_app(self) -> None:
        """``DELETE /disconnect-app``: revoke this app's OAuth token (bearer tokens only)."""
        await self._call(
            "DELETE", "/disconnect-app", what="the app connection", forbidden="credential"
        )


def _analyzed(data: Any) -> bool:
    """Whether an answer says its activity is analyzed (``IntervalsDTO.analyzed``)."""
    return isinstance(data, dict) and bool(data.get("analyzed"))


def _positive(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer")
    return value


def _bare(athlete: str) -> str:
    """An athlete id without its ``i`` prefix (legacy accounts have none)."""
    return athlete.removeprefix("i")


def _text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return value
