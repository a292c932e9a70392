"""The Dockerfile (club-admin trial §4, security review hardening 8), checked without a Docker
engine: its CMD and HEALTHCHECK run here as the container would run them, with a port other
than 8000, and its install is non-editable and pinned."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ROOT, free_port, running

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instruction(name: str) -> str:
    """The (continued) text of the last instruction `name`, backslash-newlines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    lines = [line for line in joined.splitlines() if line.startswith(f"{name} ")]
    assert lines, f"no {name} in the Dockerfile"
    return lines[-1][len(name) + 1 :].strip()


def image_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The image's ENV (GATEWAY_* lines), with the data directory and port moved for the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(re.findall(r"(GATEWAY_[A-Z_]+)=(\S+)", instruction("ENV")))
    env.update(GATEWAY_DATA_DIR=str(tmp_path / "data"), GATEWAY_PORT=str(port))
    env["GATEWAY_HOST"] = "127.0.0.1"
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return env


def healthcheck(env: dict[str, str]) -> int:
    command = instruction("HEALTHCHECK").split(" CMD ", 1)[1]
    return subprocess.run(
        ["sh", "-c", command], env=env, capture_output=True, timeout=30
    ).returncode


@pytest.mark.slow
def test_cmd_migrates_once_and_the_healthcheck_follows_the_port(tmp_path: Path) -> None:
    port = free_port()
    env = image_env(tmp_path, port)
    assert env["GATEWAY_AUTO_MIGRATE"] == "false"  # serve does not migrate a second time
    cmd = json.loads(instruction("CMD"))
    with running(cmd, f"http://127.0.0.1:{port}/readyz", env=env, log=tmp_path / "log"):
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready"
        assert healthcheck(env) == 0
        assert healthcheck({**env, "GATEWAY_PORT": str(free_port())}) != 0


def test_install_is_non_editable_pinned_and_the_base_image_can_be_pinned() -> None:
    installs = [line for line in DOCKERFILE.splitlines() if "pip install" in line]
    assert installs and all(" -e " not in line and "-c " in line for line in installs)
    assert "constraints.txt" in installs[0]
    assert instruction("FROM") == "${PYTHON_IMAGE}"
    assert instruction("ARG").startswith("PYTHON_IMAGE=python:3.11-slim")
