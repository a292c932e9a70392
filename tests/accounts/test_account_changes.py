"""The journal on the account page and its Undo button (issue 15): a change an application
applied is listed with its fields, Undo restores the value on Intervals.icu and journals the
undo; a value edited on Intervals.icu since is left alone, with the reason shown."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.engine import transaction
from app.db.models import Athlete, JournalRecord, OAuthClient
from app.services import services_of
from app.settings import Settings
from tests.accounts.harness import AROHA, Gateway, gateway_settings, running_gateway

DAY = "2026-11-28"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return gateway_settings(tmp_path, database_url)


async def applied_by_an_app(gw: Gateway, weight_before: float, weight_after: float) -> None:
    """What an assistant's confirmed set_wellness leaves: the value upstream and a journal row."""
    gw.fake.athletes[AROHA[0]].wellness[DAY] = {"id": DAY, "weight": weight_after}
    async with transaction(services_of(gw.app).sessions) as db:
        pk = await db.scalar(select(Athlete.id).where(Athlete.intervals_id == AROHA[0]))
        assert pk is not None
        db.add(OAuthClient(client_id="gwd_claude1", origin="dynamic", name="Claude"))
        db.add(
            JournalRecord(
                batch_id="b_morning",
                athlete_id=pk,
                client_id="gwd_claude1",
                kind="wellness",
                target_key=DAY,
                label=f"wellness {DAY}",
                before={"weight_kg": weight_before},
                after={"weight_kg": weight_after},
                applied_at=datetime(2026, 11, 29, 7, tzinfo=UTC),
            )
        )


async def test_the_account_page_lists_changes_and_undo_restores_the_value(
    settings: Settings,
) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        await applied_by_an_app(gw, 71.5, 69.0)
        page = (await gw.browser.get("/account")).text
        assert "Changes made through the gateway" in page
        assert "Claude · update wellness 2026-11-28" in page and "weight_kg: 71.5 → 69" in page
        undone = await gw.post_form("/account/changes/b_morning/undo")
        assert undone.status_code == 200 and "Undone: 1 change(s)." in undone.text
        assert gw.fake.athletes[AROHA[0]].wellness[DAY]["weight"] == 71.5
        assert "account page · update wellness 2026-11-28 (undo of change" in undone.text
        again = await gw.post_form("/account/changes/b_morning/undo")
        assert "Nothing in that batch is left to undo." in again.text


async def test_undo_leaves_a_value_edited_on_intervals_since(settings: Settings) -> None:
    async with running_gateway(settings) as gw:
        await gw.sign_in("", AROHA[1])
        await applied_by_an_app(gw, 71.5, 69.0)
        gw.fake.athletes[AROHA[0]].wellness[DAY]["weight"] = 68.2  # the scale synced later
        refused = await gw.post_form("/account/changes/b_morning/undo")
        assert "Nothing was undone" in refused.text
        assert "changed on Intervals.icu since" in refused.text
        assert gw.fake.athletes[AROHA[0]].wellness[DAY]["weight"] == 68.2
