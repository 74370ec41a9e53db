#!/usr/bin/env python3
"""Load test of the Datasette site: kb's ``/-/search.json`` against Datasette's own table JSON
search for the same queries, on the same server, in the same run.

    python bench/web_load.py [--sections 10000] [--requests 2000] [--concurrency 16] [--json]

1. Index: the generated corpus of ``bench/search_speed.py`` (``--sections`` sections, cached in
   ``bench/.cache/``), linked as ``kb.db`` so that metadata.yml applies to it.
2. Server: ``python -m datasette serve -i kb.db -m metadata.yml`` on 127.0.0.1 and a free port,
   with Datasette's default settings (as scripts/serve runs it), the kb plugin installed.
3. Queries: those of ``bench/search_speed.py`` (the judged queries of tests/search_queries.yml,
   random corpus words, a long text and a long string of FTS5 syntax), each cut to kb's 1,000
   characters (a longer URL passes the HTTP server's limit before it reaches Datasette).
4. Requests: ``--requests`` to each endpoint, the queries in turn (shuffled, seeded),
   ``--concurrency`` at a time over keep-alive connections, after a warm-up of 50 each; in
   blocks of 250 requests to one endpoint, the endpoints taking turns (so each one's latency is
   its own, not a queue behind the other's, and a drift of the machine hits both). Endpoints:
   - kb: ``/-/search.json?q=Q`` (ranked hits, snippets, the symptom panel's facts);
   - table: ``/kb/sections.json?_search=Q&_shape=array&_size=10`` (Datasette's table JSON, the
     search analyzed by kb's filter; no count and no facets: the cheapest form, the baseline);
   - with ``--with-count``, table+count: ``/kb/sections.json?_search=Q&_size=10`` (the default
     JSON, with the row count, the table's facets and suggested facets; for information).
   Latency is the client's, from sending the request to reading the whole response.
5. Targets: zero errors (any status but 200, or a failed request); kb p95 < 100 ms; kb p95
   < 2x the table's p95.

Exit status is 0 whether the targets pass or fail; non-zero only if the benchmark cannot run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)  # import bench.corpus, not bench/ modules as top-level ones
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.build import code_version, log, machine, wait_for_quiet  # noqa: E402
from bench.search_speed import cached_index, make_queries, percentile  # noqa: E402

TARGET_P95_MS = 100.0
TARGET_RATIO = 2.0
WARMUP = 50
BLOCK = 250
ENDPOINTS = {
    "kb": "/-/search.json?q={q}",
    "table": "/kb/sections.json?_search={q}&_shape=array&_size=10",
}
# Datasette's default table JSON: the row count, the table's facets and suggested facets
WITH_COUNT = {"table+count": "/kb/sections.json?_search={q}&_size=10"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``datasette serve -i kb.db -m metadata.yml`` on a free local port, until stopped."""

    def __init__(self, db_path: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", "-i", str(db_path), "-m",
             str(ROOT / "metadata.yml"), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = self.get(http.client.HTTPConnection("127.0.0.1", self.port, timeout=5),
                                     "/-/versions.json")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("datasette did not start: "
                                 + self.process.stderr.read().decode()[-2000:])
            time.sleep(0.2)

    @staticmethod
    def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_load(port: int, tasks: list[tuple[str, str]], concurrency: int,
             results: dict[str, dict[str, list]]) -> None:
    """Send every (endpoint, path) task, ``concurrency`` at a time; add latencies (ms) and errors
    to ``results`` per endpoint."""
    lock = threading.Lock()
    cursor = iter(tasks)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                task = next(cursor, None)
            if task is None:
                break
            name, path = task
            started = time.perf_counter()
            try:
                status, body = Server.get(conn, path)
                error = None if status == 200 else f"HTTP {status}: {body[:200]!r}"
            except (OSError, http.client.HTTPException) as e:
                error = f"{type(e).__name__}: {e}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                results[name]["ms"].append(elapsed)
                if error:
                    results[name]["errors"].append({"path": path[:120], "error": error})
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def make_blocks(queries: list[str], requests: int, endpoints: dict[str, str],
                seed: int) -> list[list[tuple[str, str]]]:
    """``requests`` requests to each endpoint, the queries in turn (shuffled, the same order
    for every endpoint), in blocks of ``BLOCK`` requests to one endpoint; the endpoints take
    turns block by block, so that a drift of the machine's speed hits them alike."""
    order = [queries[i % len(queries)] for i in range(requests)]
    random.Random(f"kb-web-load:{seed}").shuffle(order)
    blocks = []
    for start in range(0, requests, BLOCK):
        for name, template in endpoints.items():
            blocks.append([(name, template.format(q=quote(q, safe="")))
                           for q in order[start : start + BLOCK]])
    return blocks


def summarize(values: list[float], errors: list) -> dict:
    return {"requests": len(values), "errors": len(errors),
            "p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2),
            "p99_ms": round(percentile(values, 99), 2), "max_ms": round(max(values), 2),
            "error_samples": errors[:3]}


def run(args: argparse.Namespace) -> dict:
    from kb.search import MAX_QUERY_CHARS
    from kb.index import open_db

    db_path, manifest = cached_index(args.sections, args.seed, args.rebuild)
    db = open_db(db_path)
    try:
        queries = [q["query"][:MAX_QUERY_CHARS] for q in make_queries(db, args.seed)]
    finally:
        db.close()
    endpoints = ENDPOINTS | (WITH_COUNT if args.with_count else {})
    idle = wait_for_quiet(args.max_wait)
    with tempfile.TemporaryDirectory(prefix="kb-web-load-") as tmp:
        served = Path(tmp) / "kb.db"  # the name metadata.yml describes
        served.symlink_to(db_path.resolve())
        log(f"serving {manifest['index']['sections']:,} sections on 127.0.0.1 ...", args.json)
        server = Server(served)
        try:
            for block in make_blocks(queries, WARMUP, endpoints, args.seed + 1):
                run_load(server.port, block, args.concurrency,
                         {name: {"ms": [], "errors": []} for name in endpoints})
            log(f"sending {args.requests:,} requests to each of {len(endpoints)} endpoints, "
                f"{args.concurrency} at a time ...", args.json)
            results: dict[str, dict[str, list]] = {n: {"ms": [], "errors": []} for n in endpoints}
            started = time.perf_counter()
            for block in make_blocks(queries, args.requests, endpoints, args.seed):
                run_load(server.port, block, args.concurrency, results)
            wall = time.perf_counter() - started
        finally:
            server.stop()
    figures = {name: summarize(r["ms"], r["errors"]) for name, r in results.items()}
    kb, table = figures["kb"], figures["table"]
    return {
        "command": "python bench/web_load.py " + " ".join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"), "code": code_version(), "machine": machine(),
        "cores": os.cpu_count(), "other_load_cores": round(idle, 2),
        "index": manifest["index"], "queries": len(queries),
        "requests": args.requests, "concurrency": args.concurrency, "wall_s": round(wall, 1),
        "endpoints": endpoints, "figures": figures,
        "ratios": {"p50": round(kb["p50_ms"] / table["p50_ms"], 2),
                   "p95": round(kb["p95_ms"] / table["p95_ms"], 2)},
        "checks": {
            "zero errors": sum(f["errors"] for f in figures.values()) == 0,
            f"kb p95 < {TARGET_P95_MS:.0f} ms": kb["p95_ms"] < TARGET_P95_MS,
            f"kb p95 < {TARGET_RATIO:g}x table p95": kb["p95_ms"] < TARGET_RATIO * table["p95_ms"],
        },
    }


def format_report(r: dict) -> str:
    lines = [f"Web load: {r['requests']:,} requests per endpoint, {r['concurrency']} at a time, "
             f"{r['queries']} queries, {r['index']['sections']:,} sections "
             f"({r['index']['articles']:,} articles); commit {r['code']['commit']}"
             f"{' (kb/ modified)' if r['code']['kb_modified'] else ''}, {r['cores']} cores, "
             f"other load {r['other_load_cores']} cores before the run",
             "", "| Endpoint | Requests | Errors | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---|---|---|---|---|---|"]
    for name, f in r["figures"].items():
        lines.append(f"| {name} `{r['endpoints'][name].split('?')[0]}` | {f['requests']:,} | "
                     f"{f['errors']} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} | {f['max_ms']} |")
    lines += ["", f"kb / table: p50 {r['ratios']['p50']}x, p95 {r['ratios']['p95']}x "
                  f"(wall {r['wall_s']} s)", ""]
    lines += [f"- {name}: {'PASS' if ok else 'FAIL'}" for name, ok in r["checks"].items()]
    for name, f in r["figures"].items():
        for sample in f["error_samples"]:
            lines.append(f"  {name} error: {sample['error']} ({sample['path']})")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", type=int, default=10_000, help="index size (sections)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--with-count", action="store_true",
                        help="also Datasette's default table JSON (row count, facets; slow)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached index")
    parser.add_argument("--max-wait", type=float, default=60.0,
                        help="seconds to wait for other processes to leave the CPUs idle")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
