"""Observability read from a real server's output: `intervals-gateway serve` (JSON logs at DEBUG,
a metrics token) in front of the fake Intervals.icu process. An athlete registers a client,
signs in, calls a tool, refreshes, replays the old refresh token and revokes; then /metrics
counts exactly that, every answer carries X-Request-Id, the upstream call's log line carries
the tool call's request id, and no secret appears anywhere in the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.settings import SettingsError, load_settings
from tests.e2e.athlete import Athlete, query_of
from tests.e2e.oauth_flow import (
    LOOPBACK_CALLBACK,
    authorize_url,
    pkce_pair,
    register_public_client,
)
from tests.e2e.stack import GATEWAY_COMMAND, Stack, fake_intervals, gateway, gateway_env
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.support.processes import free_port, running

METRICS_TOKEN = "metrics-token-for-the-test-" + "x" * 16
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
ATHLETE = DEMO_ATHLETES[0]
START = "intervals-gateway: serving "


@dataclass
class Observed:
    stack: Stack
    log: Path
    tool_answer: httpx.Response
    secrets: list[str]
    answers: list[httpx.Response]


def tool_call(stack: Stack, token: str, name: str, arguments: dict[str, Any]) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    headers = {**HEADERS, "Authorization": f"Bearer {token}"}
    return httpx.post(stack.mcp_url, json=body, headers=headers, timeout=60)


def redeem_code(stack: Stack, person: Athlete) -> tuple[str, str, dict[str, Any]]:
    """Register a public client, let `person` approve it, redeem the code (RFC 6749 §4.1.3):
    (client id, the code, the token response)."""
    client_id = register_public_client(stack.base, "Observed client")
    verifier, challenge = pkce_pair()
    url = authorize_url(stack.base, client_id, LOOPBACK_CALLBACK, challenge, resource=stack.mcp_url)
    code = query_of(person.authorize(url))["code"]
    response = httpx.post(
        f"{stack.base}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": verifier,
            "client_id": client_id,
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return client_id, code, dict(response.json())


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    root = tmp_path_factory.mktemp("observe")
    extra = {
        "GATEWAY_LOG_LEVEL": "DEBUG",
        "GATEWAY_LOG_FORMAT": "json",
        "GATEWAY_METRICS_TOKEN": METRICS_TOKEN,
    }
    with fake_intervals(root) as api, gateway(api, root / "gateway", extra_env=extra) as stack:
        person = Athlete(stack.base, ATHLETE.id, ATHLETE.api_key)
        try:
            client_id, code, tokens = redeem_code(stack, person)
        finally:
            person.close()
        answer = tool_call(stack, tokens["access_token"], "get_activities", {"limit": 1})
        missing = tool_call(
            stack, tokens["access_token"], "get_activity_details", {"activity_id": "i999999999"}
        )
        assert missing.json()["result"]["isError"] is True, missing.text
        token_url = f"{stack.base}/token"
        refresh = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": client_id,
        }
        rotated = httpx.post(token_url, data=refresh, timeout=30)
        assert rotated.status_code == 200, rotated.text
        newest = {**refresh, "refresh_token": rotated.json()["refresh_token"]}
        rotated = httpx.post(token_url, data=newest, timeout=30)
        assert rotated.status_code == 200, rotated.text
        # the first refresh token again, after its successor was used: reuse (RFC 9700 §4.14.2)
        replayed = httpx.post(token_url, data=refresh, timeout=30)
        assert replayed.status_code == 400, replayed.text
        revoked = httpx.post(
            f"{stack.base}/revoke",
            data={"token": rotated.json()["access_token"], "client_id": client_id},
            timeout=30,
        )
        yield Observed(
            stack=stack,
            log=root / "gateway" / "gateway.log",
            tool_answer=answer,
            secrets=[
                ATHLETE.api_key,
                code,
                tokens["access_token"],
                tokens["refresh_token"],
                rotated.json()["refresh_token"],
                METRICS_TOKEN,
                stack.env["GATEWAY_ENCRYPTION_KEYS"].partition(":")[2],
            ],
            answers=[answer, rotated, replayed, revoked],
        )


def scrape(stack: Stack, token: str | None = METRICS_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{stack.base}/metrics", headers=headers, timeout=30)


Key = tuple[str, tuple[tuple[str, str], ...]]


def samples(text: str) -> dict[Key, float]:
    """Every sample of a Prometheus text page: (name, sorted labels) -> value."""
    found: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def http_count(found: dict[Key, float], method: str, route: str, status: int) -> float:
    labels = (("method", method), ("route", route), ("status", str(status)))
    return found.get(("gateway_http_requests_total", labels), 0)


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The gateway's log, one JSON object per line (any other line fails the test). The
    command's start line is printed on standard output for people, not logged; skipped."""
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith(START)]


def test_metrics_need_the_configured_bearer_token(observed: Observed) -> None:
    assert scrape(observed.stack, None).status_code == 404
    assert scrape(observed.stack, "wrong").status_code == 404
    assert scrape(observed.stack, METRICS_TOKEN[:-1]).status_code == 404
    page = scrape(observed.stack)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/plain")


