"""Analysis in worker processes: every error crosses back, a dead worker fails the build, nothing hangs.

Real worker processes throughout (kb.index.workers, and ``kb build`` as a subprocess); the functions
the workers run here are ordinary module-level functions that misbehave the way a fault would.
"""

from __future__ import annotations

import fcntl
import importlib
import inspect
import os
import pickle
import pkgutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

import kb
from kb.errors import AnalysisFailed, InvalidArticle, KbError
from kb.index.workers import WorkerDied, run_in_workers

from helpers import ARTICLES, PYTHON, SMALL_SET, leftover_temporaries, sha256, write_article

# Arguments for kb's exception constructors, by parameter name (anything else gets a string).
SAMPLE_ARGUMENTS = {
    "path": "articles/neck.md",
    "message": "front matter is not valid YAML",
    "line": 7,
    "errors": [InvalidArticle("articles/a.md", "missing title", 2),
               InvalidArticle("articles/b.md", "file is empty")],
}


def every_kb_error() -> list[type[KbError]]:
    """KbError and each of its subclasses defined in any kb module."""
    for module in pkgutil.iter_modules(kb.__path__):
        if module.name != "__main__":  # runs the command line
            importlib.import_module(f"kb.{module.name}")
    found, todo = [], [KbError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted({c for c in found if c.__module__.startswith("kb")}, key=lambda c: c.__qualname__)


def sample_error(cls: type[KbError]) -> KbError:
    """An instance of ``cls`` made through its own constructor."""
    parameters = [p for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
                  if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    if cls.__init__ is KbError.__init__ or not parameters:
        return cls(f"{cls.__name__}: something went wrong")
    return cls(*(SAMPLE_ARGUMENTS.get(p.name, f"{p.name} value") for p in parameters))


def raise_it(error: BaseException) -> None:
    """Worker: raise what it was given (so the error is made in the worker and sent back)."""
    raise error


def double(n: int) -> int:
    return 2 * n


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n


def exhaust_memory_on_three(n: int) -> int:
    if n == 3:
        bytearray(1 << 60)  # an allocation no machine grants: a real MemoryError
    return n


def exit_on_three(n: int) -> int:
    if n == 3:
        os._exit(3)  # a worker that vanishes without a word (as a fault in native code would)
    return n


def kill_self_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
    time.sleep(0.05)
    return n


def _refuse_to_load() -> None:
    raise TypeError("this result cannot be rebuilt")


class SentBadly:
    """A result that pickles in the worker and cannot be unpickled in the parent (as kb's
    exceptions once could not)."""

    def __reduce__(self):
        return _refuse_to_load, ()


def unreadable_result_on_three(n: int) -> object:
    return SentBadly() if n == 3 else n


def names_of(count: int) -> list[str]:
    return [f"articles/{n}.md" for n in range(count)]


@pytest.mark.parametrize("cls", every_kb_error(), ids=lambda c: c.__qualname__)
def test_every_kb_error_crosses_the_process_boundary(cls):
    error = sample_error(cls)
    [back] = list(run_in_workers(raise_it, [error], ["articles/x.md"], workers=1))
    assert type(back) is cls
    assert str(back) == str(error)
    assert vars(back).keys() == vars(error).keys()
    for name, value in vars(error).items():
        assert str(getattr(back, name)) == str(value), name
    assert str(pickle.loads(pickle.dumps(error))) == str(error)  # and plain pickling agrees


def test_results_come_back_in_job_order():
    jobs = list(range(40))
    assert list(run_in_workers(double, jobs, names_of(40), workers=2, chunksize=3)) == \
        [2 * n for n in jobs]


@pytest.mark.parametrize("fn, words", [(fail_on_three, ("ValueError", "three is not allowed")),
                                       (exhaust_memory_on_three, ("MemoryError", "out of memory"))],
                         ids=["exception", "memory-error"])
def test_an_unexpected_exception_comes_back_naming_its_file(fn, words):
    results = list(run_in_workers(fn, list(range(10)), names_of(10), workers=2))
    assert results[:3] + results[4:] == [0, 1, 2, *range(4, 10)]
    assert isinstance(results[3], AnalysisFailed)
    assert results[3].path == "articles/3.md"
    for word in words:
        assert word in str(results[3])


@pytest.mark.parametrize("fn", [exit_on_three, kill_self_on_three], ids=["os._exit", "sigkill"])
def test_a_worker_that_dies_raises_naming_the_files_under_way(fn):
    started = time.monotonic()
    with pytest.raises(WorkerDied) as info:
        list(run_in_workers(fn, list(range(12)), names_of(12), workers=2, chunksize=1))
    assert time.monotonic() - started < 10
    assert "articles/3.md" in str(info.value)
    assert "stopped abruptly" in str(info.value)


def test_a_result_that_cannot_be_read_back_raises_instead_of_hanging():
    started = time.monotonic()
    with pytest.raises(WorkerDied) as info:
        list(run_in_workers(unreadable_result_on_three, list(range(12)), names_of(12), workers=2,
                            chunksize=1))
    assert time.monotonic() - started < 10
    assert "could not be read back (TypeError: this result cannot be rebuilt)" in str(info.value)


# --- through kb build ---------------------------------------------------------------------------


def many_articles(folder: Path, count: int = 12) -> None:
    """More articles than a build analyzes in one process, so the workers are used."""
    paragraphs = []
    for name in SMALL_SET:
        body = (ARTICLES / name).read_text(encoding="utf-8").split("---\n", 2)[2]
        paragraphs += [p for p in body.split("\n\n") if p.strip() and not p.startswith("#")]
    for i in range(count):
        body = "\n\n".join(f"## 見出し{k}\n\n{paragraphs[(i * 5 + k) % len(paragraphs)]}"
                           for k in range(12))
        write_article(folder, f"many-{i:03}.md", f"記事{i}", body + "\n")


# enough articles to keep two workers analyzing for a second or more (checking them takes 0.1 s)
ARTICLES_FOR_A_WHILE = 300


def busy_worker(build: subprocess.Popen) -> psutil.Process:
    """A worker process of a running ``kb build`` that has been at work for a while."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and build.poll() is None:
        try:
            busy = [w for w in psutil.Process(build.pid).children()
                    if time.time() - w.create_time() > 0.2]
        except psutil.Error:
            busy = []
        if busy:
            return busy[0]
        time.sleep(0.01)
    pytest.fail("the build never had a busy worker")


def test_a_first_build_with_one_invalid_article_fails_naming_it(tmp_path):
    folder = tmp_path / "articles"
    many_articles(folder)
    bad = folder / "many-005.md"
    bad.write_text("---\ntitle: 首\nauthor: 梅田: 俊\n---\n本文。\n", encoding="utf-8")
    db_path = tmp_path / "kb.db"
    started = time.monotonic()
    proc = subprocess.run([PYTHON, "-m", "kb", "build", "--articles", str(folder), "--db",
                           str(db_path), "--workers", "2"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1
    assert f"{bad}:3: front matter is not valid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert time.monotonic() - started < 20
    assert not db_path.exists() and leftover_temporaries(db_path) == []


def test_a_killed_worker_fails_the_build_and_keeps_the_index(built, articles_dir):
    before = sha256(built)
    many_articles(articles_dir, count=ARTICLES_FOR_A_WHILE)
    proc = subprocess.Popen([PYTHON, "-m", "kb", "build", "--articles", str(articles_dir),
                             "--db", str(built), "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        busy_worker(proc).send_signal(signal.SIGKILL)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 1, stderr
    assert "stopped abruptly" in stderr and "the index was not changed" in stderr
    assert "Traceback" not in stderr
    assert sha256(built) == before
    assert leftover_temporaries(built) == []


def test_a_killed_build_leaves_neither_workers_nor_its_lock_behind(built, articles_dir):
    many_articles(articles_dir, count=ARTICLES_FOR_A_WHILE)
    proc = subprocess.Popen([PYTHON, "-m", "kb", "build", "--articles", str(articles_dir),
                             "--db", str(built), "--workers", "2", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        busy_worker(proc)
        workers = psutil.Process(proc.pid).children()
        proc.kill()  # SIGKILL: no clean-up runs in the build
        proc.wait()
    finally:
        proc.kill()
    gone, alive = psutil.wait_procs(workers, timeout=5)
    assert alive == [], "workers outlived the build"
    fd = os.open(built.parent / f".{built.name}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: the next build need not wait
    finally:
        os.close(fd)
