"""``/metrics`` in the Prometheus text format, and the request middleware that feeds it.

One :class:`PrometheusObserver` per app, with its own registry (two apps in one process keep
separate counts). The choke points report to it through :func:`app.observe.observer`; this is
the only module that imports ``prometheus_client``. The rate budget and the database pool are
read when scraped (:class:`StateCollector`).

``/metrics`` is served only when ``GATEWAY_METRICS_TOKEN`` is set, and only to a request with
``Authorization: Bearer <that token>`` (compared in constant time); otherwise 404, so the page
reveals nothing, not even that it exists. With ``serve --workers N`` every worker keeps its own
counts: a scrape sees the one worker that answered it (docs/operations.md, "Metrics").
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observe import current_observer, current_request_id, new_request_id
from app.settings import Settings

UNMATCHED = "unmatched"
METRICS_PATH = "/metrics"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0)


class Children:
    """The labelled children of one metric, kept once made: ``metric.labels(...)`` validates
    the values and takes a lock on every call (three times per tool call on the hot path);
    a dictionary look-up returns the same child. The label values are bounded (route
    templates, status codes, tool names, outcomes), as they are in the metric itself."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self.made: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self.made.get(values)
        if child is None:
            child = self.made[values] = self.metric.labels(*values)
        return child


class PrometheusObserver:
    """The :class:`app.observe.Observer` that counts into one Prometheus registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "gateway_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "gateway_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tools = Counter(
            "gateway_tool_calls",
            "MCP tool calls by tool and outcome (ok, error: a clear isError answer, "
            "unexpected: a gateway fault).",
            ["tool", "outcome"],
            registry=r,
        )
        self.upstream = Counter(
            "gateway_upstream_requests",
            "Requests sent to Intervals.icu by HTTP status (or timeout / unreachable).",
            ["status"],
            registry=r,
        )
        self.upstream_seconds = Histogram(
            "gateway_upstream_request_duration_seconds",
            "Time of one request to Intervals.icu (one attempt, budget wait excluded).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.bearer = Counter(
            "gateway_bearer_lookups",
            "Bearer token checks on /mcp and /sse by outcome (valid, invalid, missing).",
            ["outcome"],
            registry=r,
        )
        self.token_cache = Counter(
            "gateway_token_cache_lookups",
            "Verified-token cache lookups by result (hit: no database read, miss).",
            ["result"],
            registry=r,
        )
        self.answer_cache = Counter(
            "gateway_answer_cache_lookups",
            "Answer cache lookups of Intervals.icu GET requests by result (hit, miss, error: "
            "the cache store did not answer and the request went upstream).",
            ["result"],
            registry=r,
        )
        self.token_cache_invalidations = Counter(
            "gateway_token_cache_invalidations",
            "Revocation notices applied to the verified-token cache by origin (local: this "
            "process; remote: another instance, through Redis; reconnect: emptied after "
            "subscribing again).",
            ["origin"],
            registry=r,
        )
        self.oauth = Counter(
            "gateway_oauth_events",
            "OAuth events: registration, grant (code exchanged), refresh, code_replay, "
            "refresh_reuse (both revoke the grant), revocation.",
            ["event"],
            registry=r,
        )
        self.webhooks = Counter(
            "gateway_webhook_events",
            "Intervals.icu webhook events by outcome: received (secret right, queued), "
            "duplicate (dropped), ignored (athlete unknown here), processed (cache told); "
            "refused (wrong secret) and malformed count deliveries.",
            ["outcome"],
            registry=r,
        )

        self._requests = Children(self.requests)
        self._request_seconds = Children(self.request_seconds)
        self._tools = Children(self.tools)
        self._upstream = Children(self.upstream)
        self._bearer = Children(self.bearer)
        self._oauth = Children(self.oauth)
        self._answer_cache = Children(self.answer_cache)
        self._webhooks = Children(self.webhooks)
        self._token_cache = Children(self.token_cache)
        self._token_cache_invalidations = Children(self.token_cache_invalidations)

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self._requests(method, route, str(status)).inc()
        self._request_seconds(route).observe(seconds)

    def tool_call(self, tool: str, outcome: str) -> None:
        self._tools(tool, outcome).inc()

    def upstream_request(self, status: str, seconds: float) -> None:
        self._upstream(status).inc()
        self.upstream_seconds.observe(seconds)

    def bearer_lookup(self, outcome: str) -> None:
        self._bearer(outcome).inc()

    def oauth_event(self, event: str) -> None:
        self._oauth(event).inc()

    def answer_cache_lookup(self, result: str) -> None:
        self._answer_cache(result).inc()

    def webhook_event(self, outcome: str) -> None:
        self._webhooks(outcome).inc()

    def token_cache_lookup(self, result: str) -> None:
        self._token_cache(result).inc()

    def token_cache_invalidation(self, origin: str) -> None:
        self._token_cache_invalidations(origin).inc()


class StateCollector(Collector):
    """Read at scrape time from the app's running services: the shared upstream budget's totals
    (``RateBudget.usage``, summed over athletes) and the database connection pool."""

    def __init__(self, services: Callable[[], Any]) -> None:
        self._services = services

    def collect(self) -> Iterable[Metric]:
        running = self._services()
        if running is None:
            return
        yield from budget_metrics(getattr(running.intervals.budget, "usage", None))
        yield from pool_metrics(running.engine.sync_engine.pool)


def budget_metrics(usage: Any) -> Iterable[Metric]:
    """Totals of the per-athlete :class:`~app.intervals.ratelimit.AthleteUsage` records."""
    if not isinstance(usage, dict):
        return
    granted = CounterMetricFamily(
        "gateway_rate_budget_granted", "Upstream requests the shared rate budget let through."
    )
    refused = CounterMetricFamily(
        "gateway_rate_budget_refused",
        "Upstream requests the shared rate budget refused (the caller was told to retry).",
    )
    waited = CounterMetricFamily(
        "gateway_rate_budget_wait_seconds", "Total time callers waited for the rate budget."
    )
    entries = list(usage.values())
    granted.add_metric([], sum(entry.granted for entry in entries))
    refused.add_metric([], sum(entry.refused for entry in entries))
    waited.add_metric([], sum(entry.waited_seconds for entry in entries))
    yield from (granted, refused, waited)


def pool_metrics(pool: Any) -> Iterable[Metric]:
    """SQLAlchemy's QueuePool figures (PostgreSQL); a pool without them (SQLite) shows none."""
    figures = {
        "size": "Connections the pool keeps open.",
        "checkedout": "Connections in use by requests now.",
        "overflow": "Connections open beyond the pool size now.",
    }
    for name, text in figures.items():
        read = getattr(pool, name, None)
        if not callable(read):
            continue
        gauge = GaugeMetricFamily(f"gateway_db_pool_{name}", text)
        gauge.add_metric([], float(read()))
        yield gauge


