"""Duplicate detection: planted copies found, precision and recall per kind, time against datasketch.

    python bench/duplicates.py                 # ~100,000 sections (about 77 MB of articles)
    python bench/duplicates.py --mb 5          # a quick run
    python bench/duplicates.py --json

A corpus is generated (bench/corpus.py) and indexed; then copies of randomly chosen sections are
planted as new articles, in four kinds: ``exact`` (the same text), ``edited`` (words swapped:
原因/要因, です/である, 特に/とくに, a clinic's name added), ``reordered`` (sentences shuffled) and
``partial`` (the first two thirds of the sentences plus one of another article's). The index is
rebuilt (incrementally, as an editor's build would be), and:

- **recall** per kind: a planted copy is found when kb puts it in the cluster of copies its
  source is in, or matches it with its source or with a place of that cluster (a looser match
  is a pair of its own, in no cluster; one is kept between a text and a group of copies);
- **precision** per kind: of kb's matches that involve a planted copy, the share that link it to
  its source (or to what its source's cluster already holds); and the share of matches whose
  two sides have in common mostly (80%) text the copy took from where it came from: its source,
  or for a partial copy the other section it took a sentence from (**from the copy's origin**:
  the corpus repeats sentences, so a copy rightly matches other sections that hold them);
- **independent articles**: tests/fixtures/independent/ holds pairs of articles written
  independently on the same topics; the number of matches between any two of them (target 0);
- **time**: kb's duplicate step over every section and paragraph, from scratch, next to
  datasketch used at its best on the same units and shingles (``MinHash.bulk`` with 128
  permutations, ``MinHashLSH`` at the same 0.5 threshold, every unit inserted and queried).

The generated corpus itself recombines sentences, so it holds many natural near-copies; they are
not counted either way (only matches that involve a planted article are scored).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``kb`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import generate_corpus  # noqa: E402

KINDS = ("exact", "edited", "reordered", "partial")
SWAPS = (("原因", "要因"), ("です。", "である。"), ("ます。", "る。"), ("特に", "とくに"), ("場合", "とき"))
SENTENCE = re.compile(r"[^。]+。")
SECTIONS_PER_MB = 1300  # what bench/corpus.py makes
# pairs of articles written independently on the same topics (see the folder's README)
INDEPENDENT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "independent"


def plant(db_path: Path, folder: Path, count: int, seed: int) -> dict[str, tuple[int, str, list[int]]]:
    """Write planted copies as new articles; returns article id -> (source section id, kind,
    the sections its text came from)."""
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "select id, text from sections where length(text) between 250 and 1500 and boilerplate = 0"
    ).fetchall()
    conn.close()
    rng = random.Random(seed)
    sources = rng.sample(rows, min(count, len(rows)))
    planted = {}
    for n, (section_id, text) in enumerate(sources):
        kind = KINDS[n % len(KINDS)]
        sentences = SENTENCE.findall(text) or [text]
        if kind == "edited":
            copy = text
            for old, new in SWAPS:
                copy = copy.replace(old, new)
            copy = "さくら鍼灸院です。" + copy
        elif kind == "reordered":
            shuffled = sentences[:]
            rng.shuffle(shuffled)
            copy = "".join(shuffled)
        elif kind == "partial":
            donor = rng.choice(rows)
            other = SENTENCE.findall(donor[1]) or ["別の話題です。"]
            copy = "".join(sentences[: max(1, len(sentences) * 2 // 3)]) + other[0]
            origins = [section_id, donor[0]]
        else:
            copy = text
        article_id = f"planted-{n:05d}"
        (folder / f"{article_id}.md").write_text(
            f"---\ntitle: 転載記事{n}\n---\n## 転載\n\n{copy}\n", encoding="utf-8")
        planted[article_id] = (section_id, kind, origins if kind == "partial" else [section_id])
    return planted


def score(db_path: Path, planted: dict[str, tuple[int, str, list[int]]]) -> dict[str, dict]:
    """Recall and precision per kind. A match of a planted copy is ``right`` when it links the
    copy to its source or its source's cluster; it is ``from_origin`` when, besides, what the two
    sides have in common (their common shingles) is at least 80% text of the sections the copy
    came from: the generated corpus repeats sentences, so other sections hold that text too,
    and such a match is true though it is not a link to the source itself."""
    import sqlite_utils

    from kb.duplicates.stored import unit_shingles

    conn = sqlite3.connect(db_path)
    db = sqlite_utils.Database(conn)
    cluster_of: dict[int, set[int]] = {}
    for cluster_id, section_id in conn.execute("select cluster_id, section_id from duplicate_places"):
        cluster_of.setdefault(section_id, set()).add(cluster_id)
    out = {k: {"planted": 0, "found": 0, "matches": 0, "right": 0, "from_origin": 0} for k in KINDS}
    for article_id, (source, kind, origins) in planted.items():
        row = out[kind]
        row["planted"] += 1
        copy_sections = [r[0] for r in conn.execute(
            "select id from sections where article_id = ?", [article_id])]
        source_clusters = cluster_of.get(source, set())
        origin_shingles = set().union(*(unit_shingles(db, s) for s in origins))
        found = any(cluster_of.get(s, set()) & source_clusters for s in copy_sections)
        for a_article, a_section, a_paragraph, b_article, b_section, b_paragraph in conn.execute(
            "select a_article_id, a_section_id, a_paragraph, b_article_id, b_section_id, "
            "b_paragraph from duplicates where a_article_id = ? or b_article_id = ?",
            [article_id, article_id]
        ):
            if a_article == article_id and b_article == article_id:
                continue
            other = (b_section, b_paragraph) if a_article == article_id else (a_section, a_paragraph)
            row["matches"] += 1
            right = other[0] == source or bool(cluster_of.get(other[0], set()) & source_clusters)
            row["right"] += right
            found = found or right
            mine = (a_section, a_paragraph) if a_article == article_id else (b_section, b_paragraph)
            common = unit_shingles(db, *mine) & unit_shingles(db, *other)
            share = len(common & origin_shingles) / len(common) if common else 0.0
            row["from_origin"] += right or share >= 0.8
        row["found"] += found
    conn.close()
    for row in out.values():
        row["recall"] = round(row["found"] / row["planted"], 3) if row["planted"] else None
        row["precision"] = round(row["right"] / row["matches"], 3) if row["matches"] else None
        row["precision_origin"] = round(row["from_origin"] / row["matches"], 3) if row["matches"] else None
    return out


def time_kb(db_path: Path) -> tuple[float, int]:
    """kb's duplicate step from scratch over every unit of the index."""
    import sqlite_utils

    from kb.duplicates import engine as duplicate_store

    work = db_path.with_name("timing.db")
    shutil.copy(db_path, work)
    db = sqlite_utils.Database(sqlite3.connect(work))
    for table in ("dup_signatures", "duplicates", "duplicate_places", "duplicate_clusters"):
        db.execute(f"delete from {table}")
    started = time.perf_counter()
    duplicate_store.update_duplicates(db)
    seconds = time.perf_counter() - started
    units = db.execute("select count(*) from dup_signatures").fetchone()[0]
    db.close()
    return seconds, units


