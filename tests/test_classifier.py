"""The classifier: known questions, typos, other languages, out of scope, ambiguity, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Final

import numpy as np
import pytest

from bot import classifier as classifier_module
from bot.classifier import NONE_CLASS, Classifier, fit_sklearn, sklearn_features
from bot.content import Content
from bot.conversation import Conversation
from bot.language import LanguageModel
from bot.normalise import fold
from bot.values import from_code

ROOT = Path(__file__).resolve().parent.parent

KNOWN = [
    ("are there direct flights to Seoul?", "direct_flights"),
    ("flights?", "direct_flights"),
    ("how many azerbaijani students study in korea", "education"),
    ("what did Inha university do", "education"),
    ("80 travel companies", "tourism"),
    ("when is the next joint commission meeting", "joint_commission"),
    ("is korea helping with demining", "liberated_territories"),
    ("what about the middle corridor", "middle_corridor"),
    ("which korean companies work in azerbaijan", "economy"),
    ("king sejong institute", "culture"),
    ("how are relations between korea and azerbaijan", "relations"),
    ("any high level visits planned", "visits"),
    ("hello", "greeting"),
    ("thank you!", "thanks"),
    ("who is the ambassador", "about"),
    ("Seula birbaşa reys var?", "direct_flights"),
    ("seula birbasa reys var", "direct_flights"),
    ("Koreyada neçə azərbaycanlı tələbə oxuyur?", "education"),
    ("koreyada nece azerbaycanli telebe oxuyur", "education"),
    ("прямые рейсы в сеул", "direct_flights"),
    ("сколько студентов из азербайджана учится в корее", "education"),
]
TYPOS = [
    ("are ther any direkt flihgts to seul", "direct_flights"),
    ("how many studens from azerbajan in korea", "education"),
    ("tourizm betwen the countries", "tourism"),
    ("прямые рейсы в сеул есть", "direct_flights"),
]
OUT_OF_SCOPE = [
    "what's the weather in London tomorrow",
    "who won the champions league",
    "how do I cook pasta carbonara",
    "what is the population of korea",
    "погода в Баку завтра",
    "sabah Bakıda hava necə olacaq",
]

MODEL_FILES: Final = [".chars.npy", ".coef.npy", ".json", ".npz", ".words.npy"]


@pytest.mark.parametrize(("text", "topic"), KNOWN + TYPOS)
def test_known_questions_find_their_topic(classifier: Classifier, text: str, topic: str) -> None:
    assert classifier.predict(text).topic == topic


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_out_of_scope_returns_no_topic(classifier: Classifier, text: str) -> None:
    prediction = classifier.predict(text)
    assert prediction.topic is None
    assert not prediction.ambiguous


@pytest.mark.parametrize("text", ["", "🙂🙂", "?!", "zzzzqqq"])
def test_text_without_known_features_is_out_of_scope(classifier: Classifier, text: str) -> None:
    assert classifier.predict(text).topic is None


def test_two_topics_in_one_question_are_flagged_ambiguous(classifier: Classifier) -> None:
    prediction = classifier.predict("students and flights")
    assert prediction.ambiguous
    assert {topic for topic, _ in prediction.alternatives[:2]} == {"education", "direct_flights"}


def test_a_clear_question_is_not_ambiguous(classifier: Classifier) -> None:
    prediction = classifier.predict("are there direct flights between baku and seoul")
    assert not prediction.ambiguous
    assert prediction.confidence > 0.8


def test_alternatives_are_ranked_and_exclude_the_none_class(classifier: Classifier) -> None:
    prediction = classifier.predict("tourism and culture")
    scores = [score for _, score in prediction.alternatives]
    assert scores == sorted(scores, reverse=True)
    assert NONE_CLASS not in {topic for topic, _ in prediction.alternatives}
    assert len(prediction.alternatives) == 3


def test_fast_path_gives_the_same_probabilities_as_scikit_learn(content: Content) -> None:
    word, char, model = fit_sklearn(content)
    fast = Classifier.fit(content)
    texts = [text for text, _ in KNOWN + TYPOS] + OUT_OF_SCOPE + ["", "a", "İ I ı", "x" * 3000]
    expected = model.predict_proba(sklearn_features(word, char, texts))
    actual = np.array([fast.probabilities(text) for text in texts])
    assert list(model.classes_) == list(fast.classes)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-6)  # scikit-learn in float32
    # a second reading goes through the words' remembered n-grams: still the same figures
    again = np.array([fast.probabilities(text) for text in texts])
    np.testing.assert_allclose(again, actual, rtol=0, atol=0)


def test_remembered_words_are_bounded(content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier_module, "CACHED_WORDS", 5)
    fast = Classifier.fit(content)
    fresh = fast.probabilities("direct flights seoul baku")
    fast.probabilities(" ".join(f"word{i}" for i in range(50)))  # odd input cannot grow it
    assert len(fast._char_cache) == 5
    np.testing.assert_array_equal(fast.probabilities("direct flights seoul baku"), fresh)


def test_char_ngrams_match_scikit_learn_analyzer() -> None:
    _, char = classifier_module.vectorizers()
    analyzer = char.build_analyzer()
    for text in ["a", "ab", "abc", "abcd", "hello world", "x y zz", "seul reys", "длинноеслово"]:
        assert classifier_module._char_wb_ngrams(text) == analyzer(text)


def test_fitting_is_deterministic(classifier: Classifier, content: Content) -> None:
    first, second = classifier, Classifier.fit(content)
    for text in ["direct flights", "students", "weather", "kahriz"]:
        assert np.array_equal(first.probabilities(text), second.probabilities(text))


def _model_files(folder: Path) -> list[str]:
    return sorted("".join(path.suffixes) for path in folder.iterdir())


def test_model_cache_round_trips_as_plain_arrays(content: Content, tmp_path: Path) -> None:
    fitted = Classifier.load_or_fit(content, tmp_path)
    assert _model_files(tmp_path) == MODEL_FILES
    json.loads(next(tmp_path.glob("*.json")).read_text(encoding="utf-8"))
    words, chars = (np.load(next(tmp_path.glob(f"*.{part}.npy"))) for part in ("words", "chars"))
    grams = [*words.tolist(), *chars.tolist()]
    assert len(grams) == len(fitted._coef)  # one n-gram a coefficient row
    assert grams[: len(words)] == sorted(grams[: len(words)])  # scikit-learn's numbering
    with np.load(next(tmp_path.glob("*.npz")), allow_pickle=False) as arrays:
        assert {"intercept", "word_idf", "char_idf"} <= set(arrays.files)
    coef = np.load(next(tmp_path.glob("*.coef.npy")), allow_pickle=False)
    assert coef.shape == (len(grams), len(fitted.classes))
    loaded = Classifier.load_or_fit(content, tmp_path)
    assert loaded is not fitted
    for text in ["direct flights", "Koreyada təhsil", "погода"]:
        assert np.array_equal(loaded.probabilities(text), fitted.probabilities(text))


def test_a_first_start_fits_in_a_child_process_and_never_imports_scikit_learn(
    classifier: Classifier, tmp_path: Path
) -> None:
    """The serving process stays small: the fit, and scikit-learn, live in a child."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from bot.classifier import Classifier\n"
        "from bot.content import load\n"
        "model = Classifier.load_or_fit(load(Path('intents')), Path(sys.argv[1]))\n"
        "print(json.dumps({'sklearn': 'sklearn' in sys.modules,\n"
        "    'p': [model.probabilities(t).tolist() for t in sys.argv[2:]]}))\n"
    )
    texts = ["direct flights", "Koreyada təhsil", "погода"]
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *texts],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result["sklearn"] is False
    for text, probabilities in zip(texts, result["p"], strict=True):
        assert np.allclose(probabilities, classifier.probabilities(text))
    assert _model_files(tmp_path) == MODEL_FILES


