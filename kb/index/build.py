"""Building the index: articles/ in, kb.db out, incrementally and atomically.

A build works on a temporary copy next to the database and replaces the database only when the
whole build succeeded, so a failed or killed build leaves the previous ``kb.db`` as it was.
Unchanged articles (same path, same content hash) are not analyzed again; analysis runs on all
cores. Two builds of the same database never run at once: the second waits for the first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlite_utils

from . import champions, store
from .. import duplicates
from ..analysis import roles
from ..analysis import MorphemeSource, get_analyzer
from ..errors import DuplicateArticleId, InvalidArticle, KbError
from ..facts import extract_facts
from ..files import durable_replace, exclusive_lock, lock_path, read_article_bytes
from ..articles import parse_article_file
from ..model import Article
from ..analysis import load_role_cues
from .store import AnalyzedArticle, AnalyzedSection, ArticleRows
from .workers import run_guarded, run_in_workers

ProgressCallback = Callable[[int, int], None]
WaitCallback = Callable[[int | None], None]  # called with the process id of the other build
# Below this many changed articles, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 8


@dataclass
class BuildReport:
    """What a build did."""

    db_path: str
    articles: int = 0
    analyzed: int = 0
    unchanged: int = 0
    removed: int = 0
    full: bool = False
    seconds: float = 0.0
    duplicates: int = 0  # matches between sections and paragraphs (see kb/duplicates/engine.py)
    errors: list[str] = field(default_factory=list)


class BuildFailed(KbError):
    """One or more articles are invalid; the message lists each as ``file:line: problem``."""

    def __init__(self, errors: list[InvalidArticle]):
        self.errors = errors
        lines = [str(e) for e in errors]
        super().__init__(
            "\n".join(lines) + f"\nbuild stopped: {len(errors)} invalid article"
            + ("s" if len(errors) != 1 else "") + "; the index was not changed"
        )


def find_article_files(articles_dir: Path) -> list[Path]:
    """Every ``*.md`` below the folder, sub-folders included, hidden ones skipped, sorted.

    Every entry that is not a folder counts, so that a FIFO, a device or a broken symlink named
    like an article is reported when it is read rather than skipped. A folder that cannot be
    listed (no permission) raises :class:`KbError` naming it: its
    articles would otherwise be taken for removed ones and dropped from the index.
    """
    if not articles_dir.is_dir():
        raise KbError(f"{articles_dir}: no such folder of articles (give one with --articles)")
    files = []
    unreadable: list[OSError] = []
    # strings: pathlib's rglob is slow
    for root, folders, names in os.walk(articles_dir, onerror=unreadable.append):
        folders[:] = [f for f in folders if not f.startswith(".")]
        files += [os.path.join(root, n) for n in names if n.endswith(".md") and not n.startswith(".")]
    if unreadable:
        raise KbError("\n".join(f"{e.filename}: this folder of articles cannot be read "
                                f"({e.strerror or e})" for e in unreadable)
                      + "\nbuild stopped: its articles would be taken for removed ones; "
                        "the index was not changed")
    # anything but a folder: a FIFO, a device or a broken link named *.md is reported when read
    return sorted((Path(f) for f in files if not os.path.isdir(f)), key=lambda p: p.parts)


def relative_names(files: list[Path], articles_dir: Path) -> list[str]:
    """Each file's path below the folder, with forward slashes (how the index names it)."""
    prefix = len(os.path.join(str(articles_dir), ""))
    return [str(f)[prefix:].replace(os.sep, "/") for f in files]


def build_index(
    articles_dir: str | Path = "articles",
    db_path: str | Path = "kb.db",
    *,
    full: bool = False,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    boilerplate_articles: int | None = None,
    waiting: WaitCallback | None = None,
) -> BuildReport:
    """Build or update ``db_path`` from the Markdown articles in ``articles_dir``. A block
    repeated in ``boilerplate_articles`` or more articles is boilerplate (None: the number the
    index was built with, else 3).

    One build at a time per database: a build holds a lock on ``.NAME.lock`` next to the
    database (NAME: the database's file name) from before it lists the articles until the new
    index is in place. A second build of the same database waits for the first to finish, then
    builds from the index the first one wrote, so neither loses the other's work; ``waiting`` is
    called once before it waits, with the other build's process id (default: a line on stderr).

    Raises :class:`BuildFailed` (listing every invalid article) or another :class:`KbError`
    (a folder that cannot be read or written, a full disk); the database file is then left
    exactly as it was.
    """
    db_path = Path(db_path)
    _make_folder(db_path.parent)
    try:
        with exclusive_lock(lock_path(db_path), waiting or _say_waiting(db_path)):
            return _build_locked(Path(articles_dir), db_path, full, workers, progress,
                                 boilerplate_articles)
    except OSError as e:
        raise _write_failure(db_path, e) from e
    except sqlite3.Error as e:
        if not _is_write_failure(e):
            raise
        raise _write_failure(db_path, e) from e


