"""Write benchmark results: a JSON file (machine-readable) and the table in docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_JSON = ROOT / "docs" / "benchmarks.json"
RESULTS_MD = ROOT / "docs" / "benchmarks.md"
PROFILE_MARKER = "<!-- profile notes: kept across runs -->"


@dataclass(frozen=True)
class Goal:
    name: str
    target: str
    value: float
    met: bool

    def line(self) -> str:
        verdict = "met" if self.met else "NOT MET"
        return f"{verdict}: {self.name} = {self.value:.3g} (goal {self.target})"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def header() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "machine": machine(),
    }


KEPT_KEYS = ("questions", "soak")
"""Keys of docs/benchmarks.json that other runners write (bench/questions.py, the soak of
``bench.run --soak``): kept."""


def read_json() -> dict[str, Any]:
    """The results written last (empty when there are none)."""
    if not RESULTS_JSON.exists():
        return {}
    previous: dict[str, Any] = json.loads(RESULTS_JSON.read_text())
    return previous


def write_json(results: dict[str, Any]) -> dict[str, Any]:
    """Write ``results`` with the kept keys of the previous file; return what was written."""
    previous = read_json()
    results = {**{k: previous[k] for k in KEPT_KEYS if k in previous}, **results}
    RESULTS_JSON.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def keep_profile_notes() -> str:
    """The hand-written profiling section of docs/benchmarks.md survives regeneration."""
    if RESULTS_MD.exists():
        text = RESULTS_MD.read_text()
        if PROFILE_MARKER in text:
            return text[text.index(PROFILE_MARKER) :]
    return PROFILE_MARKER + "\n\n## Where the time goes\n\n(not profiled yet)\n"


def write_markdown(body: str) -> None:
    RESULTS_MD.write_text(body.rstrip() + "\n\n" + keep_profile_notes().rstrip() + "\n")
