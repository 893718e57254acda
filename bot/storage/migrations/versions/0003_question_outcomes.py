"""Questions keep how they were met: answered, suggested (a "did you mean" list) or refused.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

The charts show the share of each; the topic alone cannot tell an answer from a list of
suggestions. Rows written before this revision keep ``outcome`` NULL and are read by their
topic (a topic: answered; none: refused).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``questions.outcome``."""
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("outcome", sa.String(9), nullable=True))


def downgrade() -> None:
    """Drop ``questions.outcome``."""
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("outcome")