def _build_locked(articles_dir: Path, db_path: Path, full: bool, workers: int | None,
                  progress: ProgressCallback | None, boilerplate_articles: int | None) -> BuildReport:
    """:func:`build_index`, its lock held."""
    started = dt.datetime.now()
    files = find_article_files(articles_dir)
    report = BuildReport(db_path=str(db_path), articles=len(files))
    tmp_path = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    _refuse_foreign_file(db_path)
    _remove_stale_temporaries(db_path)
    boilerplate_articles = boilerplate_articles or _stored_boilerplate_articles(db_path)
    names = relative_names(files, articles_dir)
    hashes: dict[Path, str] = {}  # each file read and hashed once a build
    if not full and _up_to_date(db_path, files, names, hashes, boilerplate_articles):
        # nothing to write: the index is not copied and replaced (hundreds of MB) for nothing
        report.unchanged = len(files)
        report.seconds = (dt.datetime.now() - started).total_seconds()
        return report
    try:
        db = _open_work_copy(db_path, tmp_path, full)
        report.full = not store.get_meta(db).get("built_at")
        if report.full:
            store.set_automerge(db, 0)  # no merging while a new index fills; optimize() at the end
        try:
            writer = _update(db, articles_dir, files, names, hashes, report, workers, progress,
                             report.full)
            if report.analyzed or report.removed or report.full:
                report.duplicates = duplicates.update_duplicates(
                    db, min_articles=boilerplate_articles, signed=writer.signed,
                    written=writer.written)
            before = duplicates.boilerplate_setting(store.get_meta(db))
            if before != boilerplate_articles:  # the clusters a build left alone too
                duplicates.classify_again(db, boilerplate_articles)
            store.set_meta(
                db,
                built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                articles_dir=str(articles_dir),
                boilerplate_articles=boilerplate_articles,
            )
            db.conn.commit()
            if report.full:
                store.optimize(db)
                store.set_automerge(db, store.DEFAULT_AUTOMERGE)
                db.conn.commit()
            db.conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            db.close()
        # the copy was written without syncing (synchronous=OFF, fast); it is synced once,
        # whole, before it replaces the index, and the folder after (see files.durable_replace)
        durable_replace(tmp_path, db_path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    report.seconds = (dt.datetime.now() - started).total_seconds()
    return report


def waiting_message(db_path: Path, pid: int | None) -> str:
    """What a build says when another build of the same database holds its lock."""
    holder = f" (pid {pid})" if pid else ""
    return f"waiting for another build of {db_path}{holder} to finish..."


def _say_waiting(db_path: Path) -> WaitCallback:
    return lambda pid: print(waiting_message(db_path, pid), file=sys.stderr, flush=True)


def _make_folder(folder: Path) -> None:
    """The database's folder, created if need be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as e:
        raise KbError(f"{e.filename or folder}: is a file, not a folder: the index cannot be "
                      "written in it") from e
    except OSError as e:
        raise KbError(f"{e.filename or folder}: cannot create the folder of the index "
                      f"({e.strerror or e})") from e


# SQLite's errors that mean the file could not be written (not a fault of kb's SQL)
_WRITE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY",
                   "SQLITE_PERM", "SQLITE_NOLFS")


def _is_write_failure(error: sqlite3.Error) -> bool:
    return str(getattr(error, "sqlite_errorname", "")).startswith(_WRITE_FAILURES)


def _write_failure(db_path: Path, error: OSError | sqlite3.Error) -> KbError:
    """A clear message for a file the build could not write (or read): a full disk, a folder
    without write permission, a read-only file system."""
    if isinstance(error, OSError):
        # a copy or a rename names its destination second: that is the file being written
        what = f"{error.filename2 or error.filename or db_path}: {error.strerror or error}"
    else:
        what = f"{db_path}: the new index could not be written next to it ({error})"
    return KbError(f"{what}; the build stopped and {db_path} was not changed (is the disk full, "
                   "or the folder read-only?)")


def analyze_article(article: Article) -> AnalyzedArticle:
    """Run the analyzer over every section of a parsed article."""
    analyzer = get_analyzer()
    cues = load_role_cues()
    title_terms = " ".join(analyzer.terms(article.title))
    heading_terms: dict[str, str] = {}
    heading_roles: dict[str, set[str]] = {}
    analyzed = []
    sources: dict[int, MorphemeSource] = {}
    roles_by_position: dict[int, set[str]] = {}
    for section in article.sections:
        heading = analyzer.index_text(section.heading)
        own = cues.roles(heading.terms.split())
        heading_terms[section.heading] = heading.terms
        heading_roles[section.heading] = own
        roles_by_position[section.position] = own
        if own:  # the role a heading announces is indexed as a term of the heading
            heading = dataclasses.replace(heading, terms=f"{heading.terms} {roles.tokens_of(own)}")
        above = set().union(*(heading_roles.get(h, set()) for h in section.path)) - own
        context = " ".join([title_terms, *(heading_terms.get(h, "") for h in section.path),
                            roles.tokens_of(above)])
        kept: list = []  # how Sudachi cut the text, read again by fact extraction
        body = analyzer.index_text(section.text, keep=kept)
        if kept:
            sources[section.position] = MorphemeSource(kept, body.terms)
        analyzed.append(AnalyzedSection(heading, body, context.strip()))
    # extracted and curated facts, with provenance (reading what was analysed above)
    article.facts = extract_facts(article, sources, roles_by_position)
    return AnalyzedArticle(article, analyzed)


def _article_id_of(job: tuple[str, str]) -> str:
    """Worker: parse one file (no analysis) and return its article id; raises InvalidArticle."""
    path, root = job
    return parse_article_file(Path(path), Path(root)).id


def _analyze_file(job: tuple[str, str, bool]) -> ArticleRows:
    """Worker: parse and analyze one file into its rows."""
    path, root, weigh = job
    analyzed = analyze_article(parse_article_file(Path(path), Path(root)))
    return store.article_rows(analyzed, champion_weights=weigh)


def _update(
    db: sqlite_utils.Database,
    articles_dir: Path,
    files: list[Path],
    names: list[str],
    hashes: dict[Path, str],
    report: BuildReport,
    workers: int | None,
    progress: ProgressCallback | None,
    report_is_full: bool,
) -> store.Writer:
    """Write the changed articles (``names``: the files' names in the index; ``hashes``: those
    hashed already); returns the writer (what it wrote, for duplicate detection).

    Every changed file is read and parsed first, which is quick: an invalid article stops the
    build before any is analyzed (the slow part), with every invalid article listed at once.
    """
    known = store.indexed_articles(db)
    ids = {article_id: path for path, (article_id, _) in known.items()}
    changed: list[Path] = []
    changed_names: list[str] = []
    for file, rel in zip(files, names):
        entry = known.get(rel)
        if entry is not None and entry[1] == _file_hash(file, hashes):
            report.unchanged += 1
        else:
            changed.append(file)
            changed_names.append(rel)
    present = set(names)
    for rel in [p for p in known if p not in present] + changed_names:
        if rel in known:
            article_id = known[rel][0]
            store.delete_article(db, article_id)
            ids.pop(article_id, None)
            if rel not in present:
                report.removed += 1
    errors = _check_articles(changed, changed_names, articles_dir, ids, workers)
    if errors:
        raise BuildFailed(errors)
    # Champion lists pay only on a large index (FTS5 ranks a small one fast): a full build of
    # many articles makes them, later builds keep them in step if they exist.
    if report_is_full:
        weigh = len(files) >= champions.MIN_ARTICLES
    else:
        weigh = champions.has_lists(db)
    collector = champions.ChampionCollector() if report_is_full and weigh else None
    writer = store.Writer(db, collector)
    done = report.unchanged
    if progress:
        progress(done, len(files))
    jobs = [(str(f), str(articles_dir), weigh) for f in changed]
    for result in _run_all(_analyze_file, jobs, changed, workers):
        done += 1
        if progress:
            progress(done, len(files))
        if isinstance(result, InvalidArticle):  # a file changed since it was checked, or a fault
            errors.append(result)
        elif not errors:
            writer.write(result)
            report.analyzed += 1
    if errors:
        raise BuildFailed(errors)
    if collector is not None:
        collector.write(db)
    elif weigh:
        champions.update(db, [], writer.added_weights)
    return writer


def _check_articles(files: list[Path], names: list[str], root: Path, ids: dict[str, str],
                    workers: int | None) -> list[InvalidArticle]:
    """Parse every file (no analysis): the invalid ones, and those whose article id is taken
    (``names``: the files' names in the index; ``ids``: article id -> name of the articles
    kept, to which the files' ids are added)."""
    errors: list[InvalidArticle] = []
    jobs = [(str(f), str(root)) for f in files]
    for file, rel, result in zip(files, names, _run_all(_article_id_of, jobs, files, workers)):
        if isinstance(result, InvalidArticle):
            errors.append(result)
            continue
        if result in ids:
            errors.append(
                DuplicateArticleId(
                    str(file),
                    f"article id {result!r} is already used by {root / ids[result]}"
                    " (rename one file or set a different 'id:' in its front matter)",
                )
            )
            continue
        ids[result] = rel
    return errors


def _run_all(fn: Callable, jobs: list, files: list[Path], workers: int | None) -> Iterator[Any]:
    """``fn`` over the jobs, in order: in worker processes for many jobs, else in this one.
    An invalid article comes back as its error; any other KbError is raised."""
    names = [str(f) for f in files]
    workers = workers or os.cpu_count() or 1
    if workers <= 1 or len(jobs) < _PARALLEL_THRESHOLD:
        results: Iterator[Any] = (run_guarded(fn, job, name) for job, name in zip(jobs, names))
    else:
        # ordered, so section ids follow file order and builds are reproducible
        results = run_in_workers(fn, jobs, names, workers)
    for result in results:
        if isinstance(result, KbError) and not isinstance(result, InvalidArticle):
            raise result  # not about one article (a rule file that cannot be read)
        yield result


def _open_work_copy(db_path: Path, tmp_path: Path, full: bool) -> sqlite_utils.Database:
    """The temporary database a build writes: a copy of the current index, or a new one."""
    tmp_path.unlink(missing_ok=True)
    reuse = not full and db_path.exists() and _is_reusable(db_path)
    if reuse:
        shutil.copyfile(db_path, tmp_path)
    db = sqlite_utils.Database(tmp_path)
    db.conn.execute("PRAGMA journal_mode=MEMORY")
    # no sync at each commit: the file is synced once, when complete, before it is renamed
    db.conn.execute("PRAGMA synchronous=OFF")
    if not reuse:
        store.create_schema(db)
    db.conn.execute("BEGIN")
    return db


def _refuse_foreign_file(db_path: Path) -> None:
    """A build replaces its database: never a file that kb did not build (it would be lost)."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        return
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            reason = store.not_a_kb_index(sqlite_utils.Database(conn))
    except sqlite3.DatabaseError as e:
        reason = f"it is not an SQLite database ({e})"
    if reason:
        raise KbError(
            f"{db_path}: exists and is not a kb index ({reason}); kb build will not replace it "
            "(choose another --db, or move the file away)"
        )


def _stored_boilerplate_articles(db_path: Path) -> int:
    """The boilerplate setting the index was built with (3 for a new index)."""
    meta: dict[str, str] = {}
    if db_path.exists() and db_path.stat().st_size:
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
                meta = store.get_meta(sqlite_utils.Database(conn))
        except sqlite3.DatabaseError:
            pass
    return duplicates.boilerplate_setting(meta)


def _up_to_date(db_path: Path, files: list[Path], names: list[str], hashes: dict[Path, str],
                boilerplate_articles: int) -> bool:
    """Whether the index already holds exactly these files, as they are, built the same way."""
    if not db_path.exists() or not _is_reusable(db_path):
        return False
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        db = sqlite_utils.Database(conn)
        meta = store.get_meta(db)
        known = store.indexed_articles(db)
    if (not meta.get("built_at")
            or duplicates.boilerplate_setting(meta) != boilerplate_articles):
        return False
    if len(known) != len(files):
        return False
    for file, rel in zip(files, names):  # stops at the first change
        entry = known.get(rel)
        if entry is None or entry[1] != _file_hash(file, hashes):
            return False
    return True


def _is_reusable(db_path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            return store.is_compatible(sqlite_utils.Database(conn))
    except sqlite3.DatabaseError:
        return False


def _remove_stale_temporaries(db_path: Path) -> None:
    """Temporary files left by builds that were killed (their process is gone)."""
    for tmp in db_path.parent.glob(f".{db_path.name}.*.tmp"):
        pid = tmp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _file_hash(path: Path, hashes: dict[Path, str]) -> str:
    """A file's content hash, remembered in ``hashes`` (a build compares each file once)."""
    found = hashes.get(path)
    if found is None:
        try:
            found = hashlib.sha256(read_article_bytes(path)).hexdigest()
        except InvalidArticle:
            found = ""  # unreadable: counted as changed, and reported when it is parsed
        hashes[path] = found
    return found
