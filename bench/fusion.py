"""How to fuse the dense and BM25 legs: the comparison behind HYBRID_DENSE_WEIGHT.

For every answerable dev-set question (follow-ups excluded: they need the
conversation first) it takes the two legs' candidates once, then ranks them by
each leg alone, by reciprocal-rank fusion (RRF) with several k, and by weighted
score fusion (w * cosine + (1 - w) * BM25 / best BM25) with several w, and prints
recall at 1, 5 and 10 of the expected papers per question type.

    uv run python bench/fusion.py [--data-dir DIR]

Without --data-dir it ingests the bundled corpus into a temporary folder (~30 s).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from assistant.api import Assistant
from assistant.evaluation.dataset import load_dataset
from assistant.evaluation.metrics import mean, recall_at_k
from assistant.search.question import read_question
from assistant.settings import Settings

DEV = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "dev.jsonl"
TYPES = ("paraphrase", "detail", "comparison", "topic", "metadata")
Legs = tuple[list[tuple[str, float]], list[tuple[str, float]], dict[str, float]]


def rrf(k: int) -> Callable[[Legs], list[str]]:
    def rank(legs: Legs) -> list[str]:
        score: dict[str, float] = defaultdict(float)
        for leg in legs[:2]:
            for place, (paper_id, _) in enumerate(leg, 1):
                score[paper_id] += 1 / (k + place)
        return sorted(score, key=lambda i: -score[i])

    return rank


def weighted(w: float) -> Callable[[Legs], list[str]]:
    def rank(legs: Legs) -> list[str]:
        dense, bm25, cosine = legs
        best = max((s for _, s in bm25), default=1.0)
        lexical = dict(bm25)
        ids = {i for i, _ in dense} | set(lexical)
        score = {i: w * cosine[i] + (1 - w) * lexical.get(i, 0.0) / best for i in ids}
        return sorted(score, key=lambda i: -score[i])

    return rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an index of the bundled corpus")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-fusion-"))
    assistant = Assistant(Settings(data_dir=data_dir))
    if args.data_dir is None:
        assistant.ingest()
    retriever = assistant.retriever
    collection = assistant.index.collection
    stored = collection.get(include=["metadatas"])
    titles = {i: m["title"] for i, m in zip(stored["ids"], stored["metadatas"], strict=True)}

    cases = []
    for case in load_dataset(DEV):
        if case.type not in TYPES:
            continue
        question = read_question(case.question, retriever.catalog)
        if question.topic_free:  # answered by the filters alone: nothing to fuse
            continue
        vector = np.asarray(assistant.embeddings.embed_query(question.query), dtype=np.float32)
        dense = retriever.dense_leg(vector, question.filters, 50)
        bm25 = retriever.bm25_leg(question.query, question.filters, 50)
        ids = list({i for i, _ in dense} | {i for i, _ in bm25})
        stored = collection.get(ids=ids, include=["embeddings"])
        cosine = dict(zip(stored["ids"], np.asarray(stored["embeddings"]) @ vector, strict=True))
        cases.append((case, (dense, bm25, cosine)))

    variants: dict[str, Callable[[Legs], list[str]]] = {
        "dense only": lambda legs: [i for i, _ in legs[0]],
        "bm25 only": lambda legs: [i for i, _ in legs[1]],
        **{f"rrf k={k}": rrf(k) for k in (10, 60)},
        **{f"weighted w={w}": weighted(w) for w in (0.5, 0.7, 0.8, 0.9)},
    }
    print(f"{len(cases)} dev-set questions; recall@1 / @5 / @10 of the expected papers\n")
    print(f"{'fusion':<16}" + "".join(f"{t:>20}" for t in TYPES))
    for name, rank in variants.items():
        cells = []
        for question_type in TYPES:
            found = [
                [titles[i] for i in rank(legs)]
                for case, legs in cases
                if case.type == question_type
            ]
            expected = [c.expected_titles for c, _ in cases if c.type == question_type]
            at = [mean(recall_at_k(f, e, k) for f, e in zip(found, expected, strict=True))
                  for k in (1, 5, 10)]  # fmt: skip
            cells.append(" / ".join(f"{v:.2f}" for v in at))
        print(f"{name:<16}" + "".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    main()
