"""The article, duplicates and boilerplate pages: what their templates show, read from the index
(the duplicate tables through kb/duplicates/report.py).

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

from ..duplicates import boilerplate_setting, groups_page, matches_by_section, pairs_page
from ..model import RELATION_ORDER

# Longer sides are compared on their first this many characters: the comparison is quadratic.
DIFF_CHARS = 4000
DUPLICATES_PAGE = 50
PLACES_SHOWN = 12  # places listed for a text found in many


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
    shared = matches_by_section(conn, article_id)
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
    """Duplicates (of one article, of one kind), a page at a time: pairs (a copy or a light
    rewrite, in two places), most similar first, each side's text marked where the two share it
    and where they differ; and groups (a text in three places or more, boilerplate included)."""
    title = None
    if article_id:
        found = conn.execute("select title from articles where id = ?", [article_id]).fetchone()
        title = found[0] if found else None
    offset = (page - 1) * DUPLICATES_PAGE
    total, pairs = pairs_page(conn, article_id=article_id, kind=kind, limit=DUPLICATES_PAGE,
                              offset=offset)
    entries = []
    for pair in pairs:
        a_html, b_html = side_by_side(pair["a"]["text"], pair["b"]["text"])
        entries.append({**pair, "a_html": a_html, "b_html": b_html})
    group_total, groups = groups_page(conn, article_id=article_id, kind=kind,
                                      limit=DUPLICATES_PAGE, offset=offset,
                                      places_shown=PLACES_SHOWN)
    pages = max(1, -(-max(total, group_total) // DUPLICATES_PAGE))
    return {"entries": entries, "total": total, "groups": groups, "group_total": group_total,
            "page": page, "pages": pages, "article_id": article_id, "title": title, "kind": kind}


def boilerplate_page(conn: sqlite3.Connection, page: int = 1) -> dict[str, Any]:
    """Blocks found in enough articles to be boilerplate (``min_articles``: the build's setting),
    those in most articles first, with their places."""
    total, blocks = groups_page(conn, kind="boilerplate", limit=DUPLICATES_PAGE,
                                offset=(page - 1) * DUPLICATES_PAGE, places_shown=PLACES_SHOWN)
    meta = dict(conn.execute("select key, value from kb_meta").fetchall())
    return {"blocks": blocks, "total": total, "page": page,
            "pages": max(1, -(-total // DUPLICATES_PAGE)),
            "min_articles": boilerplate_setting(meta)}


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


def _json_list(value: Any) -> list[str]:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [str(value)]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]