def time_datasketch(db_path: Path) -> tuple[float, int]:
    """datasketch at its best on the same units and 3-word shingles."""
    from datasketch import MinHash, MinHashLSH

    from kb.analysis import decode_spans

    conn = sqlite3.connect(db_path)
    sections = {sid: (body.split(), [s for s, _ in decode_spans(blob)])
                for sid, body, blob in conn.execute(
                    "select s.id, f.body, t.spans from sections s join sections_fts f on f.rowid = s.id "
                    "left join term_spans t on t.section_id = s.id")}
    units = conn.execute("select unit, section_id, paragraph, start, end from dup_signatures").fetchall()
    conn.close()
    started = time.perf_counter()
    shingle_sets = []
    for _, section_id, paragraph, start, end in units:
        terms, starts = sections[section_id]
        if paragraph is not None and len(starts) == len(terms):
            from bisect import bisect_left
            terms = terms[bisect_left(starts, start) : bisect_left(starts, end)]
        items = {" ".join(terms[i : i + 3]).encode() for i in range(max(1, len(terms) - 2))}
        shingle_sets.append(list(items))
    hashes = MinHash.bulk(shingle_sets, num_perm=128)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for (key, *_), minhash in zip(units, hashes):
        lsh.insert(key, minhash)
    pairs = 0
    for (key, *_), minhash in zip(units, hashes):
        pairs += len(lsh.query(minhash)) - 1
    return time.perf_counter() - started, pairs // 2


