"""Drafting a content folder from an interview transcript (``python -m bot import``).

One job a module: ``transcript`` reads the question/answer pairs and the lead out of the
forms news sites print; ``wording`` finds key words, names, figures and key phrases;
``drafting`` turns each pair into a topic (id, title, short and long answer, related
topics, first examples); ``folder`` writes the drafts, every one ``draft: true``, beside
the conversation topics and interface strings copied from the current content.
"""

from __future__ import annotations

from bot.importer.folder import ImportResult, write_drafts
from bot.importer.transcript import Pair, Transcript, TranscriptError, read_transcript

__all__ = [
    "ImportResult",
    "Pair",
    "Transcript",
    "TranscriptError",
    "read_transcript",
    "write_drafts",
]
