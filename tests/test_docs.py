"""The docs stay true: every setting is documented with its default."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_configuration_md() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [name for name in Settings.model_fields if f"`GATEWAY_{name.upper()}`" not in text]
    assert missing == []


def test_readme_opens_with_the_run_then_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```")[1].splitlines()[1:]
    commands = [line.split("#")[0].strip() for line in block if line.strip()]
    assert commands == ["make run", "make test"]
