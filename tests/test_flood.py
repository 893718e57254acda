"""Flood control for replies, end to end: the real application against the fake Bot API,
which answers 429 (``RetryAfter``) where a test says. Replies are delayed, never lost."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import Conversation
from bot.flood import FloodControl
from testkit.fakebotapi import FakeBotAPI
from tests.botharness import running_bot, title

GROUP = -700
MENTION = "@interview_test_bot"


def group_replies(server: FakeBotAPI) -> list[float]:
    return [c.at for c in server.calls if c.method == "sendMessage" and c.chat_id == GROUP and c.ok]


def most_in_window(times: list[float], window: float) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_24_group_mentions_at_once_are_all_answered_within_the_group_limit(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    """24 members mention the bot at once; Telegram refuses four replies with RetryAfter.
    Every member gets the answer, and no window holds more than the group's 20 messages
    (the window is 3 s here instead of Telegram's minute, to keep the test short)."""
    window = 3.0
    flood = FloodControl(group_window=window)
    async with running_bot(server, conversation, tmp_path / "state", flood):
        server.fail("sendMessage", status=429, retry_after=1, times=4)
        for member in range(24):
            server.user_sends(
                GROUP,
                f"{MENTION} are there direct flights?",
                chat_type="group",
                user_id=50_000 + member,
                entities=[{"type": "mention", "offset": 0, "length": len(MENTION)}],
            )
        await server.wait_for(lambda s: len(group_replies(s)) >= 24, timeout=30)
    replies = [c for c in server.calls if c.method == "sendMessage" and c.chat_id == GROUP]
    refused = [c for c in replies if c.status == 429]
    answered = [c for c in replies if c.ok]
    assert len(refused) == 4, "the fake refused four sends"
    assert len(answered) == 24, "each of the 24 got one answer: the refused ones were resent"
    apology = conversation.notice("error", "en").text
    assert all(c.params["text"] != apology for c in answered), "no apology instead of an answer"
    heading = f"<b>{title(conversation, 'direct_flights')}</b>"
    assert any(c.params["text"].startswith(heading) for c in answered)
    assert most_in_window([c.at for c in answered], window) <= 20


async def test_a_private_reply_hit_by_retry_after_waits_alone(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    """One reader's reply gets RetryAfter 2 s: it arrives after the wait, and another
    reader's reply meanwhile is not held up."""
    async with running_bot(server, conversation, tmp_path / "state"):
        server.fail("sendMessage", status=429, retry_after=2, times=1)
        server.user_sends(3001, "are there direct flights?")
        await server.wait_for(
            lambda s: any(c.chat_id == 3001 and c.status == 429 for c in s.calls), timeout=10
        )
        server.user_sends(3002, "king sejong institute")
        [other] = await server.wait_sent(3002, timeout=10)
        [first] = await server.wait_sent(3001, timeout=10)
    refused = next(c for c in server.calls if c.chat_id == 3001 and c.status == 429)
    assert other.at - refused.at < 1.0, "the other reader did not wait out the 429"
    assert first.at - refused.at >= 2.0
    assert first.params["text"].startswith(f"<b>{title(conversation, 'direct_flights')}</b>")
