"""The club-day benchmark (bench/club_day.py) runs, and measures what it claims, on a tiny club
(the 100-athlete day is `make bench-club-day`)."""

from __future__ import annotations

from pathlib import Path

from bench import club_day
from bench.club_day import END, MODES, START, markdown, run_day, write_section

TINY = 2


async def test_with_webhooks_repeats_are_cached_and_an_upload_shows_in_the_next_answer() -> None:
    no_cache, webhooks = MODES[0], next(mode for mode in MODES if mode.webhooks)
    uncached, hooked = await run_day(no_cache, TINY), await run_day(webhooks, TINY)
    assert uncached.errors == hooked.errors == 0 and uncached.calls == hooked.calls > 0
    repeat = "07:40 Claude: the same 3"
    assert uncached.phases[repeat] > 0 and hooked.phases[repeat] == 0
    assert hooked.staleness_s == [0.0] * min(club_day.STALENESS_SAMPLE, TINY - 1)


def test_the_section_replaces_itself_between_its_markers(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nkept\n")
    result = club_day.DayResult(MODES[0], phases={"phase": 3}, calls=2, staleness_s=[0.0])
    write_section(markdown([result], TINY), doc)
    write_section(markdown([result], TINY), doc)
    text = doc.read_text()
    assert text.count(START) == 1 and text.count(END) == 1 and "kept" in text
    assert "| **whole day** | **3** |" in text
