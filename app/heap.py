"""Keeping a long-lived process's settled objects out of the garbage collector's view
(:func:`gc.freeze`, Python's "gc.freeze" in the gc module documentation): the gateway's objects
built at start, and the benchmark's load generator's heap while it times calls."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def heap_frozen(enabled: bool = True) -> Iterator[None]:
    """While the block runs, keep every object alive now out of the garbage collector's view
    with :func:`gc.freeze`; unfrozen at the end, so what was built stays collectable after.

    A full collection otherwise walks all of them: in ``serve`` (everything built at start:
    modules, routes, tool specs, schemas, ~200,000 objects) a pause of 40-130 ms in the middle
    of some tool call whenever enough long-lived objects accumulate (a p99 spike), and every
    younger collection is a little cheaper too; in the benchmark's load generator (its seeded
    data, httpx, the modules) a 100-200 ms pause counted as the gateway's latency. Left as it
    is when ``enabled`` is false or the heap is frozen already.
    """
    if not enabled or gc.get_freeze_count():  # off, or frozen already by whoever runs us
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
