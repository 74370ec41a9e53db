"""The database: schema, writing one analyzed article, removing one, reading build state.

Plain tables hold the original text; FTS5 tables (``unicode61``) hold analyzed terms, so any SQLite
client can open ``kb.db`` and search it with pre-analyzed terms. No custom tokenizer is needed.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from .analysis import IndexedText, analyzer_fingerprint
from .errors import NoIndex
from .model import Article

SCHEMA_VERSION = "3"

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
            is_kb = "kb_meta" in db.table_names()
        except sqlite3.DatabaseError as e:
            is_kb = False
            reason = str(e)
        else:
            reason = "it has no kb_meta table"
        if not is_kb:
            db.close()
            raise NoIndex(
                f"{path}: not a kb index ({reason}); build one with 'kb build --full --db {path}'"
            )
        return db
    return sqlite_utils.Database(path)


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
            "is_qa": int, "child_count": int, "lang": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
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
            "relation": str, "evidence": str, "curated": int, "extra": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id"), ("section_id", "sections", "id")],
    )
    db["sections"].create_index(["article_id", "position"], unique=True)
    db["qa"].create_index(["article_id"])
    db["qa"].create_index(["section_id"])
    db["facts"].create_index(["article_id"])
    db["articles"].create_index(["path"], unique=True)
    for table, columns in (("sections_fts", SECTION_FTS_COLUMNS), ("qa_fts", QA_FTS_COLUMNS)):
        db.execute(
            f"CREATE VIRTUAL TABLE [{table}] USING fts5({', '.join(columns)}, "
            "tokenize='unicode61 remove_diacritics 2')"
        )
    # document frequencies of terms, which search's ranking reads (no data of its own)
    db.execute("CREATE VIRTUAL TABLE [sections_fts_vocab] USING fts5vocab(sections_fts, 'row')")
    set_meta(db, schema_version=SCHEMA_VERSION, analyzer_version=analyzer_fingerprint())


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
    ) == analyzer_fingerprint()


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
        "delete from sections_fts where rowid in (select id from sections where article_id = ?)",
        [article_id],
    )
    conn.execute(
        "delete from qa_fts where rowid in (select id from qa where article_id = ?)", [article_id]
    )
    for table in ("facts", "qa", "sections", "articles"):
        key = "id" if table == "articles" else "article_id"
        conn.execute(f"delete from [{table}] where [{key}] = ?", [article_id])


def insert_article(db: sqlite_utils.Database, analyzed: AnalyzedArticle) -> None:
    """Write one analyzed article: its row, sections, Q&A, curated facts and FTS rows."""
    article = analyzed.article
    meta = article.meta
    conn = db.conn
    conn.execute(
        "insert into articles (id, path, title, lang, site, url, author, published, updated, "
        "category, tags, translation_of, meta, content_hash, section_count, qa_count) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            article.id, article.path, article.title, article.lang, _text(meta.get("site")),
            _text(meta.get("url")), _text(meta.get("author")), _text(meta.get("published")),
            _text(meta.get("updated")), _text(meta.get("category")),
            json.dumps(_tags(meta.get("tags")), ensure_ascii=False), _text(meta.get("translation_of")),
            json.dumps(meta, ensure_ascii=False, default=str), article.content_hash,
            len(article.sections), len(article.qa),
        ],
    )
    qa_by_position = {q.section_position: q for q in article.qa}
    children = child_counts(article)
    section_ids: dict[int, int] = {}
    for section, idx in zip(article.sections, analyzed.sections):
        cursor = conn.execute(
            "insert into sections (article_id, position, level, heading, heading_path, text, "
            "markdown, line, anchor, is_qa, child_count, lang) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                article.id, section.position, section.level, section.heading,
                " > ".join([*section.path, section.heading]) if section.heading else "",
                section.text, section.markdown, section.line, section.anchor,
                int(section.position in qa_by_position), children.get(section.position, 0),
                article.lang,
            ],
        )
        section_id = cursor.lastrowid
        section_ids[section.position] = section_id
        conn.execute(
            "insert into sections_fts (rowid, heading, body, context, alts, readings) "
            "values (?, ?, ?, ?, ?, ?)",
            [
                section_id, idx.heading.terms, idx.body.terms, idx.context,
                _join(idx.heading.alts, idx.body.alts), _join(idx.heading.readings, idx.body.readings),
            ],
        )
        qa = qa_by_position.get(section.position)
        if qa is not None:
            cursor = conn.execute(
                "insert into qa (article_id, section_id, label, question, answer, lang) "
                "values (?, ?, ?, ?, ?, ?)",
                [article.id, section_id, qa.label, qa.question, qa.answer, article.lang],
            )
            conn.execute(
                "insert into qa_fts (rowid, question, answer, alts, readings) values (?, ?, ?, ?, ?)",
                [
                    cursor.lastrowid, idx.heading.terms, idx.body.terms,
                    _join(idx.heading.alts, idx.body.alts),
                    _join(idx.heading.readings, idx.body.readings),
                ],
            )
    for fact in article.facts:
        conn.execute(
            "insert into facts (article_id, section_id, symptom, cause, relation, evidence, curated, "
            "extra) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                article.id, section_ids.get(fact.section_position) if fact.section_position is not None
                else None, fact.symptom, fact.cause, fact.relation, fact.evidence, int(fact.curated),
                json.dumps(fact.extra, ensure_ascii=False, default=str),
            ],
        )


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


def optimize(db: sqlite_utils.Database) -> None:
    """Merge the FTS5 b-trees after a large build (faster queries, smaller file)."""
    for table in ("sections_fts", "qa_fts"):
        db.execute(f"insert into [{table}]([{table}]) values('optimize')")


def stats(db: sqlite_utils.Database) -> dict[str, Any]:
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
