"""The knowledge base as JSON: one document, or JSON Lines (one article a line).

Articles are read one at a time with cursors and written as they come, so an export of any size
runs in constant memory. The shape is described by the JSON Schema shipped in
``kb/data/export.schema.json`` (:func:`export_schema`); README, "kb export", shows an example.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, TextIO

import sqlite_utils

from .duplicates import article_duplicates
from .errors import KbError
from .files import write_output
from .rules import data_file
from .terminal import json_text

FORMAT_VERSION = 1
SCHEMA_FILE = "export.schema.json"
_ARTICLE_COLUMNS = (
    "id", "path", "title", "lang", "site", "url", "author", "published", "updated", "category",
    "tags", "translation_of", "meta", "content_hash",
)


class InvalidFilter(KbError):
    """An export filter whose value cannot be used (names the filter)."""


@dataclass
class ExportFilter:
    """Which articles to export; every filter given must hold (``None``/empty: no filter)."""

    lang: str | None = None
    site: str | None = None
    since: str | None = None  # ISO date: articles updated (else published) on or after it
    article_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.since is not None:
            self.since = parse_since(self.since)


def parse_since(value: str) -> str:
    """``--since`` as an ISO date (YYYY-MM-DD); raise :class:`InvalidFilter` naming it."""
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise InvalidFilter(
            f"since: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-11-26"
        ) from None


def export_schema() -> dict[str, Any]:
    """The JSON Schema of an export document (``$defs.article`` is one JSON Lines line)."""
    return json.loads(data_file(SCHEMA_FILE).read_text(encoding="utf-8"))


def iter_articles(db: sqlite_utils.Database, filters: ExportFilter | None = None
                  ) -> Iterator[dict[str, Any]]:
    """Each exported article as a dict, in id order, read one at a time."""
    where, params = _where(filters or ExportFilter())
    cursor = db.conn.execute(
        f"select {', '.join(_ARTICLE_COLUMNS)} from articles {where} order by id", params
    )
    for row in cursor:
        yield _article(db, dict(zip(_ARTICLE_COLUMNS, row)))


def write_export(db: sqlite_utils.Database, out: TextIO, fmt: str = "jsonl",
                 filters: ExportFilter | None = None) -> int:
    """Write the export to ``out`` as ``json`` (one document) or ``jsonl``; returns the count."""
    if fmt not in ("json", "jsonl"):
        raise InvalidFilter(f"format: {fmt!r} is not json or jsonl")
    count = 0
    if fmt == "json":
        # written piece by piece, so a large export need not be held in memory either
        out.write('{"format": "kb-export", "version": %d, "articles": [' % FORMAT_VERSION)
    for article in iter_articles(db, filters):
        if fmt == "jsonl":
            out.write(_dumps(article) + "\n")
        else:
            out.write(("," if count else "") + "\n" + _dumps(article))
        count += 1
    if fmt == "json":
        out.write("\n]}\n")
    return count


def export_to_file(db: sqlite_utils.Database, path: str | Path, fmt: str = "jsonl",
                   filters: ExportFilter | None = None) -> int:
    """Write the export to the file at ``path`` as ``kb export -o`` does; returns the count.

    A regular file (or a new one) is replaced whole once the export is written, so a failed
    export leaves the old file as it was; a FIFO or a device is written through, never replaced
    (:func:`kb.files.write_output`, which raises :class:`kb.files.UnwritableFile`)."""
    return write_output(Path(path), lambda out: write_export(db, out, fmt, filters))


def _dumps(data: Any) -> str:
    # Japanese unescaped; characters a terminal obeys escaped (the same text for a parser)
    return json_text(data)


def _where(filters: ExportFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.lang:
        clauses.append("lang = ?")
        params.append(filters.lang)
    if filters.site:
        clauses.append("site = ?")
        params.append(filters.site)
    if filters.since:
        # ISO dates (and date-times) compare as strings; an undated article has no "since"
        clauses.append("substr(coalesce(updated, published), 1, 10) >= ?")
        params.append(filters.since)
    if filters.article_ids:
        clauses.append(f"id in ({', '.join('?' for _ in filters.article_ids)})")
        params.extend(filters.article_ids)
    return ("where " + " and ".join(clauses)) if clauses else "", params


def _article(db: sqlite_utils.Database, row: dict[str, Any]) -> dict[str, Any]:
    article_id = row["id"]
    sections, positions = _sections(db, article_id)
    out = {k: row[k] for k in _ARTICLE_COLUMNS if k not in ("tags", "meta")}
    out["tags"] = json.loads(row["tags"]) if row["tags"] else []
    out["meta"] = json.loads(row["meta"]) if row["meta"] else {}
    out["sections"] = sections
    out["qa"] = _qa(db, article_id, positions)
    out["facts"] = _facts(db, article_id, positions)
    out["duplicates"] = article_duplicates(db.conn, article_id)
    return out


def _sections(db: sqlite_utils.Database, article_id: str) -> tuple[list[dict], dict[int, int]]:
    sections, positions = [], {}
    for sid, position, level, heading, heading_path, text, markdown, anchor, is_qa, boiler in (
        db.conn.execute(
            "select id, position, level, heading, heading_path, text, markdown, anchor, is_qa, "
            "boilerplate from sections where article_id = ? order by position", [article_id])
    ):
        positions[sid] = position
        path = heading_path.split(" > ")[:-1] if heading_path else []
        sections.append({
            "position": position, "level": level, "heading": heading or "",
            "heading_path": path, "anchor": anchor, "text": text or "",
            "markdown": markdown or "", "is_qa": bool(is_qa), "boilerplate": bool(boiler),
        })
    return sections, positions


def _qa(db: sqlite_utils.Database, article_id: str, positions: dict[int, int]) -> list[dict]:
    return [
        {"section_position": positions.get(sid), "label": label or "", "question": question,
         "answer": answer}
        for sid, label, question, answer in db.conn.execute(
            "select section_id, label, question, answer from qa where article_id = ? order by id",
            [article_id])
    ]


def _facts(db: sqlite_utils.Database, article_id: str, positions: dict[int, int]) -> list[dict]:
    out = []
    for row in db.conn.execute(
        "select f.section_id, s.heading, f.symptom, f.cause, f.relation, f.cause_kind, "
        "f.certainty, f.evidence, f.source, f.span_start, f.span_end, f.method, f.pattern, "
        "f.confidence, f.curated, f.extra from facts f left join sections s on s.id = f.section_id "
        "where f.article_id = ? order by f.id", [article_id]
    ):
        (sid, heading, symptom, cause, relation, kind, certainty, evidence, source, start, end,
         method, pattern, confidence, curated, extra) = row
        out.append({
            "symptom": symptom, "cause": cause, "relation": relation, "cause_kind": kind,
            "certainty": certainty, "section_position": positions.get(sid) if sid else None,
            "heading": heading, "evidence": evidence or "", "source": source or "",
            "span": [start or 0, end or 0], "method": method or "", "pattern": pattern or "",
            "confidence": confidence, "curated": bool(curated),
            "extra": json.loads(extra) if extra else {},
        })
    return out
