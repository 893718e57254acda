"""The current schema, as SQLAlchemy Core tables the store queries.

This describes the database *after* every Alembic revision (``migrations/versions``) has
run; the revisions are frozen history that gets a database there (a test checks the two
agree). After changing a table here, add a revision: ``alembic revision --autogenerate``.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
)

from bot.storage.columns import BIG_ID, UTCDateTime

MAX_TOPIC_CHARS: Final = 32
MAX_REASON_CHARS: Final = 200
MAX_WORKER_CHARS: Final = 64

metadata = MetaData()

chats = Table(
    "chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    # The user's /language choice; None until they make one or follow something.
    Column("language", String(2), nullable=True),
    Column("follows_all", Boolean, nullable=False, server_default=false()),
    Column("active", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    Column("deactivated_reason", String(MAX_REASON_CHARS), nullable=True),
)

follows = Table(
    "follows",
    metadata,
    Column(
        "chat_id",
        BigInteger,
        ForeignKey("chats.chat_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("topic", String(MAX_TOPIC_CHARS), primary_key=True),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("id", BIG_ID, primary_key=True),
    # None: a bulletin to every subscriber.
    Column("topic", String(MAX_TOPIC_CHARS), nullable=True),
    Column("text", Text, nullable=False),
    Column("author", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BIG_ID, primary_key=True),
    Column("bulletin_id", BIG_ID, ForeignKey("bulletins.id", ondelete="CASCADE"), nullable=False),
    # No foreign key to chats: a 10,000-row publish would otherwise check (and on
    # PostgreSQL share-lock) every chat row; forget() deletes a chat's deliveries itself.
    Column("chat_id", BigInteger, nullable=False),
    Column("status", String(8), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(MAX_WORKER_CHARS), nullable=True),
    # When the claim's lease was last renewed (at first, when it was claimed).
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
    UniqueConstraint("bulletin_id", "chat_id", name="uq_deliveries_bulletin_chat"),
    CheckConstraint(
        "status IN ('queued', 'sending', 'sent', 'failed')", name="ck_deliveries_status"
    ),
    # claim() scans queued rows by due time.
    Index("ix_deliveries_status_due", "status", "next_attempt_at"),
    # forget() and deactivate() find one chat's rows among millions.
    Index("ix_deliveries_chat_id", "chat_id"),
)

questions = Table(
    "questions",
    metadata,
    Column("id", BIG_ID, primary_key=True),
    # None: out of scope (unanswered); only those keep their text.
    Column("topic", String(MAX_TOPIC_CHARS), nullable=True),
    Column("lang", String(2), nullable=False),
    Column("text", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False, server_default=func.now()),
    # answered | suggested | refused; None in rows older than revision 0003 (read by topic).
    Column("outcome", String(9), nullable=True),
    # prune_questions() and the recent list go by age.
    Index("ix_questions_created_at", "created_at"),
)

contexts = Table(
    "contexts",
    metadata,
    # No foreign key to chats: a chat that only asks questions has no chats row.
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("topic", String(MAX_TOPIC_CHARS), nullable=False),
    Column("long", Boolean, nullable=False),
    Column("lang", String(2), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
