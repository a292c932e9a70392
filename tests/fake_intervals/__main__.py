"""``python -m tests.fake_intervals --port 8790``: serve the fake Intervals.icu API locally and
print the demo athletes' ids and API keys."""

from __future__ import annotations

import argparse
import gc
from datetime import date

import uvicorn

from tests.fake_intervals.app import DEFAULT_OAUTH_CLIENT, FakeIntervals
from tests.fake_intervals.data import DEMO_ATHLETES, HISTORY_DAYS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_intervals", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="anchor date for the synthetic data (default: today, UTC)",
    )
    parser.add_argument(
        "--history-days",
        type=int,
        default=HISTORY_DAYS,
        help="days of generated activities and wellness before today",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--limit-per-second",
        type=int,
        default=None,
        help="answer 429 above this many requests per second, like upstream",
    )
    parser.add_argument(
        "--consent-page",
        action="store_true",
        help="show Intervals.icu's OAuth consent form (athlete, scopes to untick) instead of "
        "approving at once",
    )
    parser.add_argument(
        "--webhook-url",
        default=None,
        help="POST OAuth-app webhooks here when data changes, e.g. "
        "http://127.0.0.1:8000/webhooks/intervals (docs/webhooks.md)",
    )
    parser.add_argument(
        "--webhook-secret", default="", help="the secret sent with each webhook delivery"
    )
    args = parser.parse_args(argv)

    fake = FakeIntervals(seed=args.seed, today=args.today, history_days=args.history_days)
    fake.faults.delay(args.latency)
    fake.oauth.consent_page = args.consent_page
    if args.limit_per_second:
        fake.faults.enforce_limit(args.limit_per_second, retry_after=1)
    if args.webhook_url:
        fake.webhooks.configure(args.webhook_url, args.webhook_secret)
    base = f"http://{args.host}:{args.port}"
    print(f"Fake Intervals.icu API at {base}/api/v1  (data anchored to {fake.today})")
    print(f"Set GATEWAY_INTERVALS_API_BASE_URL={base}/api/v1")
    print(
        f"OAuth: {base}/oauth/authorize, token {base}/api/oauth/token, "
        f"client_id={DEFAULT_OAUTH_CLIENT[0]} client_secret={DEFAULT_OAUTH_CLIENT[1]}"
    )
    print()
    print(f"{'athlete id':<10}  {'name':<22}  {'timezone':<20}  api key (fake)")
    for a in DEMO_ATHLETES:
        note = f"  reads {', '.join(a.coached)}" if a.coached else ""
        print(f"{a.id:<10}  {a.name:<22}  {a.timezone:<20}  {a.api_key}{note}", flush=True)
    # the generated history out of the collector's view: a full collection walking it (~45 ms
    # for the benchmark's 730 days) would land in some request the benchmark times
    gc.collect()
    gc.freeze()
    uvicorn.run(
        fake.app,
        host=args.host,
        port=args.port,
        log_level="info",
        lifespan="off",
        interface="asgi3",
    )


if __name__ == "__main__":
    main()
