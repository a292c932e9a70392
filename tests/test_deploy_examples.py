"""The deployment examples under deploy/ (docker-compose, Kubernetes) parse, name only real
settings, keep secrets out of plain configuration and match the tested topology (two gateway
instances on one PostgreSQL and one Redis behind a proxy; tests/scale). No Docker engine or
cluster here: the files are checked as data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from app.settings import ENV_PREFIX, Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SETTING_NAMES = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
SECRET_SETTINGS = {"GATEWAY_ENCRYPTION_KEYS", "GATEWAY_DATABASE_URL", "GATEWAY_REDIS_URL"}


def gateway_variables(text: str) -> set[str]:
    return set(re.findall(r"\bGATEWAY_[A-Z0-9_]+\b", text))


def test_compose_runs_two_gateways_on_one_postgres_and_one_redis_behind_tls() -> None:
    text = (DEPLOY / "docker-compose.yml").read_text()
    compose: dict[str, Any] = yaml.safe_load(text)
    services = compose["services"]
    assert {"gateway-1", "gateway-2", "postgres", "redis", "proxy", "migrate"} <= set(services)
    for name in ("gateway-1", "gateway-2"):
        gateway = services[name]
        assert gateway["command"] == ["intervals-gateway", "serve"]
        assert gateway["environment"]["GATEWAY_SHARED_STATE_BACKEND"] == "redis"
        assert gateway["environment"]["GATEWAY_REDIS_URL"].startswith("redis://redis:")
        assert "@postgres:5432/" in gateway["environment"]["GATEWAY_DATABASE_URL"]
    assert services["migrate"]["command"] == ["intervals-gateway", "db", "upgrade"]
    assert "443:443" in services["proxy"]["ports"]
    assert gateway_variables(text) <= SETTING_NAMES


def test_the_proxy_config_balances_both_instances_over_tls() -> None:
    conf = (DEPLOY / "nginx" / "gateway.conf").read_text()
    assert "server gateway-1:8000" in conf and "server gateway-2:8000" in conf
    assert "listen 443 ssl" in conf
    assert "proxy_next_upstream error timeout" in conf


def test_kubernetes_example_has_probes_secrets_and_an_ingress() -> None:
    text = (DEPLOY / "kubernetes" / "gateway.yaml").read_text()
    documents = [d for d in yaml.safe_load_all(text) if d]
    by_kind = {d["kind"]: d for d in documents}
    assert {"ConfigMap", "Job", "Deployment", "Service", "Ingress"} <= set(by_kind)
    deployment = by_kind["Deployment"]["spec"]
    assert deployment["replicas"] >= 2
    container = deployment["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"secretRef": {"name": "intervals-gateway"}} in container["envFrom"]
    config = by_kind["ConfigMap"]["data"]
    assert config["GATEWAY_SHARED_STATE_BACKEND"] == "redis"
    assert not SECRET_SETTINGS & set(config)  # the key ring and URLs only in the Secret
    assert by_kind["Ingress"]["spec"]["tls"]
    assert gateway_variables(text) <= SETTING_NAMES
