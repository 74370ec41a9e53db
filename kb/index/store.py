"""The database: schema, writing one analyzed article, removing one, reading build state.

Plain tables hold the original text; FTS5 tables (built-in ``ascii`` tokenizer) hold analyzed terms,
so any SQLite client can open ``kb.db`` and search it with pre-analyzed terms. No custom tokenizer
is needed.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import sqlite_utils

from . import champions
from .. import duplicates
from ..analysis import IndexedText, analyzer_fingerprint
from ..errors import NoIndex
from ..model import Article
from ..rules import INDEX_RULES, fingerprint

SCHEMA_VERSION = "15"  # 15: boilerplate is a repeated block off its articles' topic

# FTS5 columns of sections_fts, in order; bm25() weights in search.py follow this order.
SECTION_FTS_COLUMNS = ("heading", "body", "context", "alts", "readings")
QA_FTS_COLUMNS = ("question", "answer", "alts", "readings")


@dataclass
class AnalyzedSection:
    """The index values of one section: its heading, its text and the headings above it."""

    heading: IndexedText
    body: IndexedText
    context: str


@dataclass
class AnalyzedArticle:
    """An article with the index values of each of its sections (same order)."""

    article: Article
    sections: list[AnalyzedSection]


def open_db(path: str | Path, *, must_exist: bool = True) -> sqlite_utils.Database:
    """Open a kb database; with ``must_exist`` a missing or foreign file raises :class:`NoIndex`."""
    path = Path(path)
    if must_exist:
        if not path.exists():
            raise NoIndex(f"{path}: no such index; build it first with 'kb build --db {path}'")
        db = sqlite_utils.Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
        try:
            reason = not_a_kb_index(db)
        except sqlite3.DatabaseError as e:
            reason = str(e)
        if reason:
            db.close()
            raise NoIndex(
                f"{path}: not a kb index ({reason}); build one with 'kb build --full --db {path}'"
            )
        return db
    return sqlite_utils.Database(path)


@contextmanager
def open_index(path: str | Path) -> Iterator[sqlite_utils.Database]:
    """An existing kb index, read-only, for a ``with`` block, closed at its end: what every
    ``kb`` command that reads an index opens it with (see :func:`open_db` for the errors)."""
    db = open_db(path)
    try:
        yield db
    finally:
        db.close()


# What every kb index has held since its first version; another program's database may have a
# table called kb_meta, but not these with it.
_KB_META_KEYS = ("schema_version", "analyzer_version")
_KB_TABLES = ("kb_meta", "articles", "sections")


def not_a_kb_index(db: sqlite_utils.Database) -> str | None:
    """Why a database is not a kb index (None when it is one, of any schema version): a build
    replaces only what kb built, and readers refuse the rest with this reason."""
    tables = set(db.table_names())
    missing = [t for t in _KB_TABLES if t not in tables]
    if missing:
        return f"it has no {missing[0]} table"
    meta = get_meta(db)
    if not all(meta.get(key) for key in _KB_META_KEYS):
        return "its kb_meta table was not written by kb (no schema_version and analyzer_version)"
    return None


def create_schema(db: sqlite_utils.Database) -> None:
    """Create every table and index of an empty database."""
    db["kb_meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)
    db["articles"].create(
        {
            "id": str, "path": str, "title": str, "lang": str, "site": str, "url": str,
            "author": str, "published": str, "updated": str, "category": str, "tags": str,
            "translation_of": str, "meta": str, "content_hash": str,
            "section_count": int, "qa_count": int,
        },
        pk="id",
        not_null={"path", "title", "lang", "content_hash"},
    )
    db["sections"].create(
        {
            "id": int, "article_id": str, "position": int, "level": int, "heading": str,
            "heading_path": str, "text": str, "markdown": str, "line": int, "anchor": str,
            "is_qa": int, "child_count": int, "lang": str, "boilerplate": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
        defaults={"boilerplate": 0},
    )
    db["qa"].create(
        {
            "id": int, "article_id": str, "section_id": int, "label": str, "question": str,
            "answer": str, "lang": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("section_id", "sections", "id")],
    )
    db["facts"].create(
        {
            "id": int, "article_id": str, "section_id": int, "symptom": str, "cause": str,
            "relation": str, "cause_kind": str, "certainty": str, "evidence": str,
            "source": str, "span_start": int, "span_end": int, "method": str, "pattern": str,
            "confidence": float, "curated": int, "symptom_key": str, "cause_key": str,
            "lang": str, "extra": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("section_id", "sections", "id")],
    )
    db["sections"].create_index(["article_id", "position"], unique=True)
    db["qa"].create_index(["article_id"])
    db["qa"].create_index(["section_id"])
    db["facts"].create_index(["article_id"])
    db["facts"].create_index(["symptom_key", "relation"])
    db["facts"].create_index(["section_id"])  # search reads the facts of the sections it found
    create_views(db)
    db["articles"].create_index(["path"], unique=True)
    for table, columns in (("sections_fts", SECTION_FTS_COLUMNS), ("qa_fts", QA_FTS_COLUMNS)):
        # Terms are already analyzed and space-separated: FTS5's built-in ascii tokenizer keeps
        # each one whole (unicode61 would also split at non-ASCII punctuation) and is faster.
        db.execute(
            f"CREATE VIRTUAL TABLE [{table}] USING fts5({', '.join(columns)}, tokenize='ascii')"
        )
    # where each term of a section's text stands, so snippets need not analyze the text again
    db["term_spans"].create(
        {"section_id": int, "spans": bytes}, pk="section_id",
        foreign_keys=[("section_id", "sections", "id")],
    )
    champions.create_table(db)
    duplicates.create_tables(db)
    # document frequencies of terms, which search's ranking reads (no data of its own)
    db.execute("CREATE VIRTUAL TABLE [sections_fts_vocab] USING fts5vocab(sections_fts, 'row')")
    set_meta(db, schema_version=SCHEMA_VERSION, analyzer_version=index_fingerprint())


def create_views(db: sqlite_utils.Database) -> None:
    """The symptoms view: each symptom (by key) with its causes, self-care, departments and
    warnings across articles, and how many articles say so."""
    db.execute(
        """
        CREATE VIEW IF NOT EXISTS symptoms AS
        SELECT
          f.symptom_key AS key,
          (SELECT f2.symptom FROM facts f2 WHERE f2.symptom_key = f.symptom_key
           GROUP BY f2.symptom ORDER BY count(*) DESC, length(f2.symptom) LIMIT 1) AS symptom,
          count(DISTINCT f.article_id) AS articles,
          sum(f.relation = 'cause') AS causes,
          sum(f.relation = 'self_care') AS self_care,
          sum(f.relation = 'department') AS departments,
          sum(f.relation = 'warning') AS warnings,
          group_concat(DISTINCT f.lang) AS lang
        FROM facts f
        GROUP BY f.symptom_key
        """
    )


def index_fingerprint() -> str:
    """What the index depends on, as stored in kb_meta's ``analyzer_version``: the analyzer and
    its normalization rules, then the rule files of ``kb.rules.INDEX_RULES`` (the section role
    cues, the kinds of causes facts are stored with, the synonym groups that join the words of
    fact keys, the department names of English facts). A build that finds another string in an
    index builds it again."""
    return f"{analyzer_fingerprint()}-{fingerprint(INDEX_RULES)}"


def set_meta(db: sqlite_utils.Database, **values: Any) -> None:
    """Store build facts (versions, counts, time) in kb_meta."""
    db["kb_meta"].upsert_all(
        [{"key": k, "value": str(v)} for k, v in values.items()], pk="key"
    )


def get_meta(db: sqlite_utils.Database) -> dict[str, str]:
    """The kb_meta table as a dict; empty for a database kb did not build."""
    if "kb_meta" not in db.table_names():
        return {}
    return {r["key"]: r["value"] for r in db["kb_meta"].rows}


def is_compatible(db: sqlite_utils.Database) -> bool:
    """True when the database was built with this schema and analyzer, so it can be updated."""
    meta = get_meta(db)
    return meta.get("schema_version") == SCHEMA_VERSION and meta.get(
        "analyzer_version"
    ) == index_fingerprint()


def indexed_articles(db: sqlite_utils.Database) -> dict[str, tuple[str, str]]:
    """path -> (article id, content hash) for every article in the database."""
    return {
        row[0]: (row[1], row[2])
        for row in db.execute("select path, id, content_hash from articles")
    }


def delete_article(db: sqlite_utils.Database, article_id: str) -> None:
    """Remove an article and everything derived from it."""
    conn = db.conn
    conn.execute(
        "delete from term_champions where section_id in "
        "(select id from sections where article_id = ?)",
        [article_id],
    )
    for table, key in (("sections_fts", "rowid"), ("term_spans", "section_id")):
        conn.execute(
            f"delete from {table} where {key} in (select id from sections where article_id = ?)",
            [article_id],
        )
    conn.execute(
        "delete from qa_fts where rowid in (select id from qa where article_id = ?)", [article_id]
    )
    duplicates.delete_article(db, article_id)
    for table in ("facts", "qa", "sections", "articles"):
        key = "id" if table == "articles" else "article_id"
        conn.execute(f"delete from [{table}] where [{key}] = ?", [article_id])


@dataclass
class ArticleRows:
    """An analyzed article as the rows it becomes, ready to write (made in the analysis workers,
    so the process that writes does little more than hand them to SQLite).

    Section ids are given at write time; ``qa`` and ``facts`` rows start with the index of their
    section in ``sections`` (or None), which the writer turns into the section's id.
    """

    article_id: str
    path: str
    article: tuple
    sections: list[tuple]
    sections_fts: list[tuple]
    qa: list[tuple]
    qa_fts: list[tuple]
    facts: list[tuple]
    champion_weights: list[list[tuple[str, float]]]
    term_spans: list[bytes] = field(default_factory=list)  # per section, where its terms stand
    # duplicate detection's signatures of its sections and paragraphs (owners: section indexes)
    signed: duplicates.SignedUnits | None = None


def article_rows(analyzed: AnalyzedArticle, champion_weights: bool = True) -> ArticleRows:
    """The rows of one analyzed article: its row, sections, Q&A, curated facts and FTS rows."""
    article = analyzed.article
    meta = article.meta
    qa_by_position = {q.section_position: q for q in article.qa}
    children = child_counts(article)
    sections, sections_fts, qa_rows, qa_fts = [], [], [], []
    for index, (section, idx) in enumerate(zip(article.sections, analyzed.sections)):
        sections.append((
            article.id, section.position, section.level, section.heading,
            " > ".join([*section.path, section.heading]) if section.heading else "",
            section.text, section.markdown, section.line, section.anchor,
            int(section.position in qa_by_position), children.get(section.position, 0),
            article.lang,
        ))
        alts = _join(idx.heading.alts, idx.body.alts)
        readings = _join(idx.heading.readings, idx.body.readings)
        sections_fts.append((idx.heading.terms, idx.body.terms, idx.context, alts, readings))
        qa = qa_by_position.get(section.position)
        if qa is not None:
            qa_rows.append((index, article.id, qa.label, qa.question, qa.answer, article.lang))
            qa_fts.append((idx.heading.terms, idx.body.terms, alts, readings))
    positions = {s.position: i for i, s in enumerate(article.sections)}
    facts = [
        (
            positions.get(f.section_position) if f.section_position is not None else None,
            article.id, f.symptom, f.cause, f.relation, f.cause_kind or None, f.certainty or None,
            f.evidence, f.source, f.span[0], f.span[1], f.method, f.pattern, f.confidence,
            int(f.curated), f.symptom_key, f.cause_key, article.lang,
            json.dumps(f.extra, ensure_ascii=False, default=str),
        )
        for f in article.facts
    ]
    row = (
        article.id, article.path, article.title, article.lang, _text(meta.get("site")),
        _text(meta.get("url")), _text(meta.get("author")), _text(meta.get("published")),
        _text(meta.get("updated")), _text(meta.get("category")),
        json.dumps(_tags(meta.get("tags")), ensure_ascii=False), _text(meta.get("translation_of")),
        json.dumps(meta, ensure_ascii=False, default=str), article.content_hash,
        len(article.sections), len(article.qa),
    )
    weights = (
        [champions.section_weights(h, b) for h, b, *_ in sections_fts] if champion_weights else []
    )
    spans = [idx.body.spans for idx in analyzed.sections]
    signed = duplicates.sign_sections(
        (i, section.text, fts[1], blob)
        for i, (section, fts, blob) in enumerate(zip(article.sections, sections_fts, spans)))
    return ArticleRows(article.id, article.path, row, sections, sections_fts, qa_rows, qa_fts, facts,
                       weights, spans, signed)


class Writer:
    """Writes :class:`ArticleRows` into a database, giving sections and Q&A their ids."""

    def __init__(self, db: sqlite_utils.Database, collector: champions.ChampionCollector | None = None):
        self.conn = db.conn
        self.db = db
        self.next_section = self._next_id("sections")
        self.next_qa = self._next_id("qa")
        # a full build collects champion lists; an incremental one offers its sections after
        self.collector = collector
        self.added_weights: list[tuple[int, list[tuple[str, float]]]] = []
        self.signed: dict[str, Any] = {}  # unit -> shingle hashes, for duplicate detection
        self.written: set[str] = set()  # the articles written

    def _next_id(self, table: str) -> int:
        return self.conn.execute(f"select coalesce(max(id), 0) + 1 from [{table}]").fetchone()[0]

    def write(self, rows: ArticleRows) -> None:
        conn = self.conn
        self.written.add(rows.article_id)
        first = self.next_section
        self.next_section += len(rows.sections)
        ids = range(first, self.next_section)
        conn.execute(
            "insert into articles (id, path, title, lang, site, url, author, published, updated, "
            "category, tags, translation_of, meta, content_hash, section_count, qa_count) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows.article,
        )
        conn.executemany(
            "insert into sections (id, article_id, position, level, heading, heading_path, text, "
            "markdown, line, anchor, is_qa, child_count, lang) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i, *r) for i, r in zip(ids, rows.sections)],
        )
        conn.executemany(
            "insert into sections_fts (rowid, heading, body, context, alts, readings) "
            "values (?, ?, ?, ?, ?, ?)",
            [(i, *r) for i, r in zip(ids, rows.sections_fts)],
        )
        conn.executemany(
            "insert into term_spans (section_id, spans) values (?, ?)",
            [(i, blob) for i, blob in zip(ids, rows.term_spans) if blob],
        )
        if rows.signed is not None:
            self.signed.update(duplicates.store_signatures(self.db, rows.article_id,
                                                           rows.signed, list(ids)))
        if self.collector is not None:
            for section_id, weights in zip(ids, rows.champion_weights):
                self.collector.add(section_id, weights)
        elif rows.champion_weights:
            self.added_weights.extend(zip(ids, rows.champion_weights))
        if rows.qa:
            qa_ids = range(self.next_qa, self.next_qa + len(rows.qa))
            self.next_qa += len(rows.qa)
            conn.executemany(
                "insert into qa (id, section_id, article_id, label, question, answer, lang) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                [(q, first + r[0], *r[1:]) for q, r in zip(qa_ids, rows.qa)],
            )
            conn.executemany(
                "insert into qa_fts (rowid, question, answer, alts, readings) values (?, ?, ?, ?, ?)",
                [(q, *r) for q, r in zip(qa_ids, rows.qa_fts)],
            )
        if rows.facts:
            conn.executemany(
                "insert into facts (section_id, article_id, symptom, cause, relation, cause_kind, "
                "certainty, evidence, source, span_start, span_end, method, pattern, confidence, "
                "curated, symptom_key, cause_key, lang, extra) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(None if r[0] is None else first + r[0], *r[1:]) for r in rows.facts],
            )


def child_counts(article: Article) -> dict[int, int]:
    """Position -> number of sub-sections directly below each section."""
    counts: dict[int, int] = {}
    open_sections: list[tuple[int, int]] = []  # (level, position) of the headings above
    for section in article.sections:
        if section.level == 0:
            continue
        while open_sections and open_sections[-1][0] >= section.level:
            open_sections.pop()
        if open_sections:
            parent = open_sections[-1][1]
            counts[parent] = counts.get(parent, 0) + 1
        open_sections.append((section.level, section.position))
    return counts


def fts_averages(db: sqlite_utils.Database, table: str = "sections_fts") -> tuple[int, list[float]]:
    """Rows and average tokens per column of an FTS5 table, read from its averages record.

    FTS5 keeps these for its own bm25(); search ranks in Python and needs the same figures.
    The record (id 1 of the %_data table) is a varint row count, then a varint total per column.
    """
    row = db.execute(f"select block from [{table}_data] where id = 1").fetchone()
    values = _varints(row[0]) if row and row[0] else []
    if not values or values[0] == 0:
        return 0, []
    return values[0], [total / values[0] for total in values[1:]]


def _varints(blob: bytes) -> list[int]:
    """SQLite's big-endian varints (7 bits a byte, the 9th byte whole)."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out


