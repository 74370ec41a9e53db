#!/usr/bin/env python3
"""Benchmark of ``kb search`` latency on a ~100,000-section index, against a bare FTS5 MATCH.

    python bench/search_speed.py [--sections 100000] [--rounds 3] [--quick] [--json]

1. Index: a corpus from ``bench/corpus.py`` with just enough articles to hold ``--sections``
   sections (rows of the ``sections`` table; --quick: 10,000), built with
   ``python -m kb build --full --quiet``. The index is cached in ``bench/.cache/`` under a key made
   of the generator version, the source articles, the seed, the size, kb's schema version and its
   analyzer fingerprint; it is rebuilt when any of them changes (or with ``--rebuild``).
2. Queries: every query of ``tests/search_queries.yml``; 10 queries of 2-4 Japanese words drawn
   (seeded, weighted by frequency) from the words of the corpus; one 4,000-character query of
   corpus text; one 4,000-character string of FTS5 syntax and punctuation mixed with words.
3. Timing, in one process, interleaved query by query (the two measurements of a query follow
   each other, their order alternating), one warm-up round then ``--rounds`` rounds:
   (a) ``kb.search.rank.search(db, q, limit=10)`` end to end; (b) the bare FTS5 MATCH of the same terms,
   ``select rowid from sections_fts where sections_fts match ? order by rank limit 10`` with
   ``parse_query(q).fts()`` (computed beforehand) as the expression. A query's latency is the
   median of its rounds; p50/p95/max are over queries.
4. Targets: search p95 < 20 ms; search p95 < 3x the bare MATCH p95; each 4,000-character query
   < 100 ms. Also: the 5 slowest queries with the number of FTS5 candidates they match; the
   time of each step ``search()`` calls directly, timed without a profiler, for the slowest
   query and the slowest one of the YAML file; a cProfile of 20 searches of the slowest query
   (top 10 functions by cumulative time).

Before timing, the script waits (``--max-wait``) for other processes to leave the CPUs idle and
then reports how many cores they used while it measured. Exit status is 0 whether the targets
pass or fail; it is non-zero only if the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import json
import math
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # import bench.corpus, not bench/ modules as top-level ones
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.build import (  # noqa: E402
    MIB, OtherLoad, _pad, _width, code_version, log, machine, wait_for_quiet,
)
from bench.corpus import (  # noqa: E402
    CACHE_DIR, GENERATOR_VERSION, MB, generate_article, generate_corpus, load_material,
)

QUERIES_FILE = ROOT / "tests" / "search_queries.yml"
LIMIT = 10
TARGET_P95_MS = 20.0
TARGET_RATIO = 3.0  # search p95 / bare MATCH p95
TARGET_LONG_MS = 100.0
LONG_CHARS = 4000
RANDOM_QUERIES = 10
SLOWEST = 5
PROFILE_REPEAT = 20
PROFILE_TOP = 10
BARE_SQL = "select rowid from sections_fts where sections_fts match ? order by rank limit 10"
COUNT_SQL = "select count(*) from sections_fts where sections_fts match ?"
VOCABULARY_SECTIONS = 400  # sections sampled for the vocabulary and the long text
_HEADING = re.compile(r"^#{1,6} ", re.M)
_JAPANESE_WORD = re.compile(r"^[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々ー]+$")
_SENTENCE = re.compile(r"[^。\n]+。")
SYNTAX_PIECES = ['"', '"', "*", "NEAR(", "OR", "-", ":", "(", ")", "^", "AND", "NOT", "+", ",",
                 "NEAR", "{", "}", "'", "「", "」"]


# ---------------------------------------------------------------------------------------------
# the index


def cache_key(sections: int, seed: int) -> dict:
    """What the cached index depends on."""
    from kb.analysis import analyzer_fingerprint
    from kb.index.store import SCHEMA_VERSION

    return {
        "generator_version": GENERATOR_VERSION,
        "material": load_material().fingerprint,
        "seed": seed,
        "sections": sections,
        "schema_version": SCHEMA_VERSION,
        "analyzer": analyzer_fingerprint(),
    }


def articles_for(sections: int, seed: int) -> tuple[int, int, int]:
    """(articles, bytes, sections) of the shortest corpus prefix holding ``sections`` sections.

    A generated article's sections are its introduction and one per heading line (kb agrees:
    checked against ``kb.articles.markdown`` on 300 articles), so they are counted without parsing.
    """
    material = load_material()
    total_bytes = total_sections = index = 0
    while total_sections < sections:
        index += 1
        text = generate_article(material, seed, index)
        total_bytes += len(text.encode("utf-8"))
        total_sections += 1 + len(_HEADING.findall(text))
    return index, total_bytes, total_sections


def cached_index(sections: int, seed: int, rebuild: bool = False) -> tuple[Path, dict]:
    """The index of a ``sections``-section corpus under bench/.cache/, built when missing."""
    from kb.index.store import is_compatible
    from kb.index import open_db

    key = cache_key(sections, seed)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    db_path = CACHE_DIR / f"search-speed-{sections}-{digest}.db"
    manifest_path = db_path.with_suffix(".json")
    if not rebuild and db_path.exists() and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("key") == key:
            db = open_db(db_path)
            try:
                ok = is_compatible(db)
                count = db.execute("select count(*) from sections").fetchone()[0]
            finally:
                db.close()
            if ok and count == manifest["index"]["sections"]:
                return db_path, manifest | {"reused": True}

    log(f"generating a corpus of ~{sections:,} sections ...", False)
    articles, size, expected = articles_for(sections, seed)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-search-"))
    try:
        # generate_corpus writes articles until it holds ``mb``: exactly the prefix counted above
        info = generate_corpus(tmp / "articles", size / MB, seed=seed)
        if len(info.files) != articles:
            raise SystemExit(f"corpus has {len(info.files)} articles, expected {articles}")
        log(f"building the index of {articles:,} articles, {info.mb:.1f} MB "
            f"(python -m kb build --full --quiet) ...", False)
        tmp_db = tmp / "kb.db"
        cmd = [sys.executable, "-m", "kb", "build", "--articles", str(info.path),
               "--db", str(tmp_db), "--full", "--quiet"]
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        build_s = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"build failed ({' '.join(cmd)}):\n{proc.stderr}")
        db = open_db(tmp_db)
        try:
            count = db.execute("select count(*) from sections").fetchone()[0]
            qa = db.execute("select count(*) from qa").fetchone()[0]
        finally:
            db.close()
        if count != expected:
            log(f"note: the index holds {count:,} sections, {expected:,} were expected", False)
        for stale in CACHE_DIR.glob(f"search-speed-{sections}-*"):  # older keys, same size
            stale.unlink(missing_ok=True)
        shutil.move(str(tmp_db), db_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    manifest = {
        "key": key,
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "corpus": info.to_dict() | {"path": None},
        "index": {"sections": count, "qa": qa, "articles": articles,
                  "db_mib": round(db_path.stat().st_size / MIB, 1),
                  "build_s": round(build_s, 1)},
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return db_path, manifest | {"reused": False}


# ---------------------------------------------------------------------------------------------
# the queries


def load_queries(path: Path = QUERIES_FILE) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(entry["query"]) for entry in data["queries"]]


def corpus_sample(db, seed: int) -> list[str]:
    """The text of ``VOCABULARY_SECTIONS`` sections of the index, drawn with the seed."""
    lo, hi = db.execute("select min(id), max(id) from sections").fetchone()
    rng = random.Random(f"kb-search-speed:{seed}:sample")
    ids = sorted(rng.sample(range(lo, hi + 1), min(VOCABULARY_SECTIONS, hi - lo + 1)))
    rows = db.execute(
        f"select text from sections where id in ({','.join('?' * len(ids))}) order by id", ids
    ).fetchall()
    return [r[0] for r in rows if r[0]]


def make_queries(db, seed: int) -> list[dict]:
    """Every query measured: {"query", "source"}."""
    from kb.analysis import get_analyzer

    queries = [{"query": q, "source": "yml"} for q in load_queries()]
    texts = corpus_sample(db, seed)
    analyzer = get_analyzer()
    words = [t.surface for text in texts for t in analyzer.tokens(text, "ja")
             if _JAPANESE_WORD.match(t.surface)]
    if not words:
        raise SystemExit("no Japanese words in the corpus sample")
    rng = random.Random(f"kb-search-speed:{seed}:queries")
    for _ in range(RANDOM_QUERIES):  # words drawn from the occurrences: common words more often
        queries.append({"query": " ".join(rng.choice(words) for _ in range(rng.randint(2, 4))),
                        "source": "random-words"})
    sentences = [m.group() for text in texts for m in _SENTENCE.finditer(text)]
    long_text = ""
    while len(long_text) < LONG_CHARS:
        long_text += rng.choice(sentences)
    queries.append({"query": long_text[:LONG_CHARS], "source": "long-text"})
    pieces: list[str] = []
    size = 0
    while size < LONG_CHARS:
        piece = rng.choice(SYNTAX_PIECES) if rng.random() < 0.6 else rng.choice(words)
        piece += rng.choice(("", " ", " ", "  "))
        pieces.append(piece)
        size += len(piece)
    queries.append({"query": "".join(pieces)[:LONG_CHARS], "source": "long-syntax"})
    return queries


# ---------------------------------------------------------------------------------------------
# measuring


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile, linearly interpolated between the closest ranks."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100
    f = math.floor(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def time_queries(db, queries: list[dict], rounds: int) -> None:
    """Add ``search_ms``/``bare_ms`` (one per round) to each query, interleaved query by query."""
    from kb.search import search

    def timed_search(q: dict) -> float:
        started = time.perf_counter()
        search(db, q["query"], limit=LIMIT)
        return (time.perf_counter() - started) * 1000

    def timed_bare(q: dict) -> float:
        started = time.perf_counter()
        db.execute(BARE_SQL, [q["expression"]]).fetchall()
        return (time.perf_counter() - started) * 1000

    for q in queries:
        q["search_ms"], q["bare_ms"] = [], []
    for r in range(rounds + 1):  # round 0 warms up (caches, the dictionary, the synonym file)
        for i, q in enumerate(queries):
            if (r + i) % 2 == 0:
                s, b = timed_search(q), timed_bare(q)
            else:
                b, s = timed_bare(q), timed_search(q)
            if r > 0:
                q["search_ms"].append(s)
                q["bare_ms"].append(b)
    for q in queries:
        q["search_median_ms"] = statistics.median(q["search_ms"])
        q["bare_median_ms"] = statistics.median(q["bare_ms"])
        q["ratio"] = q["search_median_ms"] / q["bare_median_ms"]


def distribution(values: list[float]) -> dict:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "max": max(values),
            "mean": statistics.fmean(values)}


def profile_search(db, query: str, repeat: int = PROFILE_REPEAT) -> dict:
    """cProfile of ``repeat`` searches of ``query``: top functions by cumulative time, and the
    steps ``kb.search.rank.search`` calls directly with the time spent under each."""
    from kb.search import search

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(repeat):
        search(db, query, limit=LIMIT)
    profiler.disable()
    wall_ms = (time.perf_counter() - started) * 1000
    stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tt, ct, callers)}
    this_file = str(Path(__file__).resolve())
    rows = []
    total = 0.0
    search_key = None
    for (file, line, name), (cc, nc, tt, ct, callers) in stats.items():
        if file == this_file or name == "<method 'disable' of '_lsprof.Profiler' objects>":
            continue
        if name == "search" and file.endswith(("kb/search/rank.py", "kb\\search.py")):
            search_key = (file, line, name)
            total = ct
        rows.append({"function": _label(file, line, name), "calls": nc,
                     "tottime_ms": tt * 1000 / repeat, "cumtime_ms": ct * 1000 / repeat})
    rows.sort(key=lambda r: -r["cumtime_ms"])
    steps = []
    if search_key is not None:
        for (file, line, name), (cc, nc, tt, ct, callers) in stats.items():
            edge = callers.get(search_key)
            if edge:
                steps.append({"function": _label(file, line, name), "calls": edge[1] / repeat,
                              "cumtime_ms": edge[3] * 1000 / repeat,
                              "share": edge[3] / total if total else 0.0})
        steps.sort(key=lambda r: -r["cumtime_ms"])
        own = stats[search_key][2]
        steps.append({"function": "search() itself", "calls": 1, "cumtime_ms": own * 1000 / repeat,
                      "share": own / total if total else 0.0})
    return {"query": query, "repeat": repeat,
            "ms_per_search_profiled": wall_ms / repeat,
            "search_cumtime_ms": total * 1000 / repeat,
            "top": rows[:PROFILE_TOP], "steps": steps}


def step_times(db, query: str, repeat: int = PROFILE_REPEAT) -> dict:
    """Time spent in each kb function that ``search()`` calls directly, without a profiler.

    cProfile slows Python code far more than SQLite's C code, so its shares are skewed. Here
    every kb function reachable as a global of ``kb.search.rank`` is wrapped for the measurement
    (restored afterwards) and a call counts when it comes from ``search()`` itself (or from a
    builtin such as ``sorted`` that it calls), not from another wrapped function.
    """
    import inspect

    module = sys.modules["kb.search.rank"]
    spent: dict[str, float] = {}
    calls: dict[str, int] = {}
    depth = [0]

    def wrap(name: str, fn):
        def timed(*a, **k):
            depth[0] += 1
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                depth[0] -= 1
                if depth[0] == 1:  # called from search() (depth 1 while search runs)
                    spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
                    calls[name] = calls.get(name, 0) + 1
        return timed

    originals = {
        name: fn for name, fn in vars(module).items()
        if inspect.isfunction(fn) and (fn.__module__ or "").startswith("kb")
        and name != "search"
    }
    search_fn = module.search
    try:
        for name, fn in originals.items():
            setattr(module, name, wrap(f"{fn.__module__}.{fn.__name__}", fn))
        search_fn(db, query, limit=LIMIT)  # warm
        spent.clear()
        calls.clear()
        total = 0.0
        for _ in range(repeat):
            depth[0] = 1
            started = time.perf_counter()
            search_fn(db, query, limit=LIMIT)
            total += time.perf_counter() - started
        depth[0] = 0
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)
    steps = [{"function": name, "calls": calls[name] / repeat, "ms": s * 1000 / repeat,
              "share": s / total if total else 0.0}
             for name, s in sorted(spent.items(), key=lambda kv: -kv[1])]
    rest = total - sum(spent.values())
    steps.append({"function": "the rest (search() itself, sorting, building hits)", "calls": 1,
                  "ms": rest * 1000 / repeat, "share": rest / total if total else 0.0})
    return {"query": query, "repeat": repeat, "ms_per_search": total * 1000 / repeat,
            "steps": steps}


def _label(file: str, line: int, name: str) -> str:
    if file == "~":
        return name  # a built-in
    path = Path(file)
    try:
        short = str(path.resolve().relative_to(ROOT))
    except ValueError:
        parts = path.parts
        short = "/".join(parts[parts.index("site-packages") + 1:]) if "site-packages" in parts \
            else path.name
    return f"{short}:{line}({name})"


def search_code() -> dict:
    """Fingerprints of the search code measured (it changes often)."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            for path in sorted((ROOT / "kb" / "search").glob("*.py"))}


