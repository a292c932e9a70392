"""``intervals-gateway serve`` with cProfile switched by signals (``bench.hotpath --profile``):
SIGUSR1 starts profiling the event loop's thread, SIGUSR2 stops it and writes the stats to the
file named by BENCH_PROFILE_OUT, so only the measured calls are profiled (not start-up or the
warm-up). The number of Python function calls per tool call is a cost figure that does not
move with the load of other processes on a shared machine."""

from __future__ import annotations

import cProfile
import os
import signal
import sys
from types import FrameType

from app.cli import main

PROFILER = cProfile.Profile()


def start(_signal: int, _frame: FrameType | None) -> None:
    PROFILER.enable()


def stop(_signal: int, _frame: FrameType | None) -> None:
    PROFILER.disable()
    PROFILER.dump_stats(os.environ["BENCH_PROFILE_OUT"])


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.exit(main(sys.argv[1:]))
