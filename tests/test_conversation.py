"""The conversation's replies: answers, follow-ups, suggestions, menus, stale buttons."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot import markup
from bot.classifier import Prediction
from bot.content import Content
from bot.conversation import Conversation
from bot.normalise import last_question
from bot.replies import Action, ActionKind, Display, ReplyKind
from bot.values import LANGS, Following
from tests.models import conversation_with

INTERVIEW_IDS = [
    "relations", "visits", "joint_commission", "economy", "liberated_territories",
    "middle_corridor", "direct_flights", "tourism", "education", "culture",
]  # fmt: skip


def actions(reply_keyboard: tuple[tuple[object, ...], ...]) -> list[Action]:
    return [button.action for row in reply_keyboard for button in row]  # type: ignore[attr-defined]


def test_answer_starts_with_the_title_and_offers_follow_ups(conversation: Conversation) -> None:
    reply = conversation.ask("are there direct flights to Seoul?", "en")
    topic = conversation.content.topic("direct_flights")
    assert topic is not None
    assert reply.kind is ReplyKind.ANSWER and reply.topic == "direct_flights"
    assert reply.text.splitlines()[0] == f"<b>{topic.title['en']}</b>"
    assert topic.short["en"] in reply.text
    found = actions(reply.keyboard)
    for related in topic.related:
        assert Action(ActionKind.TOPIC, related) in found
    assert Action(ActionKind.MORE, "direct_flights") in found
    assert found[-1] == Action(ActionKind.MENU)
    assert not markup.html_problems(reply.text)


def test_subscribe_toggle_shows_only_with_subscriptions_and_reflects_state(
    conversation: Conversation,
) -> None:
    without = actions(conversation.ask("direct flights to seoul?", "en").keyboard)
    assert not any(a.kind in (ActionKind.FOLLOW, ActionKind.UNFOLLOW) for a in without)
    off = actions(conversation.ask("direct flights to seoul?", "en", Following()).keyboard)
    assert Action(ActionKind.FOLLOW, "direct_flights") in off
    on = actions(
        conversation.ask(
            "direct flights to seoul?", "en", Following(topics=frozenset({"direct_flights"}))
        ).keyboard
    )
    assert Action(ActionKind.UNFOLLOW, "direct_flights") in on
    everything = actions(
        conversation.ask("direct flights to seoul?", "en", Following(all=True)).keyboard
    )
    assert Action(ActionKind.UNFOLLOW, "direct_flights") in everything


def test_more_edits_in_place_with_the_long_answer(conversation: Conversation) -> None:
    reply = conversation.press(Action(ActionKind.MORE, "education"), "en")
    topic = conversation.content.topic("education")
    assert topic is not None
    assert reply.display is Display.REPLACE and reply.kind is ReplyKind.MORE
    assert topic.long["en"] in reply.text
    assert Action(ActionKind.MORE, "education") not in actions(reply.keyboard)
    for figure in ("2020", "82", "200"):
        assert figure in reply.text


def test_menu_lists_every_interview_topic_in_order(conversation: Conversation) -> None:
    reply = conversation.menu("en")
    assert [a.arg for a in actions(reply.keyboard)] == INTERVIEW_IDS
    assert all(len(row) <= 2 for row in reply.keyboard)


def test_welcome_names_the_interview_and_shows_the_menu(conversation: Conversation) -> None:
    reply = conversation.welcome("en")
    assert "Kang Kymgu" in reply.text and "Report" in reply.text
    assert [a.arg for a in actions(reply.keyboard)] == INTERVIEW_IDS


def test_out_of_scope_says_what_the_bot_can_talk_about(conversation: Conversation) -> None:
    reply = conversation.ask("who won the champions league", "en")
    assert reply.kind is ReplyKind.OUT_OF_SCOPE
    assert "Direct flights" in reply.text and "Education" in reply.text
    assert [a.arg for a in actions(reply.keyboard)] == INTERVIEW_IDS


def test_ambiguous_question_offers_suggestions(conversation: Conversation) -> None:
    reply = conversation.ask("students and trade", "en")
    assert reply.kind is ReplyKind.SUGGESTIONS
    suggested = [a.arg for a in actions(reply.keyboard) if a.kind is ActionKind.TOPIC]
    assert {"education", "economy"} <= set(suggested)
    assert actions(reply.keyboard)[-1] == Action(ActionKind.MENU)


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "?!…"])
def test_empty_looking_text_gets_a_hint(conversation: Conversation, text: str) -> None:
    reply = conversation.ask(text, "en")
    assert reply.kind is ReplyKind.EMPTY
    assert reply.keyboard


def test_a_very_long_message_is_answered(conversation: Conversation) -> None:
    reply = conversation.ask("are there direct flights to Seoul? " + "x" * 5000, "en")
    assert reply.topic == "direct_flights"


STORY = (
    "The weather was awful all week, it rained every day and the football match was "
    "cancelled. My cousin cooked pasta, we watched a movie and talked about bitcoin prices "
    "and the stock market. Then my bus was late again. "
)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("When does the joint commission meet next?", "joint_commission"),
        ("How many Azerbaijani students study in Korea?", "education"),
        ("What did KOICA build in Karabakh?", "liberated_territories"),
    ],
)
def test_a_question_after_a_story_is_answered_on_its_own_topic(
    conversation: Conversation, question: str, topic: str
) -> None:
    """The story's off-topic words outweigh the question's in the whole message."""
    assert conversation.ask(STORY + question, "en").topic == topic


def test_a_story_with_an_off_topic_question_is_still_declined(
    conversation: Conversation,
) -> None:
    reply = conversation.ask(STORY + "Who will win the league this year?", "en")
    assert reply.kind is ReplyKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("It rained. Are there flights? Thanks", "Are there flights?"),
        ("Привет! Я студент. Когда комиссия?", "Когда комиссия?"),
        ("비가 왔어요. 직항 있어요？", "직항 있어요？"),
        ("First line\nsecond line", "second line"),
        ("One sentence only?", None),
        ("Hi! 🙂", None),
    ],
)
def test_last_question_is_the_last_sentence_that_asks(text: str, question: str | None) -> None:
    assert last_question(text) == question


@pytest.mark.parametrize(
    ("text", "lang", "marker"),
    [
        ("прямые рейсы в сеул", "ru", "Прямые"),
        ("Seula birbaşa reys var?", "az", "Birbaşa"),
        ("seula birbasa reys var mi", "az", "Birbaşa"),
    ],
)
def test_answers_in_the_language_of_the_question(
    conversation: Conversation, text: str, lang: str, marker: str
) -> None:
    reply = conversation.ask(text, "en")
    assert reply.lang == lang
    assert marker in reply.text.splitlines()[0]
    # buttons stay in the user's interface language
    labels = [button.label for row in reply.keyboard for button in row]
    assert conversation.content.text("button_menu", "en") in labels


@pytest.mark.parametrize(
    "action",
    [
        Action(ActionKind.TOPIC, "nope"),
        Action(ActionKind.MORE, ""),
        Action(ActionKind.LANGUAGE, "xx"),
    ],
)
def test_stale_or_forged_buttons_get_a_notice_and_the_menu(
    conversation: Conversation, action: Action
) -> None:
    reply = conversation.press(action, "en")
    assert reply.kind is ReplyKind.NOTICE
    assert reply.text == conversation.content.text("stale_button", "en")
    assert [a.arg for a in actions(reply.keyboard)] == INTERVIEW_IDS


def test_every_topic_and_button_renders_in_every_language(
    conversation: Conversation, content: Content
) -> None:
    for topic in content.topics:
        for lang in LANGS:
            for reply in (
                conversation.topic(topic.id, lang, ui=lang),
                conversation.topic(topic.id, lang, ui=lang, long=True),
            ):
                assert len(reply.text) <= 4096
                assert not markup.html_problems(reply.text)
                for action in actions(reply.keyboard):
                    if action.kind is ActionKind.SHARE:  # inline mode, not a press
                        assert conversation.share(action.arg, lang).articles[0].id == action.arg
                        continue
                    assert conversation.press(action, lang).kind is not ReplyKind.NOTICE


def test_help_explains_the_commands(conversation: Conversation) -> None:
    text = conversation.help("en").text
    for command in ("/topics", "/subscribe", "/help"):
        assert command in text


def test_engine_modules_never_import_telegram() -> None:
    code = (
        "import sys, bot.conversation, bot.classifier, bot.content, bot.terminal;"
        "print(sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_read_more_keeps_the_language_of_the_answer_it_expands(
    conversation: Conversation,
) -> None:
    answer = conversation.ask("будут ли прямые рейсы в Сеул?", "en")
    assert answer.lang == "ru"
    more = next(a for a in actions(answer.keyboard) if a.kind is ActionKind.MORE)
    assert more.lang == "ru"
    expanded = conversation.press(more, "en")
    topic = conversation.content.topic("direct_flights")
    assert topic is not None
    assert expanded.lang == "ru" and topic.long["ru"] in expanded.text
    same = conversation.ask("are there direct flights?", "en")
    assert all(a.lang is None for a in actions(same.keyboard)), "no language when it is the UI's"


def test_chit_chat_offers_no_read_more(conversation: Conversation) -> None:
    for text in ("hello", "thank you!"):
        reply = conversation.ask(text, "en")
        assert reply.topic in {"greeting", "thanks"}
        assert ActionKind.MORE not in [a.kind for a in actions(reply.keyboard)]


class FixedClassifier:
    """Predicts the same thing for every text: the decisions after the classifier, alone."""

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction

    def predict(self, text: str, thresholds: object = None) -> Prediction:
        return self.prediction


def unsure(*alternatives: tuple[str, float]) -> Prediction:
    return Prediction(alternatives[0][0], alternatives[0][1], alternatives, ambiguous=True)


def test_an_unsure_guess_with_one_interview_topic_answers_it(content: Content) -> None:
    guess = unsure(("tourism", 0.4), ("greeting", 0.3), ("thanks", 0.2))
    reply = conversation_with(content, FixedClassifier(guess)).ask("tours?", "en")
    assert reply.kind is ReplyKind.ANSWER and reply.topic == "tourism"


def test_an_unsure_guess_between_interview_topics_asks_which(content: Content) -> None:
    guess = unsure(("tourism", 0.4), ("direct_flights", 0.35))
    reply = conversation_with(content, FixedClassifier(guess)).ask("x?", "en")
    assert reply.kind is ReplyKind.SUGGESTIONS
    assert [a.arg for a in actions(reply.keyboard)][:2] == ["tourism", "direct_flights"]


def test_chit_chat_alone_is_never_offered_as_did_you_mean(content: Content) -> None:
    guess = unsure(("about", 0.4), ("greeting", 0.35), ("help", 0.2))
    reply = conversation_with(content, FixedClassifier(guess)).ask("you idiot", "en")
    assert reply.kind is ReplyKind.OUT_OF_SCOPE
    assert [a.arg for a in actions(reply.keyboard)] == INTERVIEW_IDS, "the menu"


@pytest.mark.parametrize(
    "text",
    [
        "how are relations between Russia and Korea?",
        "what about Japan and Korea?",
        "are there flights from Uzbekistan to Seoul?",
        "а как отношения России и Китая?",
        "a chto s otnosheniyami rossii i kitaya?",
        "yaponiya ile koreya elaqeleri",
        # a name of several words, in any form
        "and what about relations with north korea",
        "а что с Северной Кореей?",
        "simali koreya ile elaqeler",
        # Korean writes its particles onto a name, however short the name
        "일본과 한국 관계는 어때요?",
        "중국이랑 아제르바이잔 무역 규모",
        "한일관계 요즘 어때",
        # a long message's question names the other country
        "I have been reading a lot about the region lately and my friends keep arguing about "
        "it, so tell me honestly how are relations between Azerbaijan and Russia these days",
    ],
)
def test_another_country_as_the_subject_is_declined(conversation: Conversation, text: str) -> None:
    assert conversation.ask(text, "en").kind is ReplyKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "where is the samsung service centre in baku?",
        "samsung servis merkezi harada",
    ],
)
def test_one_name_from_an_answer_does_not_overrule_a_refusal(
    conversation: Conversation, text: str
) -> None:
    """A near miss names what the interview names; the question is still not answered."""
    assert conversation.ask(text, "en").kind is ReplyKind.OUT_OF_SCOPE


@pytest.mark.parametrize(
    ("text", "topic_id"),
    [
        # a story passes through another country before its question about the interview's
        (
            "every year I fly to see my sister and change planes in Istanbul, it takes the "
            "whole day and I am exhausted, so is anyone working on a nonstop Baku Seoul flight",
            "direct_flights",
        ),
        # the interview's own words that name another country's language are not its subject
        ("does Hankuk University teach Turkish and Azerbaijani studies?", "education"),
    ],
)
def test_another_country_in_passing_is_not_the_subject(
    conversation: Conversation, text: str, topic_id: str
) -> None:
    reply = conversation.ask(text, "en")
    assert (reply.kind, reply.topic) == (ReplyKind.ANSWER, topic_id)


def test_thanks_after_an_answer_is_thanks_not_a_follow_up(conversation: Conversation) -> None:
    from datetime import UTC, datetime

    from bot.values import Context

    context = Context("direct_flights", False, "en", datetime.now(UTC))
    assert conversation.ask("thanks!", "en", None, context).topic == "thanks"
    assert conversation.ask("and when?", "en", None, context).topic == "direct_flights"


@pytest.mark.parametrize(
    ("topic_id", "second", "expected"),
    [
        # a word off-topic messages use too ("give") does not block a follow-up...
        ("relations", "give me more detail", "relations"),
        ("education", "ne vaxtdan baslayib", "education"),
        ("tourism", "насколько?", "tourism"),
        # ...but one the answered topic never uses does ("погода")
        ("direct_flights", "а погода там какая?", None),
        # another topic named in an inflected form, even when the classifier is unsure
        ("joint_commission", "а по освобождённым территориям что", "liberated_territories"),
        # about tells facts too (who, where): a follow-up to it is answered
        ("about", "where was it published", "about"),
        # a price the interview never gives; another country in an inflected form
        ("middle_corridor", "сколько стоит контейнер до европы", None),
        ("economy", "bəs çinlə?", None),
        # an off-topic word in another form ("qiymətlər" in the examples); a person's age
        ("tourism", "bilet nece qiymetedir?", None),
        ("visits", "а сколько ему лет?", None),
    ],
)
def test_follow_ups_tell_more_from_another_subject(
    conversation: Conversation, topic_id: str, second: str, expected: str | None
) -> None:
    from datetime import UTC, datetime

    from bot.values import Context

    context = Context(topic_id, False, "en", datetime.now(UTC))
    reply = conversation.ask(second, "en", None, context)
    assert reply.topic == expected, reply.text[:80]
