"""Release 0.1's schema: chats and follows, updates with their deliveries, and questions.

Revision ID: 0001
Revises:
Create Date: 2025-03-01

Written out literally, not from ``bot.storage.tables``: a revision is history.

It also adopts a database written by release 0.1, whose hand-written migrations kept a
``schema_version`` table instead of ``alembic_version``. Such a database has no
``alembic_version``, so Alembic runs this revision on it; no row is touched:

- version 2 already has this schema: only ``schema_version`` goes (in effect a stamp);
- version 1 (chats and follows; also ``chats`` with no ``schema_version`` at all, from the
  first release, which used ``create_all``) gets what version 2 added: the outbox tables,
  ``questions`` and ``chats.deactivated_reason``.

Offline (``--sql``) there is no database to look at, so the script is for a new one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids; SQLite only auto-numbers an INTEGER PRIMARY KEY.
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_RELEASE_0_1_VERSIONS = (1, 2)


def upgrade() -> None:
    """Create release 0.1's tables, or complete and adopt a database release 0.1 wrote."""
    version = 0 if context.is_offline_mode() else _release_0_1_version()
    if version == 0:
        _create_chats_and_follows()
    if version < 2:
        _create_outbox_and_questions()
    if version == 1:
        # A plain nullable ADD COLUMN: both databases do it in place, without batch mode.
        op.add_column("chats", _deactivated_reason())


def downgrade() -> None:
    """Drop every table (there is nothing before this revision)."""
    for table in ("deliveries", "updates", "questions", "follows", "chats"):
        op.drop_table(table)


def _release_0_1_version() -> int:
    """0 for a new database, else the version release 0.1 left it at (``schema_version`` goes)."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    has_chats = inspector.has_table("chats")
    if not inspector.has_table("schema_version"):
        return 1 if has_chats else 0
    recorded = bind.execute(sa.text("SELECT max(version) FROM schema_version")).scalar()
    op.drop_table("schema_version")
    version = int(recorded or 0)
    if version == 0:
        # Release 0.1 only ever committed a 0 with no tables, or tables from before it.
        return 1 if has_chats else 0
    if version not in _RELEASE_0_1_VERSIONS:
        raise RuntimeError(f"schema_version {version} was never written by release 0.1")
    return version


def _deactivated_reason() -> sa.Column[str]:
    return sa.Column("deactivated_reason", sa.String(200), nullable=True)


def _create_chats_and_follows() -> None:
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("follows_all", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        _deactivated_reason(),
    )
    op.create_table(
        "follows",
        sa.Column(
            "chat_id",
            sa.BigInteger(),
            sa.ForeignKey("chats.chat_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("topic", sa.String(32), primary_key=True),
    )


def _create_outbox_and_questions() -> None:
    op.create_table(
        "updates",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("topic", sa.String(32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column(
            "update_id", _BIG_ID, sa.ForeignKey("updates.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("update_id", "chat_id", name="uq_deliveries_update_chat"),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')", name="ck_deliveries_status"
        ),
    )
    op.create_index("ix_deliveries_status_due", "deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_deliveries_chat_id", "deliveries", ["chat_id"])
    op.create_table(
        "questions",
        sa.Column("id", _BIG_ID, primary_key=True),
        sa.Column("topic", sa.String(32), nullable=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_questions_created_at", "questions", ["created_at"])
