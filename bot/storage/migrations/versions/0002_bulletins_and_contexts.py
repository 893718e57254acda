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


def upgrade() -> None:
    """Rename the outbox's table and column; add the contexts table."""
    op.rename_table("updates", "bulletins")
    # Two steps: a batch builds the new table from the old columns' names.
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_update_chat", type_="unique")
        batch.alter_column(
            "update_id",
            new_column_name="bulletin_id",
            existing_type=_BIG_ID,
            existing_nullable=False,
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_unique_constraint("uq_deliveries_bulletin_chat", ["bulletin_id", "chat_id"])
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
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_bulletin_chat", type_="unique")
        batch.alter_column(
            "bulletin_id",
            new_column_name="update_id",
            existing_type=_BIG_ID,
            existing_nullable=False,
        )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_unique_constraint("uq_deliveries_update_chat", ["update_id", "chat_id"])
    op.rename_table("bulletins", "updates")
