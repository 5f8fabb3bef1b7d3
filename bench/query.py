"""Query benchmark: is retrieval fast at 100k abstracts? Target: hybrid p95 under 50 ms.

The bundled corpus has 352 papers, far too few to say anything about scale, and embedding
100k real abstracts with MiniLM would take 2.5-3.5 hours on this machine. So the script
builds a synthetic corpus out of the bundled one. Every distinct bundled sentence is
embedded once with the real model. A synthetic abstract is 5-12 of those sentences, mostly
from a few neighbouring papers so it keeps to a topic, with some words swapped for other
technical terms. Its vector is the normalised mean of its sentences' vectors. Authors,
years, venues and sources are generated. The papers go through the real ingest path
(`PaperIndex.upsert`: Chroma writes and the BM25 build), and only the model call is
replaced by a lookup. Then every query runs through `Assistant.search` with the real
MiniLM query embedding, in each mode, with and without filters. Each call is timed,
and so is each stage inside it. The same table is measured on the bundled corpus too,
which is ingested with real embeddings.

On the bundled corpus it also times whole answers: `Assistant.ask` (offline) for every
question of the dev set, next to `Assistant.search` for the same questions, and the cold
start of `assistant ask`: a new process, from its start to the printed answer (target:
under 3 s), next to a bare `python -c pass`, with what the imports cost.

    uv run python bench/query.py [--papers 100000] [--queries 200] [--seed 0]
                                 [--data-dir DIR [--reuse]] [--bundled-only]
                                 [--json bench/results/query.json]

It always exits 0: a benchmark reports, it does not gate. Missed targets print FAIL.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import assistant.search.retrieval as retrieval
from assistant.api import Assistant
from assistant.evaluation.dataset import load_dataset
from assistant.search.retrieval import MODES
from assistant.settings import Settings
from assistant.store.embeddings import MiniLMEmbeddings
from assistant.store.index import PaperIndex, chroma_client
from ingest.load import BUNDLED_CORPUS, load_paths
from ingest.records import PaperRecord, Source, embedding_text, normalise_title

TARGET_P95_MS = 50.0  # hybrid, at TARGET_PAPERS
TARGET_PAPERS = 100_000
TARGET_COLD_ASK_S = 3.0  # `assistant ask`, process start to printed answer, bundled corpus
COLD_RUNS = 5
COLD_QUESTION = "How does DUQ estimate uncertainty?"
DEV_SET = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "dev.jsonl"
# What the imports of `assistant ask` are made of, each timed alone in a new process
# (they share dependencies, so the rows do not add up to the whole).
HEAVY_IMPORTS = ["numpy", "chromadb", "langchain_core.embeddings", "bm25s", "tokenizers",
                 "typer", "rich.console", "assistant.cli"]  # fmt: skip
K = 10
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")

FIRST_NAMES = """José Jürgen Zoë Çağla Şule François Søren Łukasz Björn Inés Chloé André Renée
Mónica Ana Kenji Wei Mei Priya Arjun Olusegun Amara Sergey Yifei Xuxi Tianlong Dongsheng
Maria Elena Lucía Hélène Matthias Katarzyna Nikolai Dmitri Anya Ingrid Astrid Henrik Lars
Mikko Aino Juho Jaakko Sanna Giulia Matteo Chiara Lorenzo Alessandro Pedro João Thiago
Camila Valentina Diego Sebastián Hiroshi Yuki Haruto Sakura Minjun Jiwoo Seo-yeon Hyun
Ravi Ananya Deepak Kavya Rohan Fatima Omar Yusuf Leila Karim Nadia Emre Ayşe Mehmet Zeynep
Kwame Ama Chidi Ngozi Thandiwe Sipho Liam Emma Noah Olivia Ethan Sophia Lucas Mia Oscar
Freya Hugo Anaïs Benoît Maëlle Gaël Dóra Ágnes Tomáš Jiří Věra Radu Ioana Stefan Xin Yue
Hao Jing Lei Ying Zhen Qiang Tuan Linh Minh Anh""".split()
LAST_NAMES = """Forré Müller Çelik Şahin Öztürk Núñez García Pérez Martínez Dvořák Kowalski
Nowak Jäger Lefèvre Østergaard Gonçalves Lindqvist Schölkopf Levine Wang Chen Li Zhang Liu
Yang Huang Zhao Zhou Xu Sun Zhu Gao Lin Luo Zheng Liang Xie Tang Feng Deng Cao Peng Zeng
Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen Yao Nguyen Tran
Pham Hoang Vu Tanaka Suzuki Takahashi Watanabe Yamamoto Nakamura Kobayashi Kim Park Choi
Jung Kang Cho Yoon Jang Lim Sharma Patel Gupta Kumar Singh Iyer Reddy Nair Banerjee Das
Okafor Adeyemi Mensah Okonkwo Nkosi Dlamini Haddad Khalil Rahman Hussain Yilmaz Demir Kaya
Arslan Doğan Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Santos Oliveira
Pereira Almeida Ferreira Rodrigues Sousa Carvalho Fernández González Sánchez Ramírez Torres
Flores Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter
Klein Wolf Neumann Schwarz Zimmermann Krüger Hartmann Lange Werner Krause Lehmann Köhler
Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen
Johansson Andersson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson
Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Petersen
Dubois Moreau Laurent Simon Michel Leroy Roux Fournier Girard Bonnet Dupont Lambert Fontaine
Novák Svoboda Novotný Procházka Kučera Popescu Ionescu Dumitru Stoica Ivanov Smirnov
Kuznetsov Popov Sokolov Volkov Kozlov Novikov Morozov Petrov Pavlov Semenov Golubev
Vinogradov Bogdanov Vorobyov Fyodorov Mikhailov Belyaev Tarasov Hughes Ramsey Whitfield
Thornton Ashworth Pemberton Fairbanks Hollis Kendrick Lowell Prescott Radcliffe Sterling
Winslow Yates Gallagher Brennan Donnelly Fitzgerald Kavanagh McCarthy O'Brien O'Sullivan
Quinlan Sheridan""".split()
SYLLABLES = "ka lo mi nex tra vo ze qu ri fen dor lu sa pho gra zi mo tel ar ion ve sk".split()
SUFFIXES = ["", "", "", "Net", "Former", "-GPT", "-2", "++", "Bench", "Flow", "Diff", "RL"]
VENUES = ["NeurIPS", "ICML", "ICLR", "AISTATS", "UAI", "JMLR", "TMLR", "arXiv", None, None]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
QUESTION_PREFIXES = ["how does", "what is known about", "why do", "can", "does"]
WHICH_TEMPLATES = [
    "which papers use {a} for {b}?",
    "which papers study {a}?",
    "which papers compare {a} and {b}?",
    "Which papers propose a new {a} method?",
    "which works improve {a} with {b}",
]


# --- the synthetic corpus --------------------------------------------------------------


@dataclass
class Vocabulary:
    """What synthetic papers and queries are made of, all taken from the bundled corpus."""

    sentences: list[str]
    sentences_of: list[list[int]]  # bundled paper -> its sentences' numbers
    terms: list[str]  # swapped into synthetic abstracts: acronyms, less common long words
    query_terms: list[str]  # topical words for queries: title words found in abstracts
    title_words: list[list[str]]  # bundled paper -> its title's words


def vocabulary(papers: list[PaperRecord]) -> Vocabulary:
    sentences: dict[str, int] = {}
    sentences_of = []
    for paper in papers:
        parts = SENTENCE.split(paper.abstract)
        parts = [s for s in parts if 25 <= len(s) <= 600] or parts  # none: keep what there is
        sentences_of.append([sentences.setdefault(s, len(sentences)) for s in parts])
    in_papers = Counter(w for p in papers for w in set(WORD.findall(p.abstract)))
    acronym = re.compile(r"[A-Z][A-Za-z0-9-]*[A-Z0-9][A-Za-z0-9-]*")
    terms = sorted(
        w
        for w, df in in_papers.items()
        if acronym.fullmatch(w) or (w.islower() and len(w) >= 7 and 2 <= df <= len(papers) / 5)
    )
    in_titles = {w if acronym.fullmatch(w) else w.lower() for p in papers
                 for w in WORD.findall(p.title)}  # fmt: skip
    query_terms = sorted(
        w
        for w in in_titles
        if (acronym.fullmatch(w) and in_papers[w])
        or (len(w) >= 6 and in_papers[w] + in_papers[w.capitalize()] >= 2)
    )
    titles = [p.title.split() for p in papers]
    return Vocabulary(list(sentences), sentences_of, terms, query_terms, titles)


def invented_names(rng: random.Random, count: int) -> list[str]:
    """Method names like 'Kaon' or 'TrazeNet': rare terms a real 100k corpus is full of."""
    names: set[str] = set()
    while len(names) < count:
        stem = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 3)))
        names.add(stem.capitalize() + rng.choice(SUFFIXES))
    return sorted(names)


def author_pool(rng: random.Random, size: int) -> list[str]:
    names: set[str] = set()
    while len(names) < size:
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTVW')}." if rng.random() < 0.3 else ""
        names.add(f"{rng.choice(FIRST_NAMES)}{middle} {rng.choice(LAST_NAMES)}")
    return sorted(names)


def source_files(rng: random.Random) -> list[Source]:
    """About 400 input files of the four kinds; a trending listing is dated ('Mar 12')."""
    files = [Source(f"posters_{rng.choice(VENUES[:5])}_{2000 + i // 2}_{i}.txt", "poster_session")
             for i in range(60)]  # fmt: skip
    for i in range(120):
        date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
        files.append(Source(f"trending_{date.replace(' ', '_')}_{i}.txt", "trending_listing", date))
    files += [Source(f"publications_{name.split()[-1]}_{i}.html", "publication_list")
              for i, name in enumerate(author_pool(rng, 120))]  # fmt: skip
    files += [Source(f"references_{i}.bib", "bibtex") for i in range(100)]
    return files


def neighbourhoods(vocab: Vocabulary, sentence_vectors: np.ndarray, size: int = 8) -> np.ndarray:
    """For each bundled paper, the `size` bundled papers nearest to it (itself first), by the
    mean of their sentences' vectors: synthetic abstracts draw most sentences from one."""
    centroids = np.stack([sentence_vectors[ids].mean(0) for ids in vocab.sentences_of])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return np.argsort(-(centroids @ centroids.T), axis=1)[:, :size]


