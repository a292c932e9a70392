"""Flow 3: a client identified by a Client ID Metadata Document served over https on loopback
(the gateway trusts the throwaway test CA in test mode only), driven by the SDK client."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.athlete import Athlete, query_of
from tests.e2e.sdk_client import SdkClient
from tests.e2e.stack import Stack
from tests.e2e.truth import activity_ids, window
from tests.fake_intervals.data import DEMO_ATHLETES
from tests.oauth.documents import DocumentHost

SAM = DEMO_ATHLETES[2]
CALLBACK = "http://127.0.0.1:33419/callback"


async def test_client_id_metadata_document_client(
    stack: Stack, documents: DocumentHost, make_athlete: Callable[[str], Athlete]
) -> None:
    client_id = documents.document(
        "/clients/e2e-cimd.json",
        client_name="CIMD Desktop App",
        redirect_uris=[CALLBACK],
        token_endpoint_auth_method="none",
    )
    assert client_id.startswith("https://127.0.0.1:")
    sam = make_athlete(SAM.id)
    client = SdkClient(stack.mcp_url, sam, callback=CALLBACK, metadata_url=client_id)
    oldest, newest = window(SAM)
    async with client.connect() as session:
        result = await session.call_tool(
            "get_activities", {"start_date": oldest, "end_date": newest, "limit": 100}
        )
    assert result.is_error is False and result.structured_content is not None
    ids = [row["id"] for row in result.structured_content["activities"]]
    assert ids == activity_ids(stack.fake_api, SAM, oldest, newest)
    assert client.storage.client is not None and client.storage.client.client_id == client_id
    assert query_of(client.authorizations[0])["client_id"] == client_id
    assert "/clients/e2e-cimd.json" in documents.hits, "the gateway fetched the document"
    # the consent page and the account page name the client as its document does
    assert "Allow <strong>CIMD Desktop App</strong>" in sam.consent_page
    assert "CIMD Desktop App" in sam.connected_apps()
