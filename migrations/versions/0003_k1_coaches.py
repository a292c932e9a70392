"""coach access: athletes' shares with coaches; coach named on journal entries (issue 18)

Revision ID: 0003k1
Revises: 0002w
Create Date: 2026-11-30 05:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.models

revision: str = "0003k1"
down_revision: str | None = "0002w"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("athletes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("coaches", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "coach_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("coach_intervals_id", sa.String(length=32), nullable=False),
        sa.Column("hidden", sa.JSON(), nullable=False),
        sa.Column("hidden_until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_coach_shares_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_shares")),
        sa.UniqueConstraint(
            "athlete_id",
            "coach_intervals_id",
            name=op.f("uq_coach_shares_athlete_id"),
        ),
    )
    with op.batch_alter_table("coach_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coach_shares_coach_intervals_id"), ["coach_intervals_id"], unique=False
        )
    with op.batch_alter_table("write_journal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coach_intervals_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("coach_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("write_journal", schema=None) as batch_op:
        batch_op.drop_column("coach_name")
        batch_op.drop_column("coach_intervals_id")
    with op.batch_alter_table("coach_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coach_shares_coach_intervals_id"))
    op.drop_table("coach_shares")
    with op.batch_alter_table("athletes", schema=None) as batch_op:
        batch_op.drop_column("coaches")