def metrics_allowed(settings: Settings, authorization: str | None) -> bool:
    """RFC 6750 §2.1 bearer check against GATEWAY_METRICS_TOKEN, in constant time."""
    expected = settings.metrics_token
    if not expected or not authorization:
        return False
    scheme, _, presented = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


class ObserveRequests:
    """Outermost ASGI middleware: gives each request an id (``X-Request-Id`` on every answer,
    and on every log line written meanwhile), installs the app's observer, and counts the
    request by method, route template and status."""

    def __init__(self, app: ASGIApp, observer: PrometheusObserver) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            token = current_observer.set(self.observer)
            try:
                await self.app(scope, receive, send)
            finally:
                current_observer.reset(token)
            return
        request_id = new_request_id()
        tokens = (current_request_id.set(request_id), current_observer.set(self.observer))
        status = 500
        started = time.perf_counter()
        counted = False

        def count() -> None:
            nonlocal counted
            if not counted:
                counted = True
                route = getattr(scope.get("route"), "path", None) or UNMATCHED
                self.observer.http_request(
                    scope["method"], route, status, time.perf_counter() - started
                )

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.body" and not message.get("more_body"):
                count()  # before the last byte leaves: a client that got its answer sees it
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            count()  # an answer cut short (client gone, error) is counted too
            current_observer.reset(tokens[1])
            current_request_id.reset(tokens[0])


def scraped_registry(observer: PrometheusObserver, app: FastAPI) -> CollectorRegistry:
    """The app's own registry; under ``serve --workers N`` (PROMETHEUS_MULTIPROC_DIR set by
    app/cli.py) the counters of all workers summed from their files, plus this worker's view
    of its budget and pool."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return observer.registry
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(StateCollector(lambda: getattr(app.state, "services", None)))
    return registry


def install_metrics(app: FastAPI, settings: Settings) -> PrometheusObserver:
    """Add ``/metrics`` and the request middleware (call last: it must be outermost)."""
    observer = PrometheusObserver()
    observer.registry.register(StateCollector(lambda: getattr(app.state, "services", None)))

    async def metrics(request: Request) -> Response:
        if not metrics_allowed(settings, request.headers.get("authorization")):
            return Response(status_code=404)
        page = generate_latest(scraped_registry(observer, app))
        return Response(page, media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(ObserveRequests, observer=observer)
    return observer
