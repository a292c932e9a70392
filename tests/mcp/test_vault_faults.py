"""A stored credential the vault cannot open (M3): a server fault, never the athlete's.

The key ring of this instance lacks the key the credential was sealed with (a replica with a
stale key ring, or a typo in GATEWAY_ENCRYPTION_KEYS). The call must fail temporarily, without
marking the credential rejected or revoking any grant, so a fixed key ring heals everything.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.db.models import Credential, Token
from tests.mcp.support import AUCKLAND, BERLIN, running_gateway
from tests.mcp.test_auth import fetch, post, run_sql


def tool_result(response_text: str) -> dict[str, object]:
    """The JSON-RPC result of a tools/call answered as JSON or as one SSE event."""
    for line in response_text.splitlines():
        if line.startswith("data:"):
            return dict(json.loads(line[5:])["result"])
    return dict(json.loads(response_text)["result"])


async def test_undecryptable_credential_is_a_temporary_server_error(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with running_gateway(tmp_path, database_url) as gw:
        caller = await gw.seed(AUCKLAND)
        other = await gw.seed(BERLIN, client_id="other")
        await run_sql(
            gw.settings,
            update(Credential)
            .where(Credential.athlete_id == caller.athlete_pk)
            .values(key_id="k-missing"),
        )
        with caplog.at_level(logging.INFO, logger="app.mcp.caller"):
            response = await post(gw.mcp_url, caller.token)
        assert response.status_code == 200  # not 401: the client must not start OAuth again
        result = tool_result(response.text)
        assert result["isError"] is True
        text = json.dumps(result["content"])
        assert "cannot open" in text and "try again" in text
        assert "rejected" not in text and "sign in" not in text.lower()
        # still a live token: a fixed key ring heals the athlete without any sign-in
        again = await post(gw.mcp_url, caller.token)
        assert again.status_code == 200
        assert (await post(gw.mcp_url, other.token)).status_code == 200
        credential = await fetch(
            gw.settings,
            select(Credential.rejected_at).where(Credential.athlete_id == caller.athlete_pk),
        )
        tokens = await fetch(
            gw.settings, select(Token.revoked_at).where(Token.grant_id == caller.grant_id)
        )
    assert credential[0][0] is None
    assert all(row[0] is None for row in tokens)
    errors = [
        r for r in caplog.records if r.name == "app.mcp.caller" and r.levelno >= logging.ERROR
    ]
    assert len(errors) == 2  # one ERROR line per failed call, naming the key id
    assert "k-missing" in errors[0].getMessage()
    assert not [r for r in caplog.records if "must sign in again" in r.getMessage()]
