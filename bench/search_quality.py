"""Search quality: kb's search against four common baselines on a judged query set.

    python bench/search_quality.py                      # kb's own queries and dev set part a
    python bench/search_quality.py --set b              # part b, held out: figures only
    python bench/search_quality.py --json               # one JSON document

The index is built from ``articles/`` and the development set's 16 articles
(``bench/data/devset/``) into a temporary database with ``kb.index.build_index``. Every system
searches the same units, the rows of its ``sections`` table (a Q&A pair is a section), and each
hit is mapped back to ``(article id, heading)`` to be scored against a query set: kb's own
``tests/search_queries.yml`` or a part of the development set (see ``bench/metrics.py`` for the
metrics and the condensed lists). Part a is for tuning, part b is held out.

- ``kb``: ``kb.search.rank.search``.
- ``unicode61``: FTS5 ``unicode61`` over heading and text, queried as Datasette's search box does
  (``datasette.utils.escape_fts``: each word double-quoted, words ANDed), ranked by bm25.
- ``trigram``: FTS5 ``trigram`` tokenizer, the same quoting (so words under three characters
  match nothing), ranked by bm25.
- ``cjk-bigram``: what Lucene's CJKAnalyzer does: width folded, lower-cased, overlapping bigrams
  of CJK runs, Latin words whole, English stop words dropped; stored space-separated in a
  ``unicode61`` table; the query's bigrams ORed, ranked by bm25.
- ``sudachi-or``: what Elasticsearch's analysis-sudachi does by default: SudachiPy C units,
  normalized forms, particles/auxiliaries/symbols/blanks dropped; the query's forms ORed, bm25.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Callable, Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``kb`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.metrics import (  # noqa: E402
    DEFAULT_QUERIES, DEVSET, ROOT, IndexedArticle, JudgedQuery, Key, QueryScore,
    load_devset_queries, load_queries, score_queries, summarize,
)

DEFAULT_ARTICLES = ROOT / "articles"
DEPTH = 50  # hits fetched per query (nDCG looks at 10; the reciprocal rank at all of them)
WEAK_NDCG = 0.7
Search = Callable[[str], list[Key]]

# Lucene's CJKAnalyzer stop words (English).
CJK_STOP_WORDS = frozenset(
    "a and are as at be but by for if in into is it no not of on or s such t that the their then "
    "there these they this to was will with www".split()
)
_CJK = r"\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005"
_BIGRAM_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_]+")
SUDACHI_DROPPED_POS = ("助詞", "助動詞", "補助記号", "空白")


def build_kb(articles: Path, db_path: Path):
    """Build kb's index and return it opened with kb's own opener."""
    from kb.index import build_index
    from kb.index import open_db

    build_index(articles, db_path, workers=1)
    return open_db(db_path)


def section_rows(db) -> list[tuple[int, str, str, str]]:
    """(id, article id, heading, text) of every row of the ``sections`` table."""
    return [tuple(r) for r in db.execute(
        "select id, article_id, coalesce(heading, ''), coalesce(text, '') from sections order by id"
    ).fetchall()]


def kb_system(db) -> Search:
    from kb.search import search

    headings = {r[0]: (r[1], r[2]) for r in section_rows(db)}

    def run(query: str) -> list[Key]:
        return [headings[h.section_id] for h in search(db, query, limit=DEPTH).hits]

    return run


class Fts5Baseline:
    """An in-memory FTS5 table (heading, body) over the sections, searched with bm25."""

    def __init__(self, rows: Sequence[tuple[int, str, str, str]], tokenize: str,
                 analyze: Callable[[str], str] = lambda s: s,
                 make_query: Callable[[str], str | None] = lambda q: q) -> None:
        self.conn = sqlite3.connect(":memory:")
        self.conn.execute(f"create virtual table s using fts5(heading, body, tokenize=\"{tokenize}\")")
        self.conn.executemany(
            "insert into s (rowid, heading, body) values (?, ?, ?)",
            [(r[0], analyze(r[2]), analyze(r[3])) for r in rows],
        )
        self.keys = {r[0]: (r[1], r[2]) for r in rows}
        self.make_query = make_query

    def __call__(self, query: str) -> list[Key]:
        expression = self.make_query(query)
        if not expression:
            return []
        try:
            rows = self.conn.execute(
                f"select rowid from s where s match ? order by rank limit {DEPTH}", [expression]
            ).fetchall()
        except sqlite3.OperationalError:  # FTS5 syntax error: the search box shows no results
            return []
        return [self.keys[r[0]] for r in rows]


def datasette_query(query: str) -> str | None:
    """The FTS5 expression Datasette's search box sends: every word quoted, ANDed."""
    from datasette.utils import escape_fts

    return escape_fts(query) or None


