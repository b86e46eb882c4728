"""report window index

Revision ID: 0005
Revises: 0004
Created: 2026-12-08

An index of the reports by story and date (`story_id`, `published`, `joined_at`): a briefing counts the
recent reports of its candidate stories from the index alone, without reading the reports' rows (which
hold their signatures), so its cost follows those stories rather than the whole store.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("story_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_story_reports_story_window", ["story_id", "published", "joined_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("story_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_story_reports_story_window")
