"""With the Redis backend the metadata-document cache is shared: a document one instance
fetched (and its host allowed to be cached) is not fetched again by another (issue 19).
Needs TEST_REDIS_URL (scripts/with-redis.sh); skips without it, fails under E2E_REQUIRED=1."""

from __future__ import annotations

import uuid

from tests.oauth.conftest import GatewayFactory
from tests.oauth.documents import DocumentHost
from tests.oauth.test_client_document_limits import authorize_page
from tests.oauth.tls import TlsFiles
from tests.test_redis_shared_state import redis_url

__all__ = ["redis_url"]  # the fixture


def test_a_document_fetched_by_one_instance_is_reused_by_the_other(
    make_gateway: GatewayFactory, tls: TlsFiles, host: DocumentHost, redis_url: str
) -> None:
    shared = {
        "cimd_extra_ca_file": tls.ca,
        "cimd_allow_loopback": True,
        "shared_state_backend": "redis",
        "redis_url": redis_url,
        "redis_key_prefix": f"gw-test-{uuid.uuid4().hex[:12]}:",
    }
    first, second = make_gateway(**shared), make_gateway(**shared)
    kept = host.document("/kept.json")
    host.routes["/kept.json"][2]["cache-control"] = "max-age=3600"
    fresh = host.document("/fresh.json")
    host.routes["/fresh.json"][2]["cache-control"] = "no-store"
    for gateway in (first, second):
        assert authorize_page(gateway, kept).status_code == 200
        assert authorize_page(gateway, fresh).status_code == 200
    assert host.hits.count("/kept.json") == 1
    assert host.hits.count("/fresh.json") == 2  # no-store is never shared
