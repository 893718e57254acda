"""Callback data codec, rendering limits, settings and secret redaction."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import callback_data, rendering
from bot.config import ConfigError, Secret, Settings
from bot.conversation import Conversation
from bot.logs import RedactingFormatter
from bot.replies import Action, ActionKind, Reply, ReplyKind

TOKEN = "4242:fake-token-for-tests"


@pytest.mark.parametrize(
    "action",
    [
        Action(ActionKind.TOPIC, "direct_flights"),
        Action(ActionKind.MORE, "liberated_territories"),
        Action(ActionKind.MORE, "liberated_territories", "ru"),
        Action(ActionKind.MENU),
        Action(ActionKind.FOLLOW, "education"),
        Action(ActionKind.UNFOLLOW, "education"),
        Action(ActionKind.LANGUAGE, "az"),
    ],
)
def test_actions_round_trip_within_64_bytes(action: Action) -> None:
    data = callback_data.encode(action)
    assert len(data.encode()) <= 64
    assert data.startswith(callback_data.VERSION + ":")
    assert callback_data.decode(data) == action


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "garbage",
        "0:t:direct_flights",  # an old format version
        "1:zz:direct_flights",  # unknown action
        "1:t:DROP TABLE",  # not an id
        "1:menu:extra",  # menu takes no argument
        "1:t:",  # topic without an id
        "1:t:" + "a" * 70,  # over Telegram's limit
        "1:t:<b>x</b>",
        "1:m:education:de",  # a language the bot does not speak
        "1:m:education:ru:x",
    ],
)
def test_forged_data_is_refused(data: object) -> None:
    with pytest.raises(callback_data.ForgedButton):
        callback_data.decode(data)


def test_encoding_refuses_what_telegram_would_reject() -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        callback_data.encode(Action(ActionKind.TOPIC, "x" * 80))


def test_every_button_encodes(conversation: Conversation) -> None:
    replies = [conversation.welcome("en"), conversation.ask("students and trade", "en")]
    replies += [conversation.topic(t.id, "en", ui="en") for t in conversation.content.topics]
    for reply in replies:
        markup = rendering.keyboard(reply)
        assert markup is not None
        for row in markup.inline_keyboard:
            for button in row:
                if button.switch_inline_query is not None:  # the share button
                    assert conversation.interview_topic(button.switch_inline_query)
                    continue
                assert isinstance(button.callback_data, str)
                callback_data.decode(button.callback_data)


def test_rendering_keeps_messages_within_telegram_limit() -> None:
    reply = Reply("line\n" * 2000, "en", ReplyKind.NOTICE)
    text = rendering.text(reply)
    assert len(text) <= 4096
    assert text.endswith("…")
    assert rendering.keyboard(reply) is None


def test_settings_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"BOT_STATE_DIR": str(tmp_path)})
    assert settings.token is None
    assert settings.api_base_url == "https://api.telegram.org/bot"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    assert settings.admin_ids == frozenset()
    assert settings.webhook_url is None
    assert settings.log_level == logging.INFO
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        settings.require_token()


def test_settings_read_every_variable() -> None:
    settings = Settings.from_env(
        {
            "BOT_TOKEN": TOKEN,
            "BOT_API_BASE_URL": "http://127.0.0.1:9/bot",
            "DATABASE_URL": "postgresql+asyncpg://db/bot",
            "BOT_ADMIN_IDS": "1, 22,333",
            "BOT_WEBHOOK_URL": "https://example.org/hook",
            "BOT_WEBHOOK_SECRET": "s3cret",
            "BOT_PORT": "8443",
            "LOG_LEVEL": "debug",
        }
    )
    assert settings.require_token().reveal() == TOKEN
    assert settings.admin_ids == frozenset({1, 22, 333})
    assert settings.port == 8443 and settings.log_level == logging.DEBUG
    assert settings.webhook_secret is not None and settings.webhook_secret.reveal() == "s3cret"
    assert TOKEN not in repr(settings) and "s3cret" not in repr(settings)


def test_delivery_leases_are_short_by_default() -> None:
    """A dead worker's deliveries come back within seconds, not a minute."""
    assert Settings.from_env({}).delivery_lease == 10.0
    assert Settings.from_env({"BOT_DELIVERY_LEASE": "5"}).delivery_lease == 5.0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BOT_ADMIN_IDS": "12,abc"}, "BOT_ADMIN_IDS"),
        ({"BOT_PORT": "http"}, "BOT_PORT"),
        ({"BOT_PORT": "70000"}, "BOT_PORT"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"BOT_DELIVERY_LEASE": "0.2"}, "BOT_DELIVERY_LEASE: must be at least 1 second"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secret_never_shows_itself() -> None:
    secret = Secret(TOKEN)
    assert TOKEN not in repr(secret) and TOKEN not in str(secret) and TOKEN not in f"{secret}"


def test_log_lines_and_tracebacks_are_redacted() -> None:
    formatter = RedactingFormatter("%(message)s", [TOKEN])
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "url %s", (f"/bot{TOKEN}/x",), (type(exc), exc, None)
        )
    text = formatter.format(record)
    assert TOKEN not in text
    assert text.count("**********") == 2


@pytest.mark.parametrize(
    "name", ["BOT_ADMIN_IDS", "BOT_PORT", "LOG_LEVEL", "BOT_DELIVERY_RATE", "BOT_CONTEXT_MINUTES"]
)
def test_a_token_pasted_into_the_wrong_variable_is_never_echoed(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({name: TOKEN})
    assert name in str(info.value)
    assert TOKEN not in str(info.value) and TOKEN.split(":")[1] not in str(info.value)
