"""Settings: defaults, normalisation and one-line errors that name the setting."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from app.keyring import resolve_key_ring
from app.settings import SettingsError, load_settings, parse_key_ring
from tests.conftest import make_settings

KEY_A = base64.urlsafe_b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_embedded_defaults_listen_on_loopback_with_sqlite_under_var() -> None:
    settings = load_settings()
    assert settings.base_url == "http://127.0.0.1:8000"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.sqlalchemy_url.get_backend_name() == "sqlite"
    assert settings.sqlalchemy_url.database == "var/gateway.db"
    assert settings.intervals_api_base_url == "https://intervals.icu/api/v1"


def test_base_url_trailing_slash_is_removed_and_is_the_issuer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://gw.example.com/")
    monkeypatch.setenv("GATEWAY_ENCRYPTION_KEYS", f"k1:{KEY_A}")
    settings = load_settings()
    assert settings.issuer == "https://gw.example.com"
    assert settings.mcp_resource == "https://gw.example.com/mcp"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GATEWAY_DATABASE_URL", "not a url", "GATEWAY_DATABASE_URL: is not a database URL"),
        ("GATEWAY_DATABASE_URL", "mysql://u@h/db", "GATEWAY_DATABASE_URL: unsupported database"),
        (
            "GATEWAY_BASE_URL",
            "gateway.example.com",
            "GATEWAY_BASE_URL: 'gateway.example.com' is not",
        ),
        (
            "GATEWAY_ENCRYPTION_KEYS",
            f"k1:{KEY_A[:20]}",
            "GATEWAY_ENCRYPTION_KEYS: key 'k1' is 15 bytes",
        ),
        ("GATEWAY_ENCRYPTION_KEYS", "k1", "GATEWAY_ENCRYPTION_KEYS: entry 1 must look like"),
        ("GATEWAY_PORT", "99999", "GATEWAY_PORT: Input should be less than or equal to 65535"),
        ("GATEWAY_LOG_LEVEL", "LOUD", "GATEWAY_LOG_LEVEL: Input should be"),
        ("GATEWAY_KEEP_ALIVE_SECONDS", "0", "GATEWAY_KEEP_ALIVE_SECONDS: Input should be greater"),
    ],
)
def test_wrong_setting_gives_a_message_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_public_base_url_without_keys_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://gw.example.com")
    with pytest.raises(SettingsError, match="GATEWAY_ENCRYPTION_KEYS is required"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [("GATEWAY_CIMD_ALLOW_LOOPBACK", "true"), ("GATEWAY_CIMD_EXTRA_CA_FILE", "/tmp/test-ca.pem")],
)
def test_test_only_settings_are_refused_with_a_public_base_url(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("GATEWAY_BASE_URL", "https://gw.example.com")
    monkeypatch.setenv("GATEWAY_ENCRYPTION_KEYS", f"k1:{KEY_A}")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(f"{name} is for tests only")
    assert "\n" not in str(error.value)
    monkeypatch.setenv("GATEWAY_BASE_URL", "http://127.0.0.1:8000")
    assert load_settings().is_local  # accepted for local test runs


def test_per_athlete_upstream_share_must_fit_a_quarter_of_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_UPSTREAM_MAX_CONNECTIONS", "20")
    monkeypatch.setenv("GATEWAY_UPSTREAM_PER_ATHLETE_CONCURRENCY", "6")
    with pytest.raises(SettingsError, match="at most a quarter of GATEWAY_UPSTREAM_MAX_CONN"):
        load_settings()
    monkeypatch.setenv("GATEWAY_UPSTREAM_PER_ATHLETE_CONCURRENCY", "5")
    assert load_settings().upstream_per_athlete_concurrency == 5


def test_key_ring_keeps_order_and_accepts_both_base64_alphabets() -> None:
    ring = parse_key_ring(f"new:{KEY_A}, old:{KEY_B}")
    assert [k.key_id for k in ring] == ["new", "old"]
    assert ring[1].secret == b"b" * 32
    assert "secret" not in repr(ring[0]) and KEY_A not in repr(ring[0])


def test_duplicate_key_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        parse_key_ring(f"k:{KEY_A},k:{KEY_B}")


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GATEWAY_PORT=9123\nGATEWAY_LOG_LEVEL=DEBUG\n")
    settings = load_settings()
    assert settings.port == 9123
    assert settings.log_level == "DEBUG"


def test_development_key_is_generated_once_with_mode_0600(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    first = resolve_key_ring(settings)
    assert "Production MUST set GATEWAY_ENCRYPTION_KEYS" in caplog.text
    mode = stat.S_IMODE(settings.dev_key_path.stat().st_mode)
    assert mode == 0o600
    second = resolve_key_ring(settings)
    assert first[0].secret == second[0].secret and len(first[0].secret) == 32


def test_configured_keys_are_used_and_no_dev_key_is_written(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, encryption_keys=f"prod:{KEY_A}")
    ring = resolve_key_ring(settings)
    assert ring[0].key_id == "prod"
    assert not settings.dev_key_path.exists()


def test_guardrails_warn_by_default_and_the_operator_can_make_them_refuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limits = load_settings().guardrail_limits
    assert limits.refuse == frozenset() and limits.threshold_change_pct == 10
    monkeypatch.setenv("GATEWAY_GUARDRAILS_REFUSE", "threshold_change, PAIRED_EVENT")
    monkeypatch.setenv("GATEWAY_GUARDRAIL_THRESHOLD_CHANGE_PCT", "5")
    strict = load_settings().guardrail_limits
    assert strict.refuse == {"threshold_change", "paired_event"}
    assert strict.threshold_change_pct == 5
    monkeypatch.setenv("GATEWAY_GUARDRAILS_REFUSE", "ramp")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith("GATEWAY_GUARDRAILS_REFUSE: ")
    assert "unknown guardrail 'ramp'" in str(error.value)


def test_signin_methods_default_to_both_and_oauth_only_needs_the_intervals_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = load_settings()
    assert settings.signin_methods == "both"
    assert settings.api_key_signin and not settings.oauth_signin  # no Intervals.icu app set
    monkeypatch.setenv("GATEWAY_SIGNIN_METHODS", "oauth")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(
        "GATEWAY_SIGNIN_METHODS=oauth needs the Intervals.icu OAuth app: set "
        "GATEWAY_INTERVALS_OAUTH_CLIENT_ID and GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET"
    )
    monkeypatch.setenv("GATEWAY_INTERVALS_OAUTH_CLIENT_ID", "app-id")
    with pytest.raises(SettingsError, match="GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET"):
        load_settings()  # the id alone is not enough
    monkeypatch.setenv("GATEWAY_INTERVALS_OAUTH_CLIENT_SECRET", "app-secret")
    oauth_only = load_settings()
    assert oauth_only.oauth_signin and not oauth_only.api_key_signin
    monkeypatch.setenv("GATEWAY_SIGNIN_METHODS", "api_key")
    key_only = load_settings()
    assert key_only.api_key_signin and not key_only.oauth_signin  # the app is set but unused
    monkeypatch.setenv("GATEWAY_SIGNIN_METHODS", "passwords")
    with pytest.raises(SettingsError, match="GATEWAY_SIGNIN_METHODS: Input should be 'both'"):
        load_settings()


@pytest.mark.parametrize("name", ["GATEWAY_PRIVACY_POLICY_URL", "GATEWAY_TERMS_URL"])
@pytest.mark.parametrize(
    "value",
    ["http://club.example/privacy", "club.example/privacy", "https://", "javascript:alert(1)"],
)
def test_privacy_and_terms_urls_must_be_https(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(f"{name}: ")
    assert "is not an https:// URL" in str(error.value)
    monkeypatch.setenv(name, " https://club.example/legal/privacy.html ")
    field = name.removeprefix("GATEWAY_").lower()
    assert getattr(load_settings(), field) == "https://club.example/legal/privacy.html"
