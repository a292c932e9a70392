"""The connection guides say what a club admin needs before the first click: self-registration
first (Client ID Metadata Documents, then dynamic registration), operator clients as the
alternative, which plans and workspace settings each product needs, the current menu paths, and
the network access the gateway needs."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _guide(name: str) -> str:
    return (DOCS / name).read_text()


def _before(text: str, first: str, then: str) -> bool:
    return first in text and then in text and text.index(first) < text.index(then)


def test_chatgpt_guide() -> None:
    text = _guide("connect-chatgpt.md")
    assert _before(text, "Client ID Metadata Document", "dynamic client registration")
    assert _before(text, "dynamic client registration", "## Operator-registered client")
    for plan in ("Plus", "Pro", "Business", "Enterprise", "Edu"):
        assert plan in text, plan
    assert "workspace" in text and "admin" in text
    assert "Settings → Apps → Advanced settings" in text and "Developer mode" in text
    assert "https://chatgpt.com/connector/oauth/" in text
    assert "clients add-redirect-uri" in text
    assert "outbound HTTPS" in text and "chatgpt.com" in text
    assert "OpenAI" in text and "IP ranges" in text


def test_claude_guide() -> None:
    text = _guide("connect-claude.md")
    assert _before(text, "Client ID Metadata Document", "dynamic client registration")
    assert _before(text, "dynamic client registration", "## Operator-registered client")
    for plan in ("Free", "Pro", "Max", "Team", "Enterprise"):
        assert plan in text, plan
    assert "Customize → Connectors" in text and "Settings → Connectors" in text
    assert "claude mcp login intervals" in text
    assert "outbound HTTPS" in text and "claude.ai" in text
    assert "Anthropic" in text and "IP ranges" in text