def cjk_bigrams(text: str) -> list[str]:
    """Tokens as Lucene's CJKAnalyzer makes them: bigrams of CJK runs, other words whole."""
    text = unicodedata.normalize("NFKC", text).lower()
    tokens = []
    for m in _BIGRAM_TOKEN.finditer(text):
        word = m.group()
        if re.match(rf"[{_CJK}]", word):
            tokens += [word[i : i + 2] for i in range(len(word) - 1)] if len(word) > 1 else [word]
        elif word not in CJK_STOP_WORDS:
            tokens.append(word)
    return tokens


class SudachiForms:
    """SudachiPy C units' normalized forms, as analysis-sudachi indexes them by default."""

    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode

        self.dictionary = Dictionary(dict="core")
        self.tokenizer = self.dictionary.tokenizer(mode=SplitMode.C)

    def __call__(self, text: str) -> list[str]:
        forms = []
        for line in text.splitlines():
            if not line.strip():
                continue
            for m in self.tokenizer.tokenize(line):
                if m.part_of_speech()[0] in SUDACHI_DROPPED_POS:
                    continue
                form = m.normalized_form().lower().strip()
                if form:
                    forms.append(form)
        return forms


def or_query(terms: Sequence[str]) -> str | None:
    quoted = dict.fromkeys('"' + t.replace('"', '""') + '"' for t in terms)
    return " OR ".join(quoted) or None


def baselines(rows: Sequence[tuple[int, str, str, str]]) -> dict[str, Search]:
    sudachi = SudachiForms()
    return {
        "unicode61": Fts5Baseline(rows, "unicode61", make_query=datasette_query),
        "trigram": Fts5Baseline(rows, "trigram", make_query=datasette_query),
        "cjk-bigram": Fts5Baseline(
            rows, "unicode61", analyze=lambda s: " ".join(cjk_bigrams(s)),
            make_query=lambda q: or_query(cjk_bigrams(q)),
        ),
        "sudachi-or": Fts5Baseline(
            rows, "unicode61", analyze=lambda s: " ".join(sudachi(s)),
            make_query=lambda q: or_query(sudachi(q)),
        ),
    }


QUERY_SETS = ("ours", "a", "b")
HELD_OUT = ("b",)


def corpus_folder(folder: Path, articles: Path, devset: Path = DEVSET) -> Path:
    """``folder`` filled with kb's articles and the whole development set's (one corpus for
    every query set; each set's pool says which articles its queries were judged over)."""
    for source in (articles, devset / "articles"):
        for path in sorted(source.rglob("*.md")):
            target = folder / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return folder


def indexed_articles(db) -> list[IndexedArticle]:
    """Every article of the index with its title, language and headings."""
    headings: dict[str, list[str]] = {}
    for article_id, heading in db.execute(
            "select article_id, coalesce(heading, '') from sections order by id").fetchall():
        headings.setdefault(article_id, []).append(heading)
    return [IndexedArticle(r[0], r[1], r[2], tuple(headings.get(r[0], ())))
            for r in db.execute("select id, title, lang from articles order by id").fetchall()]


def load_set(name: str, articles: list[IndexedArticle], own_ids: frozenset[str],
             own_queries: Path = DEFAULT_QUERIES, devset: Path = DEVSET) -> list[JudgedQuery]:
    """A query set: ``ours`` (judged over kb's own articles) or a part of the development set
    (``a``, ``b``: judged over that part's articles, ``a-*.md`` or ``b-*.md``)."""
    if name == "ours":
        queries = load_queries(own_queries)
        for q in queries:
            q.pool = own_ids
        return queries
    part = [a for a in articles if a.id.startswith(f"{name}-")]
    return load_devset_queries(devset / f"{name}-queries.yml", part)


def evaluate(articles: Path, sets: Sequence[str]) -> dict:
    """Build one index of kb's and the development set's articles, run every query of every set
    on every system: ``{"sets": {name: (queries, {system: scores})}, ...}``."""
    with tempfile.TemporaryDirectory(prefix="kb-quality-") as tmp:
        corpus = corpus_folder(Path(tmp) / "corpus", articles)
        started = time.perf_counter()
        db = build_kb(corpus, Path(tmp) / "kb.db")
        build_seconds = time.perf_counter() - started
        try:
            rows = section_rows(db)
            systems: dict[str, Search] = {"kb": kb_system(db), **baselines(rows)}
            every = indexed_articles(db)
            own_ids = frozenset(p.stem for p in articles.rglob("*.md")) & {a.id for a in every}
            results = {}
            for name in sets:
                queries = load_set(name, every, own_ids)
                scores = {system: score_queries(queries, [run(q.query) for q in queries])
                          for system, run in systems.items()}
                results[name] = (queries, scores)
        finally:
            db.close()
    return {"sets": results, "sections": len(rows), "build_seconds": build_seconds}


