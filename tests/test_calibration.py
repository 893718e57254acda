"""Thresholds chosen by cross-validation on the training examples, kept in the content."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.calibration import as_yaml, calibrate
from bot.content import ContentError
from bot.content import load as load_content
from bot.thresholds import THRESHOLDS_FILE, Thresholds
from tests.mayor import write_mayor


def test_calibration_chooses_thresholds_per_language_and_content_keeps_them(
    tmp_path: Path,
) -> None:
    folder = write_mayor(tmp_path)
    content = load_content(folder)
    assert content.thresholds == {}  # no file: the defaults
    calibrations = calibrate(content, folds=2)
    assert [item.lang for item in calibrations] == ["en", "az", "ru", "ko"]
    for item in calibrations:
        assert 0 < item.thresholds.reject < 1 and 0 < item.thresholds.close < 1
        assert item.right + item.suggested + item.wrong <= item.total
    (folder / THRESHOLDS_FILE).write_text(as_yaml(calibrations), encoding="utf-8")
    kept = load_content(folder).thresholds
    assert kept == {item.lang: item.thresholds for item in calibrations}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("en: {reject: 1.5, close: 0.4}\n", "between 0 and 1"),
        ("en: {reject: 0.4}\n", "en needs reject and close"),
        ("xx: {reject: 0.4, close: 0.4}\n", "expected per language"),
    ],
)
def test_bad_thresholds_stop_start_up_with_file_and_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    folder = write_mayor(tmp_path)
    (folder / THRESHOLDS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_content(folder)
    assert f"{THRESHOLDS_FILE}:" in str(caught.value) and problem in str(caught.value)


def test_our_content_keeps_calibrated_thresholds() -> None:
    content = load_content(Path(__file__).resolve().parent.parent / "intents")
    assert set(content.thresholds) == {"en", "az", "ru", "ko"}
    assert all(isinstance(value, Thresholds) for value in content.thresholds.values())