def test_a_failed_child_fit_is_done_here(
    content: Content,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """And the broken cache it was refitting is replaced, so the next start reads it."""
    stem = Classifier.cache_stem(content, tmp_path)
    stem.with_suffix(".npz").write_bytes(b"not a zip")
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child exits 1 at once
    model = Classifier.load_or_fit(content, tmp_path)
    assert model.predict("direct flights to seoul").topic == "direct_flights"
    assert "Could not fit in a child process (exit code 1" in caplog.text
    assert _model_files(tmp_path) == MODEL_FILES
    caplog.clear()
    again = Classifier.load_or_fit(content, tmp_path)
    assert not caplog.text, "the cache should have been read, not refitted"
    assert np.array_equal(again.probabilities("kahriz"), model.probabilities("kahriz"))


def test_a_corrupt_cache_is_refitted(
    classifier: Classifier, content: Content, tmp_path: Path
) -> None:
    classifier.save(Classifier.cache_stem(content, tmp_path))
    for path in tmp_path.glob("*.npz"):
        path.write_bytes(b"not a zip")
    model = Classifier.load_or_fit(content, tmp_path)
    assert model.predict("direct flights to seoul").topic == "direct_flights"


def test_a_truncated_vocabulary_is_refitted(
    classifier: Classifier, content: Content, tmp_path: Path
) -> None:
    classifier.save(Classifier.cache_stem(content, tmp_path))
    for path in tmp_path.glob("*.chars.npy"):
        np.save(path, np.load(path)[:100])
    model = Classifier.load_or_fit(content, tmp_path)
    assert model.predict("direct flights to seoul").topic == "direct_flights"


def test_fold_handles_azerbaijani_letters_and_case() -> None:
    assert fold("AZƏRBAYCAN") == fold("azerbaycan") == "azerbaycan"
    assert fold("İnha Universiteti") == "inha universiteti"
    assert fold("Işıq") == fold("isiq")
    assert fold("Şəki") == fold("Sheki") == fold("seki")
    assert fold("Gəncə") == fold("Gence")
    assert fold("✈️ Flights!!!") == "flights"
    assert fold("ＦＵＬＬ width") == "full width"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("are there direct flights to Seoul?", "en"),
        ("Seula birbaşa reys var?", "az"),
        ("seula birbasa reys var mi", "az"),
        ("прямые рейсы", "ru"),
        ("kpop musabiqesi", "az"),
        ("birge komissiya", "az"),
        ("viza lazimdir?", "az"),
        ("reisy v seul est?", "ru"),
        ("kogda budut pryamye reisy", "ru"),
        ("privet", "ru"),
        ("spasibo", "ru"),
        ("a kogda?", "ru"),
        ("tell me more", "en"),
        ("ok", None),
        ("🙂", None),
    ],
)
def test_language_as_readers_type_it(conversation: Conversation, text: str, lang: str) -> None:
    assert conversation.languages.read(text).lang == lang


