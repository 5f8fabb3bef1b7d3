"""What a reader sees while an answer is written: only checked text, so no surface that
streams (the chat, the web UI, `Assistant.stream`) ever shows a citation the check removes.

The check works a sentence at a time (check.py); the words of a sentence before anything
that may be a citation cannot change, so they are shown as they come, and the rest once
the sentence is complete and checked. Until a sentence cites a paper that supports it,
everything is held back: an answer that never does becomes the refusal, and nothing it
said was shown. A refusal sentence written before that point makes the answer a refusal;
one written after it is part of an answer that has sources. Whitespace is shown only once
text follows it, and the answer ends with its Sources, so the pieces join into exactly
`Answer.text`.
"""

from __future__ import annotations

from assistant.answer.check import CitationCheck, Sentence
from assistant.answer.citations import settled
from assistant.answer.grading import Grading
from assistant.answer.render import sources_block
from assistant.answer.result import REFUSAL
from assistant.search.retrieval import Hit

_REFUSING = REFUSAL.lower().rstrip(".")


class AnswerStream:
    """Feed it the text as it is written; show what `feed` and `close` return."""

    def __init__(self, hits: list[Hit], grading: Grading | None = None) -> None:
        self.check = CitationCheck(hits, grading)
        self.text = ""  # everything shown so far
        self.grounded = False  # a sentence has cited a paper that supports it
        self._checked = ""  # the complete sentences, checked
        self._refusing = False

    @property
    def refused(self) -> bool:
        return not self.grounded

    def feed(self, piece: str) -> str:
        """The text this piece lets out, often none."""
        self._take(self.check.feed(piece))
        return self._show(self._checked + settled(self.check.pending))

    def close(self) -> str:
        """The rest: the last sentence and the Sources, or the refusal in place of it all."""
        self._take(self.check.finish())
        if self.grounded:
            return self._show(self._checked, sources_block(self.check.citations))
        said = self._checked.strip()
        self.text = said if said.startswith(REFUSAL) else REFUSAL
        return self.text

    def _take(self, sentences: list[Sentence]) -> None:
        for sentence in sentences:
            self._checked += sentence.text
            if not self.grounded:
                self._refusing = self._refusing or _REFUSING in sentence.text.lower()
                self.grounded = sentence.backed and not self._refusing

    def _show(self, visible: str, end: str = "") -> str:
        """What `visible` adds to the text shown; checked text only ever grows at its end."""
        if not self.grounded:
            return ""
        visible = visible.strip() + end
        assert visible.startswith(self.text), "shown text would change"
        added, self.text = visible[len(self.text) :], visible
        return added