# ---------------------------------------------------------------------------------------------
# the benchmark


def run(args: argparse.Namespace) -> dict:
    from kb.search import parse_query
    from kb.index import open_db

    whole_run = OtherLoad()
    result: dict = {
        "benchmark": "search_speed",
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/search_speed.py", *sys.argv[1:]]),
        "machine": machine(),
        "code": code_version() | {"files": search_code()},
        "settings": {"sections": args.sections, "rounds": args.rounds, "quick": args.quick,
                     "seed": args.seed, "limit": LIMIT, "max_wait_s": args.max_wait},
    }
    db_path, manifest = cached_index(args.sections, args.seed, args.rebuild)
    result["index"] = manifest["index"] | {"path": str(db_path.relative_to(ROOT)),
                                           "reused": manifest["reused"],
                                           "corpus_mb": manifest["corpus"]["bytes"] / MB,
                                           "created": manifest["created"]}
    db = open_db(db_path)

    queries = make_queries(db, args.seed)
    skipped = []
    measured = []
    for q in queries:
        parsed = parse_query(q["query"])
        q["expression"] = parsed.fts()
        q["truncated"] = parsed.truncated
        q["groups"] = len(parsed.groups)
        (measured if q["expression"] is not None else skipped).append(q)
    log(f"timing {len(measured)} queries: 1 warm-up round + {args.rounds} rounds ...", False)
    result["other_load_before_cores"] = round(wait_for_quiet(args.max_wait), 2)
    load = OtherLoad()
    time_queries(db, measured, args.rounds)
    result["other_load_cores"] = round(load.cores(), 2)

    log("counting candidates and profiling the slowest query ...", False)
    slowest = sorted(measured, key=lambda q: -q["search_median_ms"])
    for q in slowest[:SLOWEST]:
        q["candidates"] = db.execute(COUNT_SQL, [q["expression"]]).fetchone()[0]
    for q in measured:
        if q["source"].startswith("long"):
            q["candidates"] = db.execute(COUNT_SQL, [q["expression"]]).fetchone()[0]
    result["steps"] = step_times(db, slowest[0]["query"])
    result["steps"]["source"] = slowest[0]["source"]
    typical = next((q for q in slowest if q["source"] == "yml"), None)
    if typical is not None and typical is not slowest[0]:  # the slowest query as patients type
        result["steps_yml"] = step_times(db, typical["query"]) | {"source": "yml"}
    result["profile"] = profile_search(db, slowest[0]["query"])
    result["profile"]["source"] = slowest[0]["source"]
    db.close()

    search_ms = [q["search_median_ms"] for q in measured]
    bare_ms = [q["bare_median_ms"] for q in measured]
    s, b = distribution(search_ms), distribution(bare_ms)
    result["latency_ms"] = {"search": s, "bare_match": b}
    result["ratios"] = {"p95": s["p95"] / b["p95"], "p50": s["p50"] / b["p50"],
                        "per_query_median": statistics.median(q["ratio"] for q in measured)}
    result["queries"] = {
        "measured": len(measured),
        "by_source": {src: sum(q["source"] == src for q in measured)
                      for src in dict.fromkeys(q["source"] for q in queries)},
        "skipped_no_expression": [q["query"][:80] for q in skipped],
    }
    result["long_queries"] = [_query_entry(q) for q in measured if q["source"].startswith("long")]
    result["slowest"] = [_query_entry(q) for q in slowest[:SLOWEST]]
    result["per_query"] = [_query_entry(q, full=False) for q in measured]
    result["other_load_whole_run_cores"] = round(whole_run.cores(), 2)
    result["checks"] = _checks(result)
    return result


