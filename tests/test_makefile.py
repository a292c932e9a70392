"""`make run` installs the runtime only; the test tooling comes with `make test` (club-admin
trial §1: `make run` pulled 411 MB of dev tooling). Checked with make's dry run."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.processes import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")


def planned(target: str) -> list[str]:
    """The commands `make TARGET` would run from a fresh clone (-B: as if nothing were built)."""
    # Outside any calling make (`make test` runs this suite): its MAKEFLAGS would add
    # "Entering/Leaving directory" lines and flags of its own.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return done.stdout.splitlines()


def test_make_run_installs_the_runtime_without_dev_extras() -> None:
    installs = [line for line in planned("run") if "pip install" in line and "-c " in line]
    assert installs and all("[dev]" not in line for line in installs)
    assert all("constraints.txt" in line for line in installs)
    assert planned("run")[-1].endswith("intervals-gateway serve")


def test_make_test_installs_the_dev_extras() -> None:
    assert any("pip install" in line and '".[dev]"' in line for line in planned("test"))


def test_make_lint_checks_the_import_contract() -> None:
    assert any(line.endswith("lint-imports") for line in planned("lint"))
