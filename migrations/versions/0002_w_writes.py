"""write pipeline: confirmation handles and the journal of applied changes (issue 15)

Revision ID: 0002w
Revises: 0001
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.models

revision: str = "0002w"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "write_previews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("claimed_at", UTC, nullable=True),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_write_previews_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_write_previews_grant_id_grants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_previews")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_write_previews_handle_hash")),
    )
    with op.batch_alter_table("write_previews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_write_previews_athlete_id"), ["athlete_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_write_previews_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_write_previews_grant_id"), ["grant_id"], unique=False)

    op.create_table(
        "write_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=32), nullable=False),
        sa.Column("athlete_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.Column("applied_at", UTC, nullable=False),
        sa.Column("undone_at", UTC, nullable=True),
        sa.Column("undone_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["athlete_id"],
            ["athletes.id"],
            name=op.f("fk_write_journal_athlete_id_athletes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["grants.id"],
            name=op.f("fk_write_journal_grant_id_grants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reverts_id"],
            ["write_journal.id"],
            name=op.f("fk_write_journal_reverts_id_write_journal"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_journal")),
    )
    with op.batch_alter_table("write_journal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_write_journal_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(
            "ix_write_journal_athlete_applied", ["athlete_id", "applied_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("write_journal", schema=None) as batch_op:
        batch_op.drop_index("ix_write_journal_athlete_applied")
        batch_op.drop_index(batch_op.f("ix_write_journal_batch_id"))
    op.drop_table("write_journal")
    with op.batch_alter_table("write_previews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_write_previews_grant_id"))
        batch_op.drop_index(batch_op.f("ix_write_previews_expires_at"))
        batch_op.drop_index(batch_op.f("ix_write_previews_athlete_id"))
    op.drop_table("write_previews")
