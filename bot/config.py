"""Settings read once from the environment; the bot token is kept in a redacting type."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

DEFAULT_API_BASE_URL: Final = "https://api.telegram.org/bot"
MIN_LEASE: Final = 1.0
_TOKEN_SHAPE: Final = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_PACKAGE_ROOT: Final = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable and what to do,
    and never echoes the value (a secret pasted into the wrong variable must not leak)."""


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; call only where it is handed to the library."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    def __bool__(self) -> bool:
        return bool(self._value)


def project_root() -> Path:
    """The folder holding ``intents/``: the checkout in development, else the working directory."""
    if (_PACKAGE_ROOT / "intents").is_dir():
        return _PACKAGE_ROOT
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from the environment."""

    token: Secret | None = None
    api_base_url: str = DEFAULT_API_BASE_URL
    database_url: str = ""
    admin_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_secret: Secret | None = None
    port: int = 8080
    listen: str = "127.0.0.1"  # the webhook's bind address (the image sets 0.0.0.0)
    metrics_port: int | None = None  # /metrics and /healthz; None: not served
    log_level: int = logging.INFO
    delivery_rate: float | None = 25.0  # messages per second from this process; None: no limit
    delivery_lease: float = 10.0  # seconds; renewed while the worker lives
    keep_questions_days: int = 30
    context_minutes: float = 30.0  # how long a chat's last answer stays its context
    content_dir: Path = field(default_factory=lambda: project_root() / "intents")
    state_dir: Path = field(default_factory=lambda: project_root() / ".state")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (the process environment by default)."""
        env = os.environ if env is None else env
        root = project_root()
        state_dir = Path(env.get("BOT_STATE_DIR") or root / ".state")
        token = env.get("BOT_TOKEN", "").strip()
        secret = env.get("BOT_WEBHOOK_SECRET", "").strip()
        metrics = env.get("BOT_METRICS_PORT", "").strip()
        level_name = env.get("LOG_LEVEL", "INFO").strip().upper()
        level = logging.getLevelNamesMapping().get(level_name)
        if level is None:
            raise ConfigError("LOG_LEVEL: unknown level; use DEBUG, INFO, WARNING or ERROR")
        return cls(
            token=Secret(token) if token else None,
            api_base_url=env.get("BOT_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            database_url=env.get("DATABASE_URL", "").strip()
            or f"sqlite+aiosqlite:///{state_dir / 'bot.sqlite3'}",
            admin_ids=_ids(env.get("BOT_ADMIN_IDS", "")),
            webhook_url=env.get("BOT_WEBHOOK_URL", "").strip() or None,
            webhook_secret=Secret(secret) if secret else None,
            port=_port(env.get("BOT_PORT", "8080")),
            listen=env.get("BOT_LISTEN", "").strip() or "127.0.0.1",
            metrics_port=_port(metrics, "BOT_METRICS_PORT") if metrics else None,
            log_level=level,
            delivery_rate=_number("BOT_DELIVERY_RATE", env.get("BOT_DELIVERY_RATE", "25")) or None,
            delivery_lease=_lease(env.get("BOT_DELIVERY_LEASE", "10")),
            keep_questions_days=int(
                _number("BOT_KEEP_QUESTIONS_DAYS", env.get("BOT_KEEP_QUESTIONS_DAYS", "30"))
            ),
            context_minutes=_number("BOT_CONTEXT_MINUTES", env.get("BOT_CONTEXT_MINUTES", "30")),
            content_dir=Path(env.get("BOT_CONTENT_DIR") or root / "intents"),
            state_dir=state_dir,
        )

    def require_token(self) -> Secret:
        """Return the bot token, or fail with a message that says how to set it."""
        if not self.token:
            raise ConfigError("BOT_TOKEN: not set (get a token from @BotFather and export it)")
        if not _TOKEN_SHAPE.fullmatch(self.token.reveal()):
            raise ConfigError(
                "BOT_TOKEN: not a bot token (one is digits, a colon, then letters, digits, - "
                "and _); copy it again from @BotFather"
            )
        return self.token

    @property
    def heartbeat_file(self) -> Path:
        """Touched by the running bot while the Bot API answers."""
        return self.state_dir / "heartbeat"

    @property
    def model_cache_dir(self) -> Path:
        """Where the fitted classifier is cached as plain arrays."""
        return self.state_dir / "model"


def _ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            ids.add(int(part))
        except ValueError:
            # The value itself is never echoed: a token pasted here by mistake would leak.
            raise ConfigError(
                "BOT_ADMIN_IDS: not a list of Telegram user ids; give whole numbers separated "
                "by commas (your own id: ask @userinfobot)"
            ) from None
    return frozenset(ids)


def _number(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: not a number") from None
    if value < 0:
        raise ConfigError(f"{name}: must not be negative")
    return value


def _lease(raw: str) -> float:
    lease = _number("BOT_DELIVERY_LEASE", raw)
    if lease < MIN_LEASE:
        # Renewed several times a lease: shorter ones would be all renewals.
        raise ConfigError(f"BOT_DELIVERY_LEASE: must be at least {MIN_LEASE:g} second")
    return lease


def _port(raw: str, name: str = "BOT_PORT") -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: not a port number (1-65535)") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{name}: {port} is out of range")
    return port