def _query_entry(q: dict, full: bool = True) -> dict:
    entry = {
        "query": q["query"] if len(q["query"]) <= 200 else q["query"][:200] + "…",
        "chars": len(q["query"]),
        "source": q["source"],
        "groups": q["groups"],
        "search_ms": round(q["search_median_ms"], 3),
        "bare_ms": round(q["bare_median_ms"], 3),
        "ratio": round(q["ratio"], 2),
        "search_runs_ms": [round(x, 3) for x in q["search_ms"]],
        "bare_runs_ms": [round(x, 3) for x in q["bare_ms"]],
    }
    if "candidates" in q:
        entry["candidates"] = q["candidates"]
    if full:
        entry["truncated"] = q["truncated"]
        entry["expression_chars"] = len(q["expression"])
    return entry


def _checks(r: dict) -> list[dict]:
    """Each figure with its target: PASS / FAIL, or info (no target)."""
    checks = []

    def add(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        checks.append({"figure": name, "value": value, "target": target,
                       "result": "info" if ok is None else ("PASS" if ok else "FAIL")})

    s, b = r["latency_ms"]["search"], r["latency_ms"]["bare_match"]
    ratios = r["ratios"]
    add("kb search p50", f"{s['p50']:.2f} ms")
    add("kb search p95", f"{s['p95']:.2f} ms", f"< {TARGET_P95_MS:g} ms", s["p95"] < TARGET_P95_MS)
    add("kb search max", f"{s['max']:.2f} ms")
    add("Bare FTS5 MATCH p50", f"{b['p50']:.2f} ms")
    add("Bare FTS5 MATCH p95", f"{b['p95']:.2f} ms")
    add("Bare FTS5 MATCH max", f"{b['max']:.2f} ms")
    add("Search p95 / bare MATCH p95", f"{ratios['p95']:.1f}x", f"< {TARGET_RATIO:g}x",
        ratios["p95"] < TARGET_RATIO)
    add("Search p50 / bare MATCH p50", f"{ratios['p50']:.1f}x")
    add("Per-query ratio, median", f"{ratios['per_query_median']:.1f}x")
    per_query = r["per_query"]
    add(f"Queries under {TARGET_P95_MS:g} ms: search / bare MATCH",
        f"{sum(q['search_ms'] < TARGET_P95_MS for q in per_query)} / "
        f"{sum(q['bare_ms'] < TARGET_P95_MS for q in per_query)} of {len(per_query)}")
    for q in r["long_queries"]:
        what = "corpus text" if q["source"] == "long-text" else "FTS5 syntax and punctuation"
        add(f"{q['chars']:,}-character query, {what}", f"{q['search_ms']:.1f} ms",
            f"< {TARGET_LONG_MS:g} ms", q["search_ms"] < TARGET_LONG_MS)
    return checks


def format_report(r: dict) -> str:
    m, ix, qs = r["machine"], r["index"], r["queries"]
    sources = ", ".join(f"{n} {src}" for src, n in qs["by_source"].items())
    code = r["code"]
    lines = [
        f"kb search speed benchmark  ({r['date']})",
        f"machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}",
        f"index:   {ix['sections']:,} sections ({ix['qa']:,} Q&A) of {ix['articles']:,} generated "
        f"articles, {ix['corpus_mb']:.1f} MB; {ix['db_mib']:.0f} MiB; "
        + (f"reused from {ix['path']} (built {ix['created']})" if ix["reused"]
           else f"built in {ix['build_s']:.0f} s into {ix['path']}"),
        f"code:    commit {code['commit']}"
        + (" + uncommitted changes in kb/" if code["kb_modified"] else "")
        + f" (kb/search/rank.py {code['files'].get('rank.py')}, kb/search/query.py {code['files'].get('query.py')})",
        f"queries: {qs['measured']} measured ({sources}); a query's latency is the median of "
        f"{r['settings']['rounds']} rounds after a warm-up round; percentiles are over queries",
        "",
    ]
    rows = [("Figure", "Value", "Target", "Result")] + [
        (x["figure"], x["value"], x["target"] or "-", x["result"]) for x in r["checks"]
    ]
    lines += _table(rows)
    lines.append("")
    other = r["other_load_cores"]
    lines.append(
        f"other processes used {other:.2f} cores on average while the queries were timed"
        + ("  ** the machine was busy: figures are less reliable **" if other > 0.15 else "")
    )
    if qs["skipped_no_expression"]:
        lines.append(f"skipped (no FTS5 expression): {len(qs['skipped_no_expression'])}")
    lines.append("")
    lines.append(f"{SLOWEST} slowest queries (kb search):")
    rows = [("Query", "Source", "Search", "Bare", "Ratio", "Candidates")] + [
        (_short(q["query"]), q["source"], f"{q['search_ms']:.1f} ms", f"{q['bare_ms']:.1f} ms",
         f"{q['ratio']:.1f}x", f"{q['candidates']:,}") for q in r["slowest"]
    ]
    lines += ["  " + x for x in _table(rows)]
    lines.append("")
    lines.append("4,000-character queries (only the first 1,000 characters are parsed):")
    for q in r["long_queries"]:
        lines.append(f"  {q['source']:<12} {_short(q['query'])}: search {q['search_ms']:.1f} ms "
                     f"(runs {', '.join(f'{x:.1f}' for x in q['search_runs_ms'])}), bare "
                     f"{q['bare_ms']:.1f} ms, {q['groups']} query words, "
                     f"{q['candidates']:,} candidates")
    p = r["profile"]
    for st in (r["steps"], r.get("steps_yml")):
        if not st:
            continue
        lines.append("")
        lines.append(
            f"where the time goes, {_short(st['query'])} ({st['source']}): "
            f"{st['ms_per_search']:.1f} ms per search over {st['repeat']} searches; the steps "
            "search() calls, timed without a profiler:"
        )
        for step in st["steps"]:
            if step["share"] >= 0.005:
                lines.append(f"    {step['share'] * 100:5.1f}%  {step['ms']:7.2f} ms  "
                             f"{step['function']}  ({step['calls']:g} calls)")
    lines.append("")
    lines.append(f"cProfile of {p['repeat']} searches of {_short(p['query'])} ({p['source']}): "
                 f"{p['ms_per_search_profiled']:.1f} ms per search under the profiler (it slows "
                 "Python code more than SQLite's)")
    lines.append(f"  top {PROFILE_TOP} functions by cumulative time (per search):")
    rows = [("cumtime", "tottime", "calls", "function")] + [
        (f"{t['cumtime_ms']:.2f} ms", f"{t['tottime_ms']:.2f} ms", f"{t['calls'] / p['repeat']:g}",
         t["function"]) for t in p["top"]
    ]
    lines += ["    " + x for x in _table(rows)]
    return "\n".join(lines)


def _short(q: str, n: int = 24) -> str:
    q = q.replace("\n", " ")
    return q if len(q) <= n else q[:n] + "…"


def _table(rows: list[tuple]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        out.append("  ".join(_pad(cell, w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark kb search latency against a bare FTS5 MATCH on a large index.",
    )
    parser.add_argument("--sections", type=int,
                        help="sections in the index (default 100000; --quick 10000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed rounds after the warm-up round (default 3)")
    parser.add_argument("--quick", action="store_true", help="a 10,000-section index")
    parser.add_argument("--seed", type=int, default=0, help="corpus and query seed (default 0)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--max-wait", type=float, default=30.0,
                        help="before timing, wait up to this many seconds for other processes "
                        "to leave the CPUs idle (default 30; 0: do not wait)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if args.sections is None:
        args.sections = 10_000 if args.quick else 100_000
    if args.sections < 100 or args.rounds < 1:
        parser.error("--sections must be at least 100 and --rounds at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(_rounded(result), ensure_ascii=False, indent=2))
    else:
        print(format_report(result))
    return 0


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