def synthetic_corpus(
    vocab: Vocabulary, sentence_vectors: np.ndarray, n: int, seed: int
) -> tuple[list[PaperRecord], np.ndarray]:
    """`n` papers and their vectors (normalised mean of their sentences' vectors)."""
    rng = random.Random(seed)
    near = neighbourhoods(vocab, sentence_vectors)
    swaps = vocab.terms + invented_names(rng, 5000)
    authors = author_pool(rng, 20_000)
    popularity = np.cumsum(1.0 / (np.arange(len(authors)) + 100) ** 0.7).tolist()  # Zipf-like
    files = source_files(rng)
    papers: list[PaperRecord] = []
    vectors = np.empty((n, sentence_vectors.shape[1]), dtype=np.float32)
    titles: set[str] = set()
    for number in range(n):
        topic = near[rng.randrange(len(near))]
        picks = pick_sentences(rng, vocab, topic)
        mean = sentence_vectors[picks].mean(0)
        vectors[number] = mean / np.linalg.norm(mean)
        abstract = swap_words(rng, " ".join(vocab.sentences[i] for i in picks), swaps)
        title = make_title(rng, vocab, topic, swaps, titles)
        papers.append(make_record(rng, number, title, abstract, authors, popularity, files))
    return papers, vectors


def pick_sentences(rng: random.Random, vocab: Vocabulary, topic: np.ndarray) -> list[int]:
    """5-12 distinct sentences, about 70% from the topic's papers, the rest from anywhere."""
    wanted = rng.randint(5, 12)
    local = [s for paper in topic for s in vocab.sentences_of[paper]]
    picks = rng.sample(local, min(len(local), round(wanted * 0.7)))
    while len(picks) < wanted:
        picks.append(rng.randrange(len(vocab.sentences)))
    return list(dict.fromkeys(picks))