DEFAULT_AUTOMERGE = 4  # FTS5's own default


def set_automerge(db: sqlite_utils.Database, value: int) -> None:
    """How eagerly FTS5 merges index segments on insert (0: never; it is stored in the index)."""
    for table in ("sections_fts", "qa_fts"):
        db.execute(f"insert into [{table}]([{table}], rank) values('automerge', ?)", [value])


def optimize(db: sqlite_utils.Database) -> None:
    """Merge the FTS5 b-trees after a large build (faster queries, smaller file)."""
    for table in ("sections_fts", "qa_fts"):
        db.execute(f"insert into [{table}]([{table}]) values('optimize')")


def index_stats(db: sqlite_utils.Database) -> dict[str, Any]:
    """Counts of articles, sections and Q&A pairs, in all and per language and site."""

    def grouped(column: str) -> list[dict[str, Any]]:
        rows = db.execute(
            f"select a.[{column}], count(*), sum(a.section_count), sum(a.qa_count) "
            f"from articles a group by a.[{column}] order by count(*) desc, a.[{column}]"
        ).fetchall()
        return [
            {column: r[0], "articles": r[1], "sections": r[2] or 0, "qa": r[3] or 0} for r in rows
        ]

    total = db.execute(
        "select count(*), coalesce(sum(section_count), 0), coalesce(sum(qa_count), 0) from articles"
    ).fetchone()
    meta = get_meta(db)
    return {
        "articles": total[0],
        "sections": total[1],
        "qa": total[2],
        "facts": db.execute("select count(*) from facts").fetchone()[0],
        "by_language": grouped("lang"),
        "by_site": grouped("site"),
        "built_at": meta.get("built_at"),
    }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, Iterable):
        return [str(t) for t in value]
    return [str(value)]


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
