"""``intervals-gateway serve`` under cProfile (``bench.hotpath --profile``): the stats file
named by BENCH_PROFILE_OUT is written when the server stops. uvicorn re-raises the SIGTERM it
caught once it has shut down, which would end the process before the stats are written: here
that re-raise is skipped (the process exits normally right after)."""

from __future__ import annotations

import cProfile
import os
import signal
import sys

from app.cli import main

if __name__ == "__main__":
    signal.raise_signal = lambda _signal: None
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        code = main(sys.argv[1:])
    finally:
        profiler.disable()
        profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
    sys.exit(code)