def swap_words(rng: random.Random, text: str, terms: list[str]) -> str:
    """1-5 longer words replaced by other technical terms, so the vocabulary varies."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    for i in rng.sample(long, min(len(long), rng.randint(1, 5))):
        words[i] = rng.choice(terms)
    return " ".join(words)


def make_title(
    rng: random.Random, vocab: Vocabulary, topic: np.ndarray, extra: list[str], seen: set[str]
) -> str:
    words = [w for paper in topic for w in vocab.title_words[paper]]
    title = rng.sample(words, min(len(words), rng.randint(6, 14)))
    while normalise_title(" ".join(title)) in seen:  # ids come from titles: keep distinct
        title.append(rng.choice(extra))
    seen.add(normalise_title(" ".join(title)))
    return " ".join([title[0][:1].upper() + title[0][1:], *title[1:]])


def make_record(rng, number, title, abstract, authors, popularity, files) -> PaperRecord:
    year = rng.randint(2000, 2026)
    arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{number:05d}"
    count = rng.choices([1, 2, 3], weights=[80, 17, 3])[0]
    size = rng.randint(1, 8)
    return PaperRecord(
        title=title,
        abstract=abstract,
        authors=tuple(dict.fromkeys(rng.choices(authors, cum_weights=popularity, k=size))),
        year=year,
        venue=rng.choice(VENUES),
        sources=tuple(dict.fromkeys(rng.choices(files, k=count))),
        arxiv_id=arxiv if year >= 2008 and rng.random() < 0.3 else None,
    )


def filter_author(papers: list[PaperRecord], wanted: int) -> str:
    """An author with about `wanted` papers: a realistic, selective author filter."""
    counts = Counter(a for p in papers for a in p.authors)
    return min(counts, key=lambda a: (abs(counts[a] - wanted), a))


# --- building the indexes --------------------------------------------------------------


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def embed_sentences(emb: MiniLMEmbeddings, sentences: list[str]) -> tuple[np.ndarray, dict]:
    seconds, vectors = timed(lambda: emb.embed(sentences))
    stats = {"sentences": len(sentences), "seconds": seconds, "per_s": len(sentences) / seconds}
    print(f"embedded {len(sentences)} corpus sentences with MiniLM in {seconds:.1f} s "
          f"({stats['per_s']:.0f}/s)", flush=True)  # fmt: skip
    return vectors.astype(np.float32), stats


class Passthrough:
    """Stands in for an object; attributes set on it replace the object's own."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class TimedCollection(Passthrough):
    """Times `upsert` and `get` and reports the write progress every `step` papers."""

    def __init__(self, inner, total: int, step: int) -> None:
        super().__init__(inner)
        self.total, self.step = total, step
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.written = 0
        self.started = time.perf_counter()

    def upsert(self, **kwargs):
        seconds, _ = timed(lambda: self.inner.upsert(**kwargs))
        self.seconds["upsert"] += seconds
        before, self.written = self.written, self.written + len(kwargs["ids"])
        if self.written // self.step != before // self.step or self.written == self.total:
            rate = self.written / (time.perf_counter() - self.started)
            print(f"  written {self.written}/{self.total} papers ({rate:.0f}/s)", flush=True)

    def get(self, **kwargs):
        seconds, found = timed(lambda: self.inner.get(**kwargs))
        self.seconds["get"] += seconds
        return found