def independent_pairs(folder: Path | None = None) -> dict:
    """Matches between articles written independently on the same topics (should be none)."""
    from kb.index import build_index
    from kb.duplicates import list_duplicates
    from kb.index import open_db

    folder = folder or INDEPENDENT
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "kb.db"
        report = build_index(folder, db_path, workers=1)
        db = open_db(db_path)
        found = [f"{d['kind']} {d['similarity']}: {d['a']['article_id']} / {d['b']['article_id']}"
                 for d in list_duplicates(db) if d["a"]["article_id"] != d["b"]["article_id"]]
        db.close()
    return {"articles": report.articles, "pairs": len(found), "found": found}


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=100_000, help="about this many sections")
    parser.add_argument("--mb", type=float, help="corpus size in MB (instead of --sections)")
    parser.add_argument("--plants", type=int, default=400, help="planted copies (default 400)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    mb = args.mb or args.sections / SECTIONS_PER_MB
    from kb.index import build_index

    with tempfile.TemporaryDirectory() as tmp:
        folder, db_path = Path(tmp) / "articles", Path(tmp) / "kb.db"
        print(f"generating {mb:.1f} MB and building ...", file=sys.stderr)
        generate_corpus(folder, mb=mb, seed=args.seed)
        build_index(folder, db_path)
        planted = plant(db_path, folder, args.plants, args.seed)
        started = time.perf_counter()
        report = build_index(folder, db_path)
        incremental = time.perf_counter() - started
        scores = score(db_path, planted)
        print("timing kb and datasketch ...", file=sys.stderr)
        kb_seconds, units = time_kb(db_path)
        ds_seconds, ds_pairs = time_datasketch(db_path)
    independent = independent_pairs()
    doc = {"corpus_mb": mb, "independent": independent, "units": units, "planted": len(planted), "kinds": scores,
           "kb_seconds": round(kb_seconds, 2), "datasketch_seconds": round(ds_seconds, 2),
           "datasketch_pairs": ds_pairs, "incremental_build_seconds": round(incremental, 2),
           "incremental_analyzed": report.analyzed}
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(f"corpus {mb:.1f} MB, {units:,} sections and paragraphs, {len(planted)} planted copies")
    print(f"{'kind':<10} {'planted':>7} {'recall':>7} {'precision':>9} {'from the copy origin':>20}")
    for kind, row in scores.items():
        print(f"{kind:<10} {row['planted']:>7} {_figure(row['recall']):>7} "
              f"{_figure(row['precision']):>9} {_figure(row['precision_origin']):>20}")
    print(f"\nindependently written articles on shared topics ({INDEPENDENT.name}): "
          f"{independent['articles']} articles, {independent['pairs']} pairs between articles"
          + "".join(f"\n  {p}" for p in independent["found"]))
    print(f"\nkb duplicate step from scratch: {kb_seconds:.1f} s; datasketch (bulk + LSH, insert and "
          f"query all): {ds_seconds:.1f} s; ratio {ds_seconds / kb_seconds:.1f}x")
    print(f"incremental build adding {report.analyzed} planted articles: {incremental:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