def test_metrics_count_requests_tools_upstream_budget_and_oauth_events(
    observed: Observed,
) -> None:
    found = samples(scrape(observed.stack).text)
    assert observed.tool_answer.json()["result"].get("isError") is not True
    tool = ("gateway_tool_calls_total", (("outcome", "ok"), ("tool", "get_activities")))
    assert found[tool] == 1
    failed = ("gateway_tool_calls_total", (("outcome", "error"), ("tool", "get_activity_details")))
    assert found[failed] == 1
    assert found[("gateway_upstream_requests_total", (("status", "404"),))] >= 1
    assert found[("gateway_db_pool_size", ())] >= 1
    assert http_count(found, "POST", "/token", 200) == 3
    assert http_count(found, "POST", "/token", 400) == 1
    assert http_count(found, "POST", "/mcp", 200) == 2
    assert found[("gateway_upstream_requests_total", (("status", "200"),))] >= 1
    assert found[("gateway_upstream_request_duration_seconds_count", ())] >= 1
    assert found[("gateway_rate_budget_granted_total", ())] >= 1
    assert found[("gateway_rate_budget_refused_total", ())] == 0
    assert found[("gateway_bearer_lookups_total", (("outcome", "valid"),))] == 2
    oauth = {
        labels[0][1]: value
        for (name, labels), value in found.items()
        if name == "gateway_oauth_events_total"
    }
    assert oauth == {
        "registration": 1,
        "grant": 1,
        "refresh": 2,
        "refresh_reuse": 1,
        "revocation": 1,
    }
    # the token cache is off with the memory backend: the metric is declared, no lookup claimed
    assert not [key for key in found if key[0] == "gateway_token_cache_lookups_total"]


def test_paths_with_ids_are_counted_under_their_route_template(observed: Observed) -> None:
    httpx.get(f"{observed.stack.base}/no/such/page/12345", timeout=30)
    found = samples(scrape(observed.stack).text)
    routes = {
        dict(labels)["route"]
        for name, labels in found
        if name.startswith("gateway_http_") and "route" in dict(labels)
    }
    assert "unmatched" in routes
    assert not [route for route in routes if "12345" in route]


def test_every_answer_carries_its_own_request_id(observed: Observed) -> None:
    ids = [answer.headers.get("x-request-id") for answer in observed.answers]
    ids.append(scrape(observed.stack, None).headers.get("x-request-id"))
    ids.append(httpx.get(f"{observed.stack.base}/readyz").headers.get("x-request-id"))
    assert all(ids) and len(set(ids)) == len(ids)
    assert all(len(value or "") == 12 for value in ids)


def test_json_log_lines_carry_the_request_id_into_the_upstream_call(observed: Observed) -> None:
    lines = log_lines(observed.log)
    request_id = observed.tool_answer.headers["x-request-id"]
    of_call = [line for line in lines if line["request_id"] == request_id]
    upstream = [line for line in of_call if line["message"].startswith("intervals GET ")]
    assert upstream, of_call
    access = [line for line in of_call if line["logger"] == "uvicorn.access"]
    assert access and "POST /mcp" in access[0]["message"]
    assert {"time", "level", "logger", "request_id", "message"} <= set(lines[0])


def test_no_secret_reaches_the_debug_log(observed: Observed) -> None:
    text = observed.log.read_text()
    assert '"level": "DEBUG"' in text  # the log really was at DEBUG
    for secret in observed.secrets:
        assert secret and secret not in text


def test_with_two_workers_one_scrape_counts_the_requests_of_both(tmp_path: Path) -> None:
    """`serve --workers 2`: prometheus-client's multiprocess mode sums the workers' counts."""
    extra = {
        "GATEWAY_METRICS_TOKEN": METRICS_TOKEN,
        "GATEWAY_LOG_FORMAT": "json",
        "GATEWAY_LOG_LEVEL": "INFO",
    }
    with fake_intervals(tmp_path) as api:
        env = gateway_env(free_port(), api, tmp_path / "gateway", extra)
        base = env["GATEWAY_BASE_URL"]
        (tmp_path / "gateway").mkdir()
        log = tmp_path / "gateway" / "gateway.log"
        command = [GATEWAY_COMMAND, "serve", "--workers", "2"]
        with running(command, f"{base}/readyz", env=env, log=log):
            for _ in range(40):  # a new connection each: the kernel spreads them over both
                httpx.get(f"{base}/no/such/page", timeout=30)
            pages = [
                httpx.get(
                    f"{base}/metrics",
                    headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                    timeout=30,
                )
                for _ in range(6)
            ]
    lines = log_lines(log)  # after the stop: both workers' start lines are written by then
    pids = {line["message"] for line in lines if "Started server" in line["message"]}
    assert len(pids) == 2, pids
    for page in pages:
        assert page.status_code == 200
        assert http_count(samples(page.text), "GET", "unmatched", 404) == 40


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"metrics_token": "short"}, "GATEWAY_METRICS_TOKEN: use at least 24 random characters"),
        ({"log_format": "xml"}, "GATEWAY_LOG_FORMAT: Input should be 'text' or 'json'"),
    ],
)
def test_wrong_observability_settings_are_refused_by_name(
    overrides: dict[str, str], expected: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(**overrides)
    assert str(error.value).startswith(expected)


def test_text_logs_carry_the_request_id_of_the_answer(tmp_path: Path) -> None:
    """The default format for people: `... [request id]: message` on the gateway's lines."""
    with (
        fake_intervals(tmp_path) as api,
        gateway(api, tmp_path / "gateway", extra_env={"GATEWAY_LOG_LEVEL": "INFO"}) as stack,
    ):
        answer = httpx.get(f"{stack.base}/readyz", timeout=30)
        request_id = answer.headers["x-request-id"]
        text = (tmp_path / "gateway" / "gateway.log").read_text()
    mine = [line for line in text.splitlines() if f"[{request_id}]: " in line]
    assert mine and all(" INFO " in line or " WARNING " in line for line in mine)