def ingest_synthetic(settings: Settings, papers: list[PaperRecord], vectors: np.ndarray) -> dict:
    """Everything `assistant ingest` does after parsing, with the model call replaced by a
    lookup of the precomputed vectors."""
    row = {embedding_text(p): i for i, p in enumerate(papers)}
    lookup_s = 0.0

    def embed(texts: list[str], progress) -> list[list[float]]:
        nonlocal lookup_s
        start = time.perf_counter()
        found = vectors[[row[t] for t in texts]].tolist()  # a list, as the real embedder gives
        lookup_s += time.perf_counter() - start
        if progress:
            progress(len(texts), len(texts))
        return found

    # A client of its own would be reopened by upsert, and the timed collection with it.
    index = PaperIndex(settings, embed, client=chroma_client(settings))
    timing = TimedCollection(index.collection, len(papers), max(1, len(papers) // 10))
    index.collection = timing
    rebuild, rebuild_s = index.sidecar.rebuild, [0.0]

    def timed_rebuild(*args):
        seconds, _ = timed(lambda: rebuild(*args))
        rebuild_s[0] += seconds

    index.sidecar.rebuild = timed_rebuild
    print(f"ingesting {len(papers)} synthetic papers into {settings.data_dir}", flush=True)
    total, changes = timed(lambda: index.upsert(papers))
    if changes.added != len(papers):
        sys.exit(f"bench/query.py: ingest added {changes.added} papers, expected {len(papers)}")
    parts = {
        "chroma_upsert_s": timing.seconds["upsert"],
        "chroma_get_s": timing.seconds["get"],
        "bm25_rebuild_s": rebuild_s[0],
        "vector_lookup_s": lookup_s,
    }
    rest = total - sum(parts.values())
    return {"seconds": total, "papers_per_s": len(papers) / total, **parts, "rest_s": rest}


def prepare_synthetic(args, emb: MiniLMEmbeddings, vocab: Vocabulary) -> dict:
    """Build the synthetic index, or reuse the one a previous run left in --data-dir."""
    folder = args.data_dir / "synthetic"
    marker = folder / "bench.json"
    if args.reuse and marker.exists():
        built = json.loads(marker.read_text())
        if (built["papers"], built["seed"]) == (args.papers, args.seed):
            print(f"reusing the synthetic index in {folder} (built {built['built']})")
            return built | {"reused": True}
    shutil.rmtree(folder, ignore_errors=True)
    sentence_vectors, sentence_stats = embed_sentences(emb, vocab.sentences)
    seconds, (papers, vectors) = timed(
        lambda: synthetic_corpus(vocab, sentence_vectors, args.papers, args.seed)
    )
    print(f"generated {len(papers)} synthetic papers in {seconds:.1f} s", flush=True)
    built = {
        "papers": args.papers,
        "seed": args.seed,
        "built": datetime.now(UTC).isoformat(timespec="seconds"),
        "generate_s": seconds,
        "sentence_embedding": sentence_stats,
        "ingest": ingest_synthetic(Settings(data_dir=folder), papers, vectors),
        "filter_author": filter_author(papers, wanted=10),
        "rss_after_ingest_mb": current_rss_mb(),
    }
    marker.write_text(json.dumps(built, indent=2) + "\n")
    return built | {"reused": False}


def prepare_bundled(args, emb: MiniLMEmbeddings, papers: list[PaperRecord]) -> dict:
    """The bundled corpus through `Assistant.ingest()` with real embeddings (a no-op
    re-ingest when --reuse finds it already indexed)."""
    folder = args.data_dir / "bundled"
    if not args.reuse:
        shutil.rmtree(folder, ignore_errors=True)
    assistant = Assistant(Settings(data_dir=folder), embeddings=emb)
    print(f"ingesting the bundled corpus ({len(papers)} papers) with real embeddings",
          flush=True)  # fmt: skip
    seconds, report = timed(assistant.ingest)
    counts = Counter(a for p in papers for a in p.authors)
    return {
        "papers": len(papers),
        "reused": report.added == 0,
        "ingest": {
            "seconds": seconds,
            "papers_per_s": len(papers) / seconds,
            "added": report.added,
            "unchanged": report.unchanged,
        },
        "filter_author": min(counts, key=lambda a: (-counts[a], a)),
    }


# --- queries and timing ----------------------------------------------------------------


def make_queries(vocab: Vocabulary, n: int, seed: int) -> list[dict]:
    """A third each: keywords ('calibration', 'DUQ'), sentence-like questions cut from
    corpus sentences, and "which papers ..." questions (which search deeper)."""
    rng = random.Random(seed + 1)
    queries = []
    for number in range(n):
        kind = ("keywords", "sentence", "which papers")[number % 3]
        if kind == "keywords":
            text = " ".join(rng.sample(vocab.query_terms, rng.randint(1, 3)))
        elif kind == "sentence":
            text = sentence_query(rng, rng.choice(vocab.sentences))
        else:
            a, b = rng.sample(vocab.query_terms, 2)
            text = rng.choice(WHICH_TEMPLATES).format(a=a, b=b)
        queries.append({"kind": kind, "text": text})
    rng.shuffle(queries)
    return queries


def sentence_query(rng: random.Random, sentence: str) -> str:
    words = sentence.rstrip(".").split()
    length = rng.randint(6, 16)
    start = rng.randint(0, max(0, len(words) - length))
    window = words[start : start + length]
    if len(window) > 6 and rng.random() < 0.3:
        del window[rng.randrange(len(window))]
    text = " ".join(window)
    return f"{rng.choice(QUESTION_PREFIXES)} {text}?" if rng.random() < 0.5 else text


class StageClock:
    """Seconds spent in each stage of the search under way."""

    def __init__(self) -> None:
        self.spent: defaultdict[str, float] = defaultdict(float)

    def wrap(self, stage: str, fn: Callable) -> Callable:
        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[stage] += time.perf_counter() - start

        return timed_call

    def take(self) -> dict[str, float]:
        spent, self.spent = dict(self.spent), defaultdict(float)
        return spent


@contextmanager
def instrumented(assistant: Assistant) -> Iterator[StageClock]:
    """Time the stages of `Assistant.search` by wrapping what it calls (µs of overhead)."""
    clock = StageClock()
    retriever = assistant.retriever
    retriever.embed_query = clock.wrap("embed query", retriever.embed_query)
    for stage, name in [
        ("dense leg", "dense_leg"),
        ("bm25 leg", "bm25_leg"),
        ("rank", "_rank"),
        ("rank", "_list_all"),  # filter-only questions
        ("rank", "_hits"),  # records of the final hits only
    ]:
        setattr(retriever, name, clock.wrap(stage, getattr(retriever, name)))
    collection = assistant.index.collection
    assistant.index.collection = proxy = Passthrough(collection)
    proxy.get = clock.wrap("chroma get", collection.get)  # hits' records (and vectors)
    proxy.query = clock.wrap("chroma query", collection.query)  # the dense leg's HNSW
    originals = retrieval.read_question, retrieval.explicit_filters
    retrieval.read_question = clock.wrap("read question", originals[0])
    retrieval.explicit_filters = clock.wrap("read question", originals[1])
    try:
        yield clock
    finally:
        retrieval.read_question, retrieval.explicit_filters = originals


STAGES = ["read question", "embed query", "dense: chroma query (HNSW)",
          "dense: local exact search", "bm25 leg (tokenize + retrieve)", "chroma get (records)",
          "rank + hits, rest", "other"]  # fmt: skip


def stages_of(total: float, spent: dict[str, float]) -> dict[str, float]:
    """Per-stage seconds of one search. The dense leg is Chroma's query plus whatever it
    does locally; ranking and building the hits is their Chroma get plus the rest
    (cosines, from_json, sorting)."""
    query, get = spent.get("chroma query", 0.0), spent.get("chroma get", 0.0)
    stages = {
        "read question": spent.get("read question", 0.0),
        "embed query": spent.get("embed query", 0.0),
        "dense: chroma query (HNSW)": query,
        "dense: local exact search": spent.get("dense leg", 0.0) - query,
        "bm25 leg (tokenize + retrieve)": spent.get("bm25 leg", 0.0),
        "chroma get (records)": get,
        "rank + hits, rest": spent.get("rank", 0.0) - get,
    }
    stages["other"] = total - sum(stages.values())
    return stages


def open_assistant(folder: Path, emb: MiniLMEmbeddings, llm: str = "auto") -> Assistant:
    """An Assistant that embeds every query anew: the benchmark asks each question many
    times (modes, filters), and the Assistant's memory of recent question vectors would
    otherwise leave the model out of all but the first."""
    assistant = Assistant(Settings(data_dir=folder, llm=llm), embeddings=emb)
    assistant.retriever.embed_query = emb.embed_query
    return assistant


def first_search(folder: Path, emb: MiniLMEmbeddings) -> tuple[Assistant, dict]:
    """The first search of a process: it checks the BM25 sidecar against Chroma and loads
    it. If that check rebuilt the sidecar (an index written by older code), time the first
    search of a second Assistant too, which is what every later start costs."""
    assistant = open_assistant(folder, emb)
    rebuild, rebuilt = assistant.index.sidecar.rebuild, []
    assistant.index.sidecar.rebuild = lambda *a: rebuilt.append(rebuild(*a))
    seconds, _ = timed(lambda: assistant.search("warm up: open the index", k=K))
    found = {"first_search_s": seconds}
    if rebuilt:
        print(f"  first search rebuilt the BM25 sidecar ({seconds:.1f} s); timing a fresh start")
        assistant = open_assistant(folder, emb)
        found = {"first_search_s": timed(lambda: assistant.search("warm up", k=K))[0],
                 "first_search_with_rebuild_s": seconds}  # fmt: skip
    return assistant, found


def measure(assistant: Assistant, queries: list[dict], variants: dict) -> dict:
    """Every query in every mode under every filter variant: total and per-stage times."""
    for filters in variants.values():  # warm up every path
        for mode in MODES:
            assistant.search(queries[0]["text"], k=K, filters=filters, mode=mode)
    results: dict = {"latency": {}}
    with instrumented(assistant) as clock:
        for name, filters in variants.items():
            runs = {mode: [] for mode in MODES}
            for query in queries:
                for mode in MODES:  # interleaved, so drift hits every mode alike
                    clock.take()
                    seconds, hits = timed(
                        lambda q=query, m=mode, f=filters: assistant.search(q["text"], K, f, m)
                    )
                    runs[mode].append(
                        {"total": seconds, "hits": len(hits), **stages_of(seconds, clock.take())}
                    )
            for mode in MODES:
                results["latency"].setdefault(mode, {})[name] = summarise_runs(runs[mode])
            print(f"  {name}: done", flush=True)
    return results


def summarise_runs(runs: list[dict]) -> dict:
    def ms(values: list[float]) -> dict:
        array = np.asarray(values) * 1000
        return {"p50": float(np.percentile(array, 50)), "p95": float(np.percentile(array, 95)),
                "mean": float(array.mean()), "max": float(array.max())}  # fmt: skip

    return {
        **ms([r["total"] for r in runs]),
        "excl_embed": ms([r["total"] - r["embed query"] for r in runs]),
        "stages": {s: ms([r[s] for r in runs]) for s in STAGES},
        "mean_hits": statistics.fmean(r["hits"] for r in runs),
    }


def embed_query_alone(emb: MiniLMEmbeddings, queries: list[dict]) -> dict:
    times = [timed(lambda q=q: emb.embed_query(q["text"]))[0] * 1000 for q in queries]
    return {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
            "mean": statistics.fmean(times)}  # fmt: skip


def run_queries(folder: Path, emb, queries, author: str) -> dict:
    variants = {
        "none": None,
        "year 2015-2020": {"year": [2015, 2020]},
        f"author {author}": {"author": author},
        "source poster": {"source": "poster"},
    }
    print(f"querying {folder}", flush=True)
    assistant, opened = first_search(folder, emb)
    results = opened | measure(assistant, queries, variants)
    results["papers_indexed"] = assistant.index.count()
    results["filters"] = variants
    results["embed_query_alone_ms"] = embed_query_alone(emb, queries)
    results["rss_after_queries_mb"] = current_rss_mb()
    return results


# --- whole answers and the cold start --------------------------------------------------


def measure_answers(folder: Path, emb: MiniLMEmbeddings) -> dict:
    """`ask` (offline) and, as the baseline, `search` for every dev-set question (follow-ups
    with their history), interleaved so drift hits both alike."""
    assistant = open_assistant(folder, emb, llm="offline")
    cases = load_dataset(DEV_SET)
    assistant.ask(cases[0].question)  # warm up: open the index, build the chain
    ask, search = [], []
    for case in cases:
        history = [{"role": t.role, "content": t.content} for t in case.history]
        search.append(timed(lambda c=case: assistant.search(c.question))[0])
        ask.append(timed(lambda c=case, h=history: assistant.ask(c.question, history=h))[0])
    return {"questions": len(cases), "ask": summarise_seconds(ask),
            "search": summarise_seconds(search)}  # fmt: skip


def summarise_seconds(seconds: list[float]) -> dict:
    array = np.asarray(seconds) * 1000
    return {"p50": float(np.percentile(array, 50)), "p95": float(np.percentile(array, 95)),
            "mean": float(array.mean()), "max": float(array.max())}  # fmt: skip


def wall_time(command: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def cold_start(folder: Path) -> dict:
    """`assistant ask` (the installed console script) as a user runs it, COLD_RUNS times,
    next to the interpreter's own start; then each heavy import alone, and the share of
    one ask spent importing (python -X importtime: the sum of every module's own time)."""
    python = Path(sys.executable)
    script = python.parent / "assistant"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(folder), "ASSISTANT_LLM": "offline"}
    bare, asks = [], []
    for _ in range(COLD_RUNS):  # interleaved
        bare.append(wall_time([str(python), "-c", "pass"], env)[0])
        seconds, done = wall_time([str(script), "ask", COLD_QUESTION], env)
        if done.returncode != 0 or "[1]" not in done.stdout:
            raise SystemExit(f"assistant ask failed ({done.returncode}): {done.stderr[-2000:]}")
        asks.append(seconds)
    imports = {}
    for module in HEAVY_IMPORTS:
        runs = [wall_time([str(python), "-c", f"import {module}"], env)[0] for _ in range(3)]
        imports[module] = statistics.median(runs) - statistics.median(bare)
    program = "from assistant.cli import app; app()"
    command = [str(python), "-X", "importtime", "-c", program, "ask", COLD_QUESTION]
    _, traced = wall_time(command, env)
    own_us = [int(m) for m in re.findall(r"^import time:\s+(\d+) \|", traced.stderr, re.M)]
    return {
        "runs": COLD_RUNS,
        "ask_s": asks,
        "python_pass_s": bare,
        "ask_median_s": statistics.median(asks),
        "python_pass_median_s": statistics.median(bare),
        "import_alone_s": imports,
        "imports_in_one_ask_s": sum(own_us) / 1e6,
        "modules_imported": len(own_us),
    }


def print_answers(answers: dict, cold: dict) -> list[str]:
    """The answer and cold-start tables; returns the FAIL line when the target is missed."""
    print(f"\nbundled: whole answers, {answers['questions']} dev-set questions, ms")
    print(f"{'call':<40}{'p50':>8}{'p95':>8}{'mean':>8}{'max':>8}")
    for name, row in [("Assistant.search (baseline)", answers["search"]),
                      ("Assistant.ask, offline", answers["ask"])]:  # fmt: skip
        print(
            f"{name:<40}{row['p50']:>8.1f}{row['p95']:>8.1f}{row['mean']:>8.1f}{row['max']:>8.1f}"
        )
    median = cold["ask_median_s"]
    passed = median < TARGET_COLD_ASK_S
    print(f"\ncold start, {cold['runs']} runs each, s: median (all runs)")
    print(f"{'python -c pass (baseline)':<40}{cold['python_pass_median_s']:>8.2f}  "
          + " ".join(f"{s:.2f}" for s in cold["python_pass_s"]))  # fmt: skip
    print(f"{'assistant ask (start to printed answer)':<40}{median:>8.2f}  "
          + " ".join(f"{s:.2f}" for s in cold["ask_s"])
          + f"   < {TARGET_COLD_ASK_S:g}  {'PASS' if passed else 'FAIL'}")  # fmt: skip
    print(f"  of which importing {cold['modules_imported']} modules: "
          f"{cold['imports_in_one_ask_s']:.2f} s (python -X importtime, one run)")  # fmt: skip
    print("  each import alone, over a bare interpreter (they share dependencies):")
    for module, seconds in cold["import_alone_s"].items():
        print(f"    {module:<36}{seconds:>8.2f}")
    return [] if passed else [f"FAIL: cold assistant ask {median:.2f} s"]


# --- reporting -------------------------------------------------------------------------


def current_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024


def code_versions() -> dict[str, str]:
    """Hashes of the files under test: they change often, and uncommitted."""
    root = Path(__file__).resolve().parent.parent
    files = ["assistant/search/retrieval.py", "assistant/store/index.py",
             "assistant/store/sidecar.py", "assistant/store/bm25.py",
             "assistant/search/filters.py", "assistant/search/question.py",
             "assistant/store/catalog.py"]  # fmt: skip
    return {f: hashlib.sha256((root / f).read_bytes()).hexdigest()[:12] for f in files}


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    memory = re.search(r"MemTotal:\s+(\d+)", meminfo)
    return {
        "cpu_count": os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "memory_gb": round(int(memory.group(1)) / 2**20, 1) if memory else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def print_latency(title: str, results: dict, papers: int) -> list[str]:
    """The latency table; returns the FAIL lines for hybrid rows over the target."""
    print(f"\n{title}: {papers} papers, k={K}, {results['queries']} queries per row, ms")
    print(f"{'mode':<8}{'filter':<30}{'p50':>8}{'p95':>8}{'mean':>8}{'p95 w/o embed':>15}"
          f"{'hits':>6}   target      result")  # fmt: skip
    fails = []
    for mode in MODES:
        for name, row in results["latency"][mode].items():
            line = (f"{mode:<8}{name:<30}{row['p50']:>8.1f}{row['p95']:>8.1f}{row['mean']:>8.1f}"
                    f"{row['excl_embed']['p95']:>15.1f}{row['mean_hits']:>6.1f}")  # fmt: skip
            if mode == "hybrid":
                passed = row["p95"] < TARGET_P95_MS
                line += f"   p95 < {TARGET_P95_MS:g}  {'PASS' if passed else 'FAIL'}"
                if not passed:
                    fails.append(f"FAIL: {title}, hybrid, {name}: p95 {row['p95']:.1f} ms")
            print(line)
    alone = results["embed_query_alone_ms"]
    print(f"{'embed_query alone (MiniLM)':<38}{alone['p50']:>8.1f}{alone['p95']:>8.1f}"
          f"{alone['mean']:>8.1f}")  # fmt: skip
    print(f"first search (checks + loads the BM25 sidecar): {results['first_search_s']:.2f} s")
    if "first_search_with_rebuild_s" in results:
        print(f"  (the very first, which rebuilt the sidecar: "
              f"{results['first_search_with_rebuild_s']:.1f} s)")  # fmt: skip
    return fails


def print_stages(title: str, results: dict) -> None:
    rows = results["latency"]["hybrid"]
    print(f"\n{title}: where a hybrid search spends its time, mean ms (p95)")
    print(f"{'stage':<34}" + "".join(f"{name[:22]:>24}" for name in rows))
    for stage in [*STAGES, "total"]:
        cells = ""
        for row in rows.values():
            cell = row if stage == "total" else row["stages"][stage]
            cells += f"{cell['mean']:>15.2f} ({cell['p95']:>6.2f})"
        print(f"{stage:<34}{cells}")


def print_ingest(built: dict, bundled: dict) -> None:
    ingest = built["ingest"]
    note = " (reused: numbers from the run that built it)" if built["reused"] else ""
    print(f"\nsynthetic ingest, {built['papers']} papers{note}")
    sentences = built["sentence_embedding"]
    print(f"  MiniLM over {sentences['sentences']} corpus sentences: {sentences['seconds']:.1f} s")
    print(f"  index.upsert: {ingest['seconds']:.1f} s = {ingest['papers_per_s']:.0f} papers/s "
          f"(Chroma upsert {ingest['chroma_upsert_s']:.1f} s, Chroma get "
          f"{ingest['chroma_get_s']:.1f} s, BM25 rebuild {ingest['bm25_rebuild_s']:.1f} s, "
          f"rest {ingest['rest_s']:.1f} s)")  # fmt: skip
    if not bundled["reused"]:
        rate = bundled["ingest"]["papers_per_s"]
        hours = built["papers"] / rate / 3600
        print(f"  excluded: embedding the abstracts themselves; at the bundled corpus's "
              f"{rate:.1f} papers/s that would add about {hours:.1f} h")  # fmt: skip
    else:
        print("  excluded: embedding the abstracts themselves (8-12 papers/s here)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=TARGET_PAPERS)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, help="where the indexes go; default: temp")
    parser.add_argument("--reuse", action="store_true", help="reuse indexes in --data-dir")
    parser.add_argument("--bundled-only", action="store_true",
                        help="skip the synthetic corpus: only the bundled corpus, answers "
                        "and cold start (about a minute)")  # fmt: skip
    parser.add_argument("--json", type=Path, default=Path("bench/results/query.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-query-") as tmp:
        if args.data_dir is None:
            args.data_dir = Path(tmp)
        run(args)


def run(args) -> None:
    load_at_start = os.getloadavg()  # other work on the machine skews every number
    papers = load_paths([BUNDLED_CORPUS], 10**12).papers
    vocab = vocabulary(papers)
    queries = make_queries(vocab, args.queries, args.seed)
    emb = MiniLMEmbeddings()  # defaults: batch 16, 2 threads, as in Settings
    emb.embed(["warm up: load the weights and tokenizer"])

    bundled = prepare_bundled(args, emb, papers)
    built = None if args.bundled_only else prepare_synthetic(args, emb, vocab)
    corpora = [("bundled", args.data_dir / "bundled", bundled["filter_author"])]
    if built:
        corpora.insert(0, ("synthetic", args.data_dir / "synthetic", built["filter_author"]))
    results = {}
    for name, folder, author in corpora:
        results[name] = run_queries(folder, emb, queries, author) | {"queries": len(queries)}
        results[name]["disk_mb"] = {part: folder_mb(folder / part) for part in ("chroma", "bm25")}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("timing whole answers and the cold start of `assistant ask`", flush=True)
    results["answers"] = measure_answers(args.data_dir / "bundled", emb)
    results["cold_start"] = cold_start(args.data_dir / "bundled")

    info = machine()
    print(f"\nmachine: {info}; load average at start {load_at_start[0]:.2f}, "
          f"at end {os.getloadavg()[0]:.2f} (2 = both cores busy with other work)")  # fmt: skip
    fails = []
    if built:
        print_ingest(built, bundled)
        fails += print_latency("synthetic", results["synthetic"], args.papers)
        print_stages("synthetic", results["synthetic"])
    fails += print_latency("bundled", results["bundled"], bundled["papers"])
    print_stages("bundled", results["bundled"])
    fails += print_answers(results["answers"], results["cold_start"])
    if built:
        disk = results["synthetic"]["disk_mb"]
        print(f"\nmemory: peak RSS {peak_mb:.0f} MB"
              + (" (this run built the index; use --reuse for a query-only process)"
                 if not built["reused"] else " (query-only process)")
              + f"; RSS after the synthetic queries "
              f"{results['synthetic']['rss_after_queries_mb']:.0f} MB; synthetic index on "
              f"disk: Chroma {disk['chroma']:.0f} MB, "
              f"BM25 + catalog {disk['bm25']:.0f} MB")  # fmt: skip
    if args.bundled_only:
        print(f"note: --bundled-only: the hybrid p95 target is defined at {TARGET_PAPERS} papers")
    elif args.papers != TARGET_PAPERS:
        print(f"note: the target is defined at {TARGET_PAPERS} papers; this run had {args.papers}")
    for line in fails:
        print(line)

    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "args": {
            k: getattr(args, k) for k in ("papers", "queries", "seed", "reuse", "bundled_only")
        },
        "target": {
            "hybrid_p95_ms": TARGET_P95_MS,
            "papers": TARGET_PAPERS,
            "cold_ask_s": TARGET_COLD_ASK_S,
        },
        "passed": not fails,
        "code": code_versions(),
        "synthetic_build": built,
        "bundled_build": bundled,
        "peak_rss_mb": peak_mb,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "query_examples": queries[:12],
        **results,
    }
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
