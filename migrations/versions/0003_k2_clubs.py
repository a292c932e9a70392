"""clubs: club admins, invitations, join requests; access log of tool calls (issue 18)

Revision ID: 0003k2
Revises: 0003k1
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.models

revision: str = "0003k2"
down_revision: str | None = "0003k1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("client_id", sa.String(length=512), nullable=False),
        sa.Column("tool", sa.String(length=64), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_access_log_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["athletes.id"],
            name=op.f("fk_access_log_actor_id_athletes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_access_log_athlete_at", ["athlete_id", "at"], unique=False)

    op.create_table(
        "club_admins",
        sa.Column("intervals_id", sa.String(length=32), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("intervals_id", name=op.f("pk_club_admins")),
    )
    op.create_table(
        "club_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("preapproved", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["athletes.id"],
            name=op.f("fk_club_invitations_created_by_athletes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_club_invitations_token_hash")),
    )
    op.create_table(
        "club_join_requests",
        sa.Column("intervals_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["club_invitations.id"],
            name=op.f("fk_club_join_requests_invitation_id_club_invitations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("intervals_id", name=op.f("pk_club_join_requests")),
    )


def downgrade() -> None:
    op.drop_table("club_join_requests")
    op.drop_table("club_invitations")
    op.drop_table("club_admins")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_athlete_at")
        batch_op.drop_index(batch_op.f("ix_access_log_at"))
    op.drop_table("access_log")
