"""The article, duplicates and boilerplate pages: what their templates show, read from the index.

Article text is Markdown written by editors; it is rendered with raw HTML switched off (an
article holding ``<script>`` shows it as text) and unsafe link schemes refused by markdown-it.
Everything else reaches the templates as plain strings, which Jinja escapes.
"""

from __future__ import annotations

import difflib
import html
import json
import sqlite3
from functools import lru_cache
from typing import Any

import sqlite_utils
from markdown_it import MarkdownIt
from markupsafe import Markup

from .duplicate_store import list_duplicates
from .symptoms import RELATION_ORDER

# Longer sides are compared on their first this many characters: the comparison is quadratic.
DIFF_CHARS = 4000
DUPLICATES_PAGE = 50


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "html": False makes raw HTML in an article text, never markup; tables as the articles use them
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> Markup:
    """An article's Markdown as safe HTML: raw HTML escaped, javascript: and data: links refused."""
    return Markup(_markdown().render(source or ""))


def article_page(conn: sqlite3.Connection, article_id: str) -> dict[str, Any] | None:
    """An article as a reader sees it: its front matter, sections (Q&A marked), facts and how
    many of its sections are shared with other articles; None when there is no such article."""
    db = sqlite_utils.Database(conn)
    rows = list(db.query("select * from articles where id = ?", [article_id]))
    if not rows:
        return None
    article = rows[0]
    article["tags"] = _json_list(article.get("tags"))
    questions = {r["section_id"]: r for r in db.query(
        "select section_id, label, question from qa where article_id = ?", [article_id])}
    shared = {r["section_id"]: r["n"] for r in db.query(
        """select section_id, count(*) as n from (
             select a_section_id as section_id from duplicates where a_article_id = :id
             union all select b_section_id from duplicates where b_article_id = :id)
           group by section_id""", {"id": article_id})}
    sections = []
    for s in db.query(
        """select id, position, level, heading, anchor, is_qa, markdown, boilerplate
           from sections where article_id = ? order by position""", [article_id]
    ):
        qa = questions.get(s["id"])
        sections.append({
            **s, "question": qa["question"] if qa else None, "label": qa["label"] if qa else None,
            "html": render_markdown(s["markdown"]), "shared": shared.get(s["id"], 0),
            "tag": f"h{min(6, max(2, s['level']))}",  # the title is the page's h1
        })
    facts = list(db.query(
        """select f.relation, f.cause, f.symptom, f.certainty, f.evidence, s.anchor, s.heading
           from facts f left join sections s on s.id = f.section_id
           where f.article_id = ? order by f.confidence desc, f.id""", [article_id]))
    by_relation = {r: [f for f in facts if f["relation"] == r] for r in RELATION_ORDER}
    return {
        "article": article, "sections": sections,
        "facts": {r: fs for r, fs in by_relation.items() if fs},
        "duplicates": sum(shared.values()),
        "boilerplate": sum(1 for s in sections if s["boilerplate"]),
    }


def duplicates_page(conn: sqlite3.Connection, *, article_id: str | None = None,
                    kind: str | None = None, page: int = 1) -> dict[str, Any]:
    """Duplicates (of one article, of one kind), most similar first, each side's text marked:
    what both share and what differs."""
    db = sqlite_utils.Database(conn)
    title = None
    if article_id:
        found = db.execute("select title from articles where id = ?", [article_id]).fetchone()
        title = found[0] if found else None
    entries = list_duplicates(db, article_id=article_id, kind=kind)
    start = (page - 1) * DUPLICATES_PAGE
    shown = entries[start : start + DUPLICATES_PAGE]
    for entry in shown:
        entry["a_html"], entry["b_html"] = side_by_side(entry["a"]["text"], entry["b"]["text"])
    return {"entries": shown, "total": len(entries), "page": page,
            "pages": max(1, -(-len(entries) // DUPLICATES_PAGE)), "article_id": article_id,
            "title": title, "kind": kind}


def side_by_side(a: str, b: str) -> tuple[Markup, Markup]:
    """Both texts as HTML, each character run marked as shared with the other side (``kb-same``)
    or differing (``kb-diff``); compared character by character, as Japanese has no spaces."""
    a_cut, b_cut = a[:DIFF_CHARS], b[:DIFF_CHARS]
    matcher = difflib.SequenceMatcher(None, a_cut, b_cut, autojunk=False)
    left, right = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        css = "kb-same" if op == "equal" else "kb-diff"
        if i2 > i1:
            left.append(_span(css, a_cut[i1:i2]))
        if j2 > j1:
            right.append(_span(css, b_cut[j1:j2]))
    if len(a) > DIFF_CHARS:
        left.append(html.escape(a[DIFF_CHARS:]))
    if len(b) > DIFF_CHARS:
        right.append(html.escape(b[DIFF_CHARS:]))
    return Markup("".join(left)), Markup("".join(right))


def _span(css: str, text: str) -> str:
    tag = "span" if css == "kb-same" else "mark"
    return f'<{tag} class="{css}">{html.escape(text)}</{tag}>'


def boilerplate_page(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Blocks found in 3 or more articles, each with its places (the boilerplate report)."""
    return list_duplicates(sqlite_utils.Database(conn), kind="boilerplate")


def _json_list(value: Any) -> list[str]:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
