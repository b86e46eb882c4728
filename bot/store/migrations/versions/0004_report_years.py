"""report years

Revision ID: 0004
Revises: 0003
Created: 2026-12-07

The years a report's opening names, a feature of story assignment (`years_apart`). Reports stored
before this revision have none (NULL) and are matched as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("years", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("story_reports", schema=None) as batch_op:
        batch_op.drop_column("years")
