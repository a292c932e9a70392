"""SQLAlchemy 2 typed ORM models. Alembic migrations (migrations/) are the only schema source;
tests/test_migrations.py proves these models and the migration head agree.

Secrets are never stored in the clear: tokens, codes, session ids and client secrets are stored
as SHA-256 hashes; Intervals.icu credentials as AES-256-GCM ciphertexts (app/vault).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.clock import utc_now

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

HASH_LEN = 64  # hex SHA-256


utcnow = utc_now
"""The real UTC now (app/clock.py), under the name the models and their callers use."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class Athlete(Base):
    """An Intervals.icu athlete who signed in to the gateway."""

    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intervals_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_signin_at: Mapped[datetime | None] = mapped_column(default=None)
    coaches: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Intervals.icu says this athlete coaches (``icu_coach``, read at sign-in): only then is
    their key's ``GET /athletes`` a roster (app/mcp/coach.py)."""

    credential: Mapped[Credential | None] = relationship(
        back_populates="athlete", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None


class Credential(Base):
    """The athlete's Intervals.icu credential (API key or upstream OAuth token), encrypted.

    ``ciphertext`` = nonce || AES-256-GCM(ciphertext+tag) with associated data bound to the
    athlete and the kind; ``key_id`` names the key-ring key that encrypted it.
    """

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "api_key" | "oauth_token"
    key_id: Mapped[str] = mapped_column(String(32), index=True)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    upstream_scope: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_verified_at: Mapped[datetime | None] = mapped_column(default=None)
    rejected_at: Mapped[datetime | None] = mapped_column(default=None)
    rejected_reason: Mapped[str | None] = mapped_column(String(255), default=None)

    athlete: Mapped[Athlete] = relationship(back_populates="credential")


class AllowedAthlete(Base):
    """Allowlist entry for club/team deployments (access policy ``allowlist``)."""

    __tablename__ = "allowed_athletes"

    intervals_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class BrowserSession(Base):
    """Server-side browser session for the sign-in, consent and account pages (hashed id)."""

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class OAuthClient(Base):
    """An OAuth client: operator-registered, dynamically registered (RFC 7591) or CIMD."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(512), unique=True)
    origin: Mapped[str] = mapped_column(String(16))  # "operator" | "dynamic" | "cimd"
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32), default="none")
    redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    grant_types: Mapped[list[str]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(String(255), default="mcp.read")
    client_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class Grant(Base):
    """What an athlete authorised a client to do; one per athlete x client (x redirect URI)."""

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("athlete_id", "client_pk", "redirect_key", name="uq_grants_owner"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    client_pk: Mapped[int] = mapped_column(
        ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    redirect_key: Mapped[str] = mapped_column(String(512), default="")
    scope: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AuthorizationCode(Base):
    """A single-use authorization code (RFC 6749 §4.1.2), stored hashed, bound to its context."""

    __tablename__ = "authorization_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    # Whether the authorization request carried redirect_uri (else the only registered one was
    # used): the token request must then repeat it (OAuth 2.1 §4.1.3).
    redirect_uri_given: Mapped[bool] = mapped_column(default=True)
    code_challenge: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Token(Base):
    """An access or refresh token (opaque, stored hashed) issued under a grant."""

    __tablename__ = "tokens"
    __table_args__ = (Index("ix_tokens_grant_kind", "grant_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "access" | "refresh"
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"))
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_codes.id", ondelete="SET NULL"), default=None, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("tokens.id", ondelete="SET NULL"), default=None
    )
    scope: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class WritePreview(Base):
    """A previewed write awaiting confirmation (app/writes): the handle is stored hashed, bound
    to the athlete, the grant and the digests of exactly this change and the state it replaces."""

    __tablename__ = "write_previews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    athlete_id: Mapped[int] = mapped_column(
        ForeignKey("athletes.id", ondelete="CASCADE"), index=True
    )
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("grants.id", ondelete="CASCADE"), index=True, default=None
    )
    """None: a preview made on the athlete's own account page (no app involved)."""
    request_digest: Mapped[str] = mapped_column(String(HASH_LEN))
    state_digest: Mapped[str] = mapped_column(String(HASH_LEN))
    summary: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    batch_id: Mapped[str | None] = mapped_column(String(32), default=None)


class JournalRecord(Base):
    """One applied change (app/writes): who (client, grant), what (before and after), when; kept
    when the grant goes, so the athlete can still see and undo it."""

    __tablename__ = "write_journal"
    __table_args__ = (Index("ix_write_journal_athlete_applied", "athlete_id", "applied_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(32), index=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    grant_id: Mapped[int | None] = mapped_column(
        ForeignKey("grants.id", ondelete="SET NULL"), default=None
    )
    client_id: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(32))
    target_key: Mapped[str | None] = mapped_column(String(64), default=None)
    label: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    reverts_id: Mapped[int | None] = mapped_column(
        ForeignKey("write_journal.id", ondelete="SET NULL"), default=None
    )
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(default=None)
    undone_by: Mapped[str | None] = mapped_column(String(32), default=None)
    coach_intervals_id: Mapped[str | None] = mapped_column(String(32), default=None)
    """Set when a coach made the change for this athlete (app/coach): who, by Intervals.icu id."""
    coach_name: Mapped[str | None] = mapped_column(String(200), default=None)


class CoachShare(Base):
    """An athlete who signed in here shares their data with a coach (by the coach's
    Intervals.icu id), with categories hidden from that coach until an optional date
    (app/coach/policy.py names the categories; the athlete's sharing page writes these rows
    through app/coach/store.py)."""

    __tablename__ = "coach_shares"
    __table_args__ = (UniqueConstraint("athlete_id", "coach_intervals_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    coach_intervals_id: Mapped[str] = mapped_column(String(32), index=True)
    hidden: Mapped[list[str]] = mapped_column(JSON, default=list)
    hidden_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccessRecord(Base):
    """One tool call on an athlete's data (issue 18 access log): when, through which client, by
    whom (the athlete or a coach) on whose behalf, which tool, which data categories, read or
    write, and the outcome. No tool arguments are stored: the tool and its categories are what
    the athlete needs to recognise the call. Kept for GATEWAY_ACCESS_LOG_RETENTION_DAYS."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_athlete_at", "athlete_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(ForeignKey("athletes.id", ondelete="CASCADE"))
    """Whose data the call acted on."""
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("athletes.id", ondelete="SET NULL"), default=None
    )
    """Who made the call (the athlete themself, or a coach); None once that account is gone."""
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    client_id: Mapped[str] = mapped_column(String(512))
    tool: Mapped[str] = mapped_column(String(64))
    categories: Mapped[str] = mapped_column(String(200), default="")
    mode: Mapped[str] = mapped_column(String(8))
    """"read" or "write"."""
    outcome: Mapped[str] = mapped_column(String(16))
    """"ok", "refused" (a clear error for the caller) or "failed" (unexpected)."""
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ClubAdmin(Base):
    """An athlete (by Intervals.icu id) who manages the club's membership on ``/club``; made
    by the operator (``intervals-gateway club admin add``)."""

    __tablename__ = "club_admins"

    intervals_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClubInvitation(Base):
    """A link a club admin hands out: its holder may sign in under the allowlist policy. The
    token is stored hashed; ``max_uses`` 1 is single-use; ``preapproved`` admits the holder at
    once (else they wait on the admin page for approval)."""

    __tablename__ = "club_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("athletes.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    preapproved: Mapped[bool] = mapped_column(default=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ClubJoinRequest(Base):
    """An invitation holder waiting for a club admin's approval (invitation not pre-approved)."""

    __tablename__ = "club_join_requests"

    intervals_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("club_invitations.id", ondelete="SET NULL"), default=None
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
