"""Published updates are bulletins (the word "update" is Telegram's); chats keep a context.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

- ``updates`` becomes ``bulletins``, and ``deliveries.update_id`` ``bulletin_id`` (with its
  unique constraint); every row stays.
- ``contexts``: each chat's last answer (topic, whether the longer answer was shown, its
  language, when), so follow-ups work across restarts and replicas.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _rename_reference(old: str, new: str) -> None:
    """Rename ``deliveries.<old>_id`` to ``<new>_id`` with its unique constraint.

    Two batches: the first builds the new table from the old columns' names, the second adds
    the constraint under the new name.
    """
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint(f"uq_deliveries_{old}_chat", type_="unique")
        batch.alter_column(
            f"{old}_id",
            new_column_name=f"{new}_id",
            existing_type=_BIG_ID,
            existing_nullable=False,
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_unique_constraint(f"uq_deliveries_{new}_chat", [f"{new}_id", "chat_id"])


def upgrade() -> None:
    """Rename the outbox's table and column; add the contexts table."""
    op.rename_table("updates", "bulletins")
    _rename_reference("update", "bulletin")
    op.create_table(
        "contexts",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("long", sa.Boolean(), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Back to release 0.1's names, without contexts."""
    op.drop_table("contexts")
    _rename_reference("bulletin", "update")
    op.rename_table("bulletins", "updates")
