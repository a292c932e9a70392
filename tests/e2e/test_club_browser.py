"""Clubs in a real browser (headless Chromium via Playwright), used as people would (issue 18):
the club admin invites an athlete from /club; the athlete opens the link, signs in, shares with
a coach while hiding weight through a day, and reads, filters and downloads their access log;
the admin sees the member and assigns a coach. Screenshots go to $E2E_SCREENSHOTS (docs/img to
refresh docs/clubs.md), else a temporary folder. Its own gateway, with the allowlist policy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.db.models import AccessRecord, Athlete, OAuthClient
from tests.e2e.stack import Stack, gateway
from tests.fake_intervals.data import DEMO_ATHLETES

AROHA, LENA = (next(a for a in DEMO_ATHLETES if a.id == i) for i in ("i100001", "i100002"))
COACH = "i100004"
WIDE = {"width": 1100, "height": 900}


@pytest.fixture
def club_stack(fake_api: str, e2e_dir: Path) -> Iterator[Stack]:
    extra = {"GATEWAY_ACCESS_POLICY": "allowlist"}
    with gateway(fake_api, e2e_dir / "club-gateway", extra_env=extra) as running:
        yield running


def new_page(browser: Browser) -> Page:
    return browser.new_context(viewport=WIDE, locale="en-GB", accept_downloads=True).new_page()


def sign_in(page: Page, athlete_id: str, api_key: str) -> None:
    page.get_by_label("Athlete id").fill(athlete_id)
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Sign in").click()


def calls_on_data_of(stack: Stack, intervals_id: str) -> None:
    """Two tool calls by an assistant, as the tool-call path records them (tests/mcp/
    test_access_log.py covers the recording itself)."""
    engine = create_engine(f"sqlite:///{stack.database_file}")
    now = datetime.now(UTC)
    try:
        with Session(engine) as db, db.begin():
            pk = db.scalar(select(Athlete.id).where(Athlete.intervals_id == intervals_id))
            db.add(OAuthClient(client_id="gwd_claude", origin="dynamic", name="Claude"))
            for tool, categories, mode, minutes in (
                ("get_wellness_data", "wellness", "read", 30),
                ("set_wellness", "wellness", "write", 10),
            ):
                db.add(
                    AccessRecord(
                        athlete_id=pk,
                        actor_id=pk,
                        actor_name="you",
                        client_id="gwd_claude",
                        tool=tool,
                        categories=categories,
                        mode=mode,
                        outcome="ok",
                        at=now - timedelta(minutes=minutes),
                    )
                )
    finally:
        engine.dispose()


def test_club_admin_invites_and_the_athlete_controls_sharing_and_reads_the_log(
    browser: Browser, club_stack: Stack, shots: Path
) -> None:
    club_stack.cli("allowlist", "add", AROHA.id, "--note", "club admin")
    club_stack.cli("club", "admin", "add", AROHA.id)

    admin = new_page(browser)
    admin.goto(f"{club_stack.base}/club")
    sign_in(admin, AROHA.id, AROHA.api_key)
    admin.goto(f"{club_stack.base}/club")
    expect(admin.get_by_role("heading", name="Club members")).to_be_visible()
    admin.get_by_label("For (a name to recognise it by)").fill("Lena")
    admin.get_by_role("button", name="Create invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("shown only once")
    link = admin.get_by_label("Invitation link").input_value()
    assert "/join/gwi_" in link

    athlete = new_page(browser)
    athlete.goto(link)
    expect(athlete.get_by_role("status")).to_contain_text("You have an invitation")
    sign_in(athlete, LENA.id, LENA.api_key)
    athlete.goto(f"{club_stack.base}/account")
    expect(athlete.get_by_role("heading", name="Sharing with coaches")).to_be_visible()
    athlete.get_by_label("Coach's Intervals.icu athlete id").fill(COACH)
    new_share = athlete.locator("form", has=athlete.get_by_role("button", name="Share"))
    new_share.get_by_label("Hide weight and body fat").check()
    new_share.get_by_label("Hidden through").fill("2030-12-31")
    new_share.get_by_role("button", name="Share").click()
    expect(athlete.get_by_role("status")).to_contain_text(f"Your sharing with {COACH} is saved")
    expect(athlete.get_by_text("Hidden now: weight.")).to_be_visible()
    athlete.screenshot(path=str(shots / "account-sharing.png"), full_page=True)

    calls_on_data_of(club_stack, LENA.id)
    athlete.goto(f"{club_stack.base}/account#access")
    log = athlete.locator("#access-log")
    expect(log.get_by_role("row")).to_have_count(3)  # heading + two calls, newest first
    expect(log.get_by_role("row").nth(1)).to_contain_text("set_wellness")
    athlete.get_by_label("Read or write").select_option("write")
    athlete.get_by_role("button", name="Filter").click()
    expect(athlete.locator("#access-log").get_by_role("row")).to_have_count(2)
    athlete.locator("#access-log").scroll_into_view_if_needed()
    athlete.screenshot(path=str(shots / "account-access-log.png"), full_page=True)
    with athlete.expect_download() as download:
        athlete.get_by_role("link", name="Download as CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("time_utc,client,by,tool") and "set_wellness" in exported
    assert "get_wellness_data" not in exported  # the filter applies to the export

    admin.goto(f"{club_stack.base}/club")
    member = admin.get_by_role("row").filter(has_text=LENA.id)
    expect(member).to_contain_text("2 calls")
    expect(member).to_contain_text(COACH)
    admin.screenshot(path=str(shots / "club.png"), full_page=True)
    member.get_by_role("button", name=f"Unassign {COACH} from {LENA.id}").click()
    expect(admin.get_by_role("status")).to_contain_text(f"{COACH} no longer coaches")
