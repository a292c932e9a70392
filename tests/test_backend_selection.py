"""Without TEST_POSTGRES_URL the PostgreSQL variants are deselected with one summary line, not
reported as one SKIPPED line each (which hid the skips that matter)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_postgres_variants_are_deselected_in_one_line_without_a_server() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TEST_POSTGRES_URL"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_health.py", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout
    assert run.returncode == 0, out[-2000:]
    assert "SKIPPED" not in out and " skipped" not in out
    assert out.count("TEST_POSTGRES_URL not set") == 1
    assert "postgresql: 3 deselected (TEST_POSTGRES_URL not set)" in out
    assert "4 passed, 3 deselected" in out.splitlines()[-1]
