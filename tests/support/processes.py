"""Real processes for end-to-end tests and benchmarks: start, wait until they answer, stop,
and read their memory."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.live import free_port

__all__ = [
    "cpu_seconds",
    "die_with_parent",
    "free_port",
    "python_module",
    "rss_bytes",
    "running",
    "wait_http",
]

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it when the test process dies, so a
    killed test run leaves no servers behind (prctl PR_SET_PDEATHSIG; no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def wait_http(
    url: str, process: subprocess.Popen[bytes], timeout: float = 60, ready_status: int = 200
) -> None:
    """Poll `url` until it answers `ready_status`; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == ready_status:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not become ready in {timeout}s")


@contextmanager
def running(
    args: Sequence[str],
    ready_url: str,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    ready_status: int = 200,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a command in its own process group until the block ends."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        list(args),
        preexec_fn=die_with_parent,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            wait_http(ready_url, process, ready_status=ready_status)
        except (RuntimeError, TimeoutError) as error:
            tail = log.read_text(errors="replace")[-2000:] if log else ""
            raise RuntimeError(f"{error}\n--- log tail ---\n{tail}") from None
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except ProcessLookupError:  # the process group is already gone
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        if log:
            out.close()  # type: ignore[union-attr]


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process and all its descendants (Linux /proc)."""
    total = 0
    for each in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process and all its descendants (Linux /proc)."""
    ticks = 0
    for each in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    children: list[int] = []
    try:
        direct = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return children
    for child in map(int, direct):
        children.append(child)
        children.extend(descendants(child))
    return children