def behind_bm25(scores: dict[str, list[QueryScore]], baseline: str = "sudachi-or",
                top: int = 3) -> list[tuple[QueryScore, QueryScore]]:
    """Queries where plain BM25 (``baseline``) has a relevant unit in its first ``top`` hits and
    kb has none in its own."""
    def hit(s: QueryScore) -> bool:
        return any(s.query.grades.get(key, 0) for key in s.ranking[:top])
    return [(k, b) for k, b in zip(scores["kb"], scores[baseline]) if hit(b) and not hit(k)]


def report(result: dict) -> dict:
    """The JSON document: per query set, each system's figures overall and per kind, and (for
    sets that are not held out) each query's."""
    doc: dict = {"sections": result["sections"], "build_seconds": round(result["build_seconds"], 1),
                 "sets": {}}
    for name, (queries, scores) in result["sets"].items():
        entry = {
            "queries": len(queries),
            "systems": {system: summarize(s) for system, s in scores.items()},
            "behind_bm25": len(behind_bm25(scores)),
        }
        if name not in HELD_OUT:
            entry["per_query"] = [
                {"query": q.query, "kinds": list(q.kinds),
                 **{system: {"ndcg": round(s[i].ndcg, 4), "rr": round(s[i].rr, 4),
                             "top": [list(k) for k in s[i].ranking[:3]]}
                    for system, s in scores.items()}}
                for i, q in enumerate(queries)
            ]
        doc["sets"][name] = entry
    return doc


def print_tables(doc: dict, result: dict, weak_below: float = WEAK_NDCG,
                 show_held_out: bool = False) -> None:
    print(f"{doc['sections']} sections (kb's articles and the development set's); "
          "nDCG@10 (gain 2^grade-1), MRR of the first hit with grade >= 2; hits from articles a "
          "query was not judged over are dropped first\n")
    for name, entry in doc["sets"].items():
        systems = entry["systems"]
        names = list(systems)
        label = {"ours": "kb's own queries (tuned on)", "a": "development set, part a (tuned on)",
                 "b": "development set, part b (held out)"}[name]
        print(f"== {label}: {entry['queries']} queries")
        print(f"{'system':<12} {'nDCG@10':>8} {'MRR':>6}")
        for system in names:
            print(f"{system:<12} {systems[system]['ndcg']:>8.3f} {systems[system]['mrr']:>6.3f}")
        print(f"\nnDCG@10 / MRR per query kind")
        print(f"{'kind':<17} {'n':>3} " + " ".join(f"{n:>13}" for n in names))
        for kind, row in systems["kb"]["by_kind"].items():
            cells = " ".join(f"{systems[n]['by_kind'][kind]['ndcg']:>6.3f}/"
                             f"{systems[n]['by_kind'][kind]['mrr']:<6.3f}" for n in names)
            print(f"{kind:<17} {row['queries']:>3} {cells}")
        queries, scores = result["sets"][name]
        hidden = name in HELD_OUT and not show_held_out
        behind = behind_bm25(scores)
        print(f"\nqueries where sudachi-or has a relevant unit in its top 3 and kb has none: "
              f"{len(behind)}")
        if hidden:
            print("(held out: per-query results not shown; --show-held-out shows them)\n")
            continue
        for k, b in behind:
            print(f"  [{','.join(k.query.kinds)}] {k.query.query}")
            print(f"      kb: {_tops(k)}\n      sudachi-or: {_tops(b)}")
        weak = [s for s in scores["kb"] if s.ndcg < weak_below]
        print(f"\nkb's queries with nDCG@10 < {weak_below} ({len(weak)}):")
        for s in weak:
            print(f"  [{','.join(s.query.kinds)}] {s.query.query}  nDCG={s.ndcg:.3f} RR={s.rr:.3f}")
            for rank, key in enumerate(s.ranking[:3], 1):
                print(f"      {rank}. ({s.query.grades.get(key, 0)}) {key[0]}: {key[1] or '(introduction)'}")
            if not s.ranking:
                print("      (no hits)")
            best = max(s.query.grades, key=s.query.grades.get)
            print(f"      wanted: {best[0]}: {best[1] or '(introduction)'}")
        print()


def _tops(s: QueryScore) -> str:
    return " | ".join(f"({s.query.grades.get(k, 0)}) {k[1] or '(introduction)'}"
                      for k in s.ranking[:3]) or "(no hits)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES,
                        help="folder of kb's own Markdown articles (default: articles/)")
    parser.add_argument("--set", dest="sets", action="append", choices=QUERY_SETS,
                        help="query set to run, again for more: ours (tests/search_queries.yml), "
                             "a, b (the development set's parts; b is held out). Default: ours, a")
    parser.add_argument("--show-held-out", action="store_true",
                        help="also list the held-out set's queries one by one (after freezing)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--weak", type=float, default=WEAK_NDCG,
                        help=f"list kb's queries below this nDCG@10 (default: {WEAK_NDCG})")
    args = parser.parse_args(argv)
    result = evaluate(args.articles, args.sets or ["ours", "a"])
    doc = report(result)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        print_tables(doc, result, args.weak, args.show_held_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
