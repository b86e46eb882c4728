"""chat shown

Revision ID: 0003
Revises: 0002
Created: 2026-12-09

What each chat channel was shown of each topic (story prints), so `/brief TOPIC new` shows only the
new stories and new facts since.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_shown",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("prints_json", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "channel_id", "topic"),
    )


def downgrade() -> None:
    op.drop_table("chat_shown")
