"""docs/prometheus-alerts.yml stays usable: valid YAML in Prometheus's rule-file shape, and every
gateway metric an expression names is one the gateway really exposes (a renamed metric would
otherwise leave an alert that can never fire)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.core import Metric
from sqlalchemy import create_engine

from app.intervals.ratelimit import AthleteUsage
from app.web.metrics import PrometheusObserver, budget_metrics, pool_metrics

RULES = Path(__file__).resolve().parents[1] / "docs" / "prometheus-alerts.yml"
SEVERITIES = {"critical", "warning", "info"}
GATEWAY_METRIC = re.compile(r"\bgateway_[a-z_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exposed_names(families: list[Metric]) -> set[str]:
    return {family.name + suffix for family in families for suffix in SUFFIXES[family.type]}


def gateway_metric_names(tmp_path: Path) -> set[str]:
    """Every series name the gateway's /metrics can show: the observer's metrics and the ones
    read at scrape time (budget totals; pool gauges of a real connection pool)."""
    families = list(PrometheusObserver().registry.collect())
    families += list(budget_metrics({"athlete": AthleteUsage()}))
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=2)
    try:
        families += list(pool_metrics(engine.pool))
    finally:
        engine.dispose()
    return exposed_names(families)


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_the_rule_file_has_prometheus_shape() -> None:
    document = yaml.safe_load(RULES.read_text())
    assert set(document) == {"groups"}
    for group in document["groups"]:
        assert group["name"] and group["rules"]
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert isinstance(rule["expr"], str) and rule["expr"].strip()
        assert rule["labels"]["severity"] in SEVERITIES
        assert rule["annotations"]["summary"]
        if "for" in rule:
            assert re.fullmatch(r"\d+[smh]", rule["for"])


def test_every_metric_in_an_alert_is_exposed_by_the_gateway(tmp_path: Path) -> None:
    exposed = gateway_metric_names(tmp_path)
    named = {name for rule in rules() for name in GATEWAY_METRIC.findall(rule["expr"])}
    assert named, "the rules name no gateway metric"
    assert named - exposed == set()


def test_the_alerts_cover_what_operators_must_hear_about() -> None:
    expressions = " ".join(rule["expr"] for rule in rules())
    for needed in (
        "up{",
        'status=~"5.."',
        'status="503"',
        "gateway_db_pool_",
        "gateway_upstream_requests_total",
        'status="429"',
        "gateway_rate_budget_refused_total",
        'outcome="unexpected"',
        "refresh_reuse",
    ):
        assert needed in expressions, needed
