"""An athlete at a browser, scripted over plain HTTP: follows an authorization URL, signs in
with the Intervals.icu API key, approves or denies on the consent page, and uses the account
page. It never contacts the client's redirect URI: it stops at the redirect and returns it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
OFFERED_SCOPE = re.compile(r'name="approved_scope" value="(mcp\.\w+)"')
REVOKE_FORM = re.compile(
    r'<tr>\s*<td>([^<]+)<.*?<form method="post" action="(/account/grants/\d+/revoke)">', re.S
)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def form_of(page: str) -> dict[str, list[str]]:
    """The hidden fields of a page's form (the CSRF token included)."""
    fields: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(page):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


@dataclass
class Athlete:
    """One person with one browser (a cookie jar) on one gateway."""

    base: str
    athlete_id: str
    api_key: str
    http: httpx.Client = field(init=False)
    pages: list[str] = field(default_factory=list)
    offered_scopes: list[str] = field(default_factory=list)
    consent_page: str = ""

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, follow_redirects=False, timeout=30)

    def close(self) -> None:
        self.http.close()

    def authorize(
        self, url: str, decision: str = "approve", scopes: list[str] | None = None
    ) -> str:
        """Walk `url` (an /authorize URL) through sign-in and consent; returns the redirect
        the gateway sends back to the client (code or error, with state and iss)."""
        response = self.http.get(url)
        while response.status_code in (302, 303):
            location = urljoin(self.base + "/", response.headers["location"])
            if not location.startswith(self.base + "/"):
                return location
            path = urlsplit(location).path
            self.pages.append(path)
            response = self.http.get(location)
            if path == "/signin":
                response = self._sign_in(response.text)
            elif path == "/authorize" and response.status_code == 200:
                response = self._decide(response.text, decision, scopes)
        if response.status_code == 200 and "approved_scope" in response.text:
            self.pages.append("/authorize")
            response = self._decide(response.text, decision, scopes)
            if response.status_code in (302, 303):
                return urljoin(self.base + "/", response.headers["location"])
        raise AssertionError(f"authorization stopped at {response.status_code}: {response.text}")

    def _sign_in(self, page: str) -> httpx.Response:
        fields = form_of(page)
        form = {
            "csrf_token": fields["csrf_token"][0],
            "next": fields["next"][0],
            "athlete_id": self.athlete_id,
            "api_key": self.api_key,
        }
        response = self.http.post("/signin", data=form)
        assert response.status_code == 303, f"sign-in refused: {response.text}"
        return response

    def _decide(self, page: str, decision: str, scopes: list[str] | None) -> httpx.Response:
        self.offered_scopes = OFFERED_SCOPE.findall(page)
        self.consent_page = page
        form = form_of(page)
        form["decision"] = [decision]
        form["approved_scope"] = scopes if scopes is not None else self.offered_scopes
        return self.http.post("/authorize", data=form)

    def connected_apps(self) -> dict[str, str]:
        """Application name → its revoke form action, as listed on the account page."""
        page = self.http.get("/account")
        assert page.status_code == 200, page.text
        return {html.unescape(n).strip(): a for n, a in REVOKE_FORM.findall(page.text)}

    def revoke_app(self, name: str) -> None:
        """Press "Revoke" next to `name` on the account page (CSRF form), as a person would."""
        page = self.http.get("/account")
        action = self.connected_apps()[name]
        form = {"csrf_token": CSRF.findall(page.text)[0]}
        response = self.http.post(action, data=form)
        assert response.status_code == 303, response.text
        notice = self.http.get(response.headers["location"]).text
        assert "The application was disconnected" in notice
