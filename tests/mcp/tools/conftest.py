"""Fixtures of the fast tool tier (tests/mcp/tools/harness.py)."""

from __future__ import annotations

import pytest

from tests.mcp.tools.harness import AUCKLAND, TODAY, ToolBench, fake_at


@pytest.fixture
def bench() -> ToolBench:
    """Auckland's athlete at noon UTC on the fake's today."""
    from datetime import UTC, datetime, time

    moment = datetime.combine(TODAY, time(12), UTC)
    return ToolBench(fake_at(moment), AUCKLAND, moment)
