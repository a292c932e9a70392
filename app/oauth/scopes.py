"""The MCP scopes this authorization server issues (RFC 6749 §3.3) and their plain-word meaning."""

from __future__ import annotations

# The names live in app/scopes.py (no dependencies, so tools can use them); re-exported here.
from app.scopes import READ as READ
from app.scopes import SUPPORTED as SUPPORTED
from app.scopes import WRITE as WRITE

DEFAULT_CLIENT_SCOPE = f"{READ} {WRITE}"

# Requested by some clients out of habit; refresh tokens are issued without it, so it is ignored.
IGNORED = frozenset({"offline_access"})

DESCRIPTIONS: dict[str, str] = {
    READ: "Read your Intervals.icu training data: activities, wellness, calendar and settings.",
    WRITE: "Change your Intervals.icu data: create, edit or delete workouts, events and wellness "
    "entries.",
}

DATA_CATEGORIES: dict[str, tuple[str, ...]] = {
    READ: (
        "Activities: your rides, runs and swims with their routes, heart rate, power, pace and "
        "other recordings, intervals, notes and comments.",
        "Wellness (health data): weight, resting heart rate, HRV, sleep, and how you felt "
        "(soreness, fatigue, stress, mood).",
        "Fitness: your fitness, fatigue and form, and training load.",
        "Calendar: planned workouts, races, notes and training plans, and your workout library.",
        "Settings: your profile (name, time zone), sport settings such as FTP, thresholds and "
        "zones, and gear.",
    ),
    WRITE: (
        "Calendar: create, move, change and delete planned workouts, races and notes.",
        "Workout library: create and change workouts and folders.",
        "Wellness: add or change daily entries such as weight, HRV and sleep.",
        "Activities: change an activity's name, type, description and similar details.",
        "Settings: change sport settings such as FTP, thresholds and zones.",
    ),
}
"""Per scope, in plain words, the Intervals.icu data it reaches (shown on the consent page:
health data named as such, for the app directories' health-data rules)."""


def parse_scope(value: str | None) -> list[str]:
    """Split a space-delimited scope string (RFC 6749 §3.3) into unique tokens, order kept."""
    seen: list[str] = []
    for item in (value or "").split():
        if item not in seen:
            seen.append(item)
    return seen


def format_scope(scopes: list[str] | set[str] | tuple[str, ...]) -> str:
    """Canonical scope string: supported scopes in their fixed order, space-separated."""
    return " ".join(s for s in SUPPORTED if s in scopes)


def unknown_scopes(scopes: list[str]) -> list[str]:
    """Scopes this server does not issue (ignored ones such as offline_access excluded)."""
    return [s for s in scopes if s not in SUPPORTED and s not in IGNORED]


def known_scopes(scopes: list[str]) -> list[str]:
    """The requested scopes this server issues, in canonical order."""
    return [s for s in SUPPORTED if s in scopes]