def test_russian_typed_in_latin_letters_is_classified_in_cyrillic(
    conversation: Conversation,
) -> None:
    reading, prediction = conversation.classify("kogda budut pryamye reisy v seul?")
    assert reading.text.startswith("когда будут прямые")
    assert prediction.topic == "direct_flights"


def test_language_from_telegram_code() -> None:
    assert from_code("ru") == "ru"
    assert from_code("az-AZ") == "az"
    assert from_code("de") == "en"
    assert from_code(None) == "en"


def test_language_model_cache_round_trips_and_a_broken_one_is_refitted(
    content: Content, tmp_path: Path
) -> None:
    texts = ["est li pryamye reisy v seul", "birbasa reys var", "direct flights", "salam"]
    fitted = LanguageModel.load_or_fit(content, tmp_path)
    assert sorted(path.suffix for path in tmp_path.iterdir()) == [".grams", ".npz"]
    loaded = LanguageModel.load_or_fit(content, tmp_path)
    assert loaded is not fitted
    assert [loaded.read(text) for text in texts] == [fitted.read(text) for text in texts]
    for path in tmp_path.glob("*.grams"):
        path.write_text("<a>\n<b>", encoding="utf-8")  # does not match the arrays
    refitted = LanguageModel.load_or_fit(content, tmp_path)
    assert [refitted.read(text) for text in texts] == [fitted.read(text) for text in texts]
