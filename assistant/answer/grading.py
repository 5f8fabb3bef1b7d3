"""How much of a question the papers answer: `full`, `partial` or `none`, one fitted decision.

The evidence signals (evidence.py: how well the best papers match the question as a
whole) and the reader's coverage (coverage.py: which facets each candidate covers) go
into one logistic model of P(the papers do not answer every facet), fitted with its
threshold by evals/fit.py (fitted.json, "grading"):

    full     under the threshold: answer, citing the papers that cover the facets
    partial  at or over it, while some candidate covers some facet: say first what no
             paper covers, then give the closest papers with what each covers
    none     at or over it, and no candidate covers any facet: refuse

Its coverage features:

    weakest    the best, among the first CHOOSE_WITHIN candidates, of a paper's lowest
               probability over the facets (a paper answers what all of it covers); for
               a comparison, whose sides are different papers, the lowest over the
               facets of the best probability any of them has
    uncovered  the share of the facets that no candidate read covers

Two kinds of question carry their own evidence: a listing by filters alone ("what has
Juho Lee worked on?") is `full` whenever anything is found, and a question that names an
indexed paper by its whole title is `full` unless it asks about something no indexed
abstract mentions ("how does Temperature Scaling help protein folding?" is `partial`):
the words a follow-up asks with ("what does the second one change?") are too plain for
the reader to hold a named paper to them.

The reader does not reorder the candidates: putting those covering every facet first
among the first five gained one case of recall@1 on facets-tune, lost one on recent-tune
(0.86 -> 0.71) and moved no other tune set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from assistant.answer.coverage import PaperCoverage, Reader
from assistant.answer.evidence import Evidence, gather_evidence
from assistant.answer.fitted import Logistic, logistic
from assistant.search.facets import Facet
from assistant.search.retrieval import Hits

READ = 10  # candidates the reader checks for a one-paper answer; a list's are all read
CHOOSE_WITHIN = 5  # the candidates whose coverage the decision weighs


class Grounding(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


@dataclass(frozen=True)
class Grading:
    grounding: Grounding
    facets: tuple[Facet, ...]
    papers: tuple[PaperCoverage, ...]  # the candidates read, in the hits' order
    score: float | None  # P(not every facet answered); None when the question carries evidence
    evidence: Evidence | None
    absent: tuple[Facet, ...] = ()  # facets whose words no indexed abstract holds at all
    together: bool = True  # one paper must cover every facet (not so for a comparison)

    @property
    def refused(self) -> bool:
        return self.grounding is Grounding.NONE

    @property
    def missing(self) -> list[Facet]:
        """Facets that no candidate read covers."""
        return [f for i, f in enumerate(self.facets) if not any(_covers(p, i) for p in self.papers)]

    def coverage_of(self, paper_id: str) -> PaperCoverage | None:
        return next((p for p in self.papers if p.hit.paper.id == paper_id), None)

    def explain(self) -> str:
        """What the papers lack, in one sentence, when a name or a facet says it best."""
        if self.evidence and self.evidence.unseen and self.refused:
            return f"No indexed paper mentions {joined(map(repr, self.evidence.unseen))}."
        if self.grounding is Grounding.FULL or not self.facets:
            return ""
        absent = [f.text for f in self.absent]
        if absent:
            return f"No indexed abstract mentions {joined(absent)}."
        figures = [f.text if f.words else "the figure asked for" for f in self.missing if f.figure]
        if figures:
            return f"None of the closest abstracts reports {joined(figures)}."
        missing = [f.text for f in self.missing]
        if missing:
            return f"None of the closest papers covers {joined(missing)}."
        if len(self.facets) > 1:
            return f"No paper found covers {joined(f.text for f in self.facets)} together."
        return ""

    def to_json(self) -> dict:
        """The decision's numbers: `ask --json`'s "evidence"."""
        model = logistic("grading")
        return {
            "grounding": str(self.grounding),
            "refused": self.refused,
            "score": None if self.score is None else round(self.score, 4),
            "threshold": model.threshold,
            "signals": self.evidence.to_json() if self.evidence else None,
            "missing": [f.text for f in self.missing],
        }


def grade(
    hits: Hits,
    reader: Reader,
    coverage: Logistic | None = None,
    model: Logistic | None = None,
) -> tuple[Grading, Hits]:
    """The grading of these hits, and the hits it was made on. The fitted models
    (fitted.json) unless others are given (evals/fit.py fits them)."""
    question = hits.question
    facets = question.facets
    together = question.facets_together
    if not hits:
        return Grading(Grounding.NONE, facets, (), None, None, together=together), hits
    read = reader.read(facets, hits if question.wants_all else hits[:READ], coverage)
    if question.topic_free:
        return Grading(Grounding.FULL, facets, tuple(read), None, None), hits
    if question.named:  # the title is the evidence; only what no abstract mentions is lacking
        absent = tuple(f for f in facets if not reader.mentioned(f))
        grounding = Grounding.PARTIAL if absent else Grounding.FULL
        graded = Grading(grounding, facets, tuple(read), None, None, absent, together)
        return graded, hits
    evidence = gather_evidence(hits, reader.local)
    features = evidence.features() | coverage_features(facets, read, together)
    model = model or logistic("grading")
    score = model.probability(features)
    if score < model.threshold:
        graded = Grading(Grounding.FULL, facets, tuple(read), score, evidence, together=together)
        return graded, hits
    grounding = Grounding.PARTIAL if any(p.covered for p in read) else Grounding.NONE
    absent = tuple(f for f in facets if not reader.mentioned(f))
    return Grading(grounding, facets, tuple(read), score, evidence, absent, together), hits


def coverage_features(
    facets: tuple[Facet, ...], read: list[PaperCoverage], together: bool = True
) -> dict[str, float]:
    """The grading model's coverage inputs (the module docstring). A comparison's facets
    may be covered by different papers: its weakest is then the facet least covered by
    any of the first CHOOSE_WITHIN."""
    first = read[:CHOOSE_WITHIN]
    covered = sum(any(_covers(p, i) for p in read) for i in range(len(facets)))
    if together:
        weakest = max((p.weakest for p in first), default=0.0)
    else:
        best = [
            max((p.supports[i].probability for p in first), default=0.0) for i in range(len(facets))
        ]
        weakest = min(best, default=1.0)
    return {"weakest": weakest, "uncovered": 1 - covered / len(facets) if facets else 0.0}


def _covers(paper: PaperCoverage, facet: int) -> bool:
    return paper.supports[facet].covered


def joined(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
