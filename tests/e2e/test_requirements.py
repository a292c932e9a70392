"""A missing browser or Node skips its flows locally, but fails them in CI (E2E_REQUIRED=1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.requirements import require


def test_missing_tool_skips_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("E2E_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"install-e2e-deps\.sh"):
        require(tmp_path / "no-chromium", "Debian chromium")


def test_missing_tool_fails_when_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="Debian chromium not found"):
        require(tmp_path / "no-chromium", "Debian chromium")
    require(tmp_path, "an existing path")  # present: nothing happens
