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

from ..duplicates import duplicate_sides, match_filters
from ..duplicates import boilerplate_setting
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
    """Duplicates (of one article, of one kind), a page at a time: pairs (a copy or a light
    rewrite, in two places), most similar first, each side's text marked where the two share it
    and where they differ; and groups (a text in three places or more, boilerplate included).

    Paged in SQL: a large index holds hundreds of thousands of matches (the boilerplate of
    thousands of articles), far too many to read for one page."""
    title = None
    if article_id:
        found = conn.execute("select title from articles where id = ?", [article_id]).fetchone()
        title = found[0] if found else None
    pair_where, group_where = match_filters(article_id, kind)
    params: dict[str, Any] = {"article": article_id, "kind": kind,
                              "limit": DUPLICATES_PAGE, "offset": (page - 1) * DUPLICATES_PAGE}
    pairs_from = ("from duplicates d left join duplicate_clusters c on c.id = d.cluster_id "
                  f"where {' and '.join(pair_where)}")
    total = conn.execute(f"select count(*) {pairs_from}", params).fetchone()[0]
    rows = conn.execute(
        f"""select d.kind, d.similarity, d.containment, d.a_article_id, d.a_section_id,
                   d.a_paragraph, d.b_article_id, d.b_section_id, d.b_paragraph
            {pairs_from} order by d.similarity desc, d.containment desc, d.id
            limit :limit offset :offset""", params).fetchall()
    sides = duplicate_sides(conn, [(r[3], r[4], r[5]) for r in rows] + [(r[6], r[7], r[8]) for r in rows])
    entries = []
    for r in rows:
        a, b = sides[(r[3], r[4], r[5])], sides[(r[6], r[7], r[8])]
        a_html, b_html = side_by_side(a["text"], b["text"])
        entries.append({"kind": r[0], "similarity": r[1], "containment": r[2], "a": a, "b": b,
                        "a_html": a_html, "b_html": b_html})
    groups_from = f"from duplicate_clusters c where {' and '.join(group_where)}"
    group_total = conn.execute(f"select count(*) {groups_from}", params).fetchone()[0]
    groups = _groups(conn, conn.execute(
        f"""select c.id, c.kind, c.places, c.articles, c.similarity, c.sample {groups_from}
            order by c.articles desc, c.places desc, c.id limit :limit offset :offset""",
        params).fetchall())
    pages = max(1, -(-max(total, group_total) // DUPLICATES_PAGE))
    return {"entries": entries, "total": total, "groups": groups, "group_total": group_total,
            "page": page, "pages": pages, "article_id": article_id, "title": title, "kind": kind}


def boilerplate_page(conn: sqlite3.Connection, page: int = 1) -> dict[str, Any]:
    """Blocks found in enough articles to be boilerplate (``min_articles``: the build's setting),
    those in most articles first, with their places."""
    total = conn.execute(
        "select count(*) from duplicate_clusters where kind = 'boilerplate'").fetchone()[0]
    rows = conn.execute(
        """select id, kind, places, articles, similarity, sample from duplicate_clusters
           where kind = 'boilerplate' order by articles desc, places desc, id
           limit ? offset ?""", [DUPLICATES_PAGE, (page - 1) * DUPLICATES_PAGE]).fetchall()
    meta = dict(conn.execute("select key, value from kb_meta").fetchall())
    return {"blocks": _groups(conn, rows), "total": total, "page": page,
            "pages": max(1, -(-total // DUPLICATES_PAGE)),
            "min_articles": boilerplate_setting(meta)}


def _groups(conn: sqlite3.Connection, rows: list[tuple]) -> list[dict[str, Any]]:
    """Clusters as the pages show them: their sample and their first places."""
    if not rows:
        return []
    ids = [r[0] for r in rows]
    places: dict[int, list[tuple]] = {i: [] for i in ids}
    for cluster_id, article_id, section_id, paragraph in conn.execute(
        f"""select cluster_id, article_id, section_id, paragraph from duplicate_places
            where cluster_id in ({', '.join('?' * len(ids))})
            order by cluster_id, article_id, section_id""", ids
    ):
        if len(places[cluster_id]) < PLACES_SHOWN:
            places[cluster_id].append((article_id, section_id, paragraph))
    sides = duplicate_sides(conn, [p for shown in places.values() for p in shown], texts=False)
    return [{"id": r[0], "kind": r[1], "places": r[2], "articles": r[3], "similarity": r[4],
             "sample": r[5], "shown": [sides[p] for p in places[r[0]]]} for r in rows]


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
