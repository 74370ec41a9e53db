"""A section's outline: the sub-sections directly below it, read from the index.

A heading with little text of its own (「腰痛の主な原因」 over one ### per cause) answers a query
through its sub-sections: ranking reads their headings' terms (so such a section is not demoted
when they, with its own heading, hold the query's words), and its hit lists them as a short
outline to jump to.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

# At most this many sub-sections are listed under a hit.
OUTLINE_ITEMS = 12


def sub_sections(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[tuple]]:
    """The sub-sections directly below each of these sections, in order, as
    (id, heading, anchor); sections without any are left out.

    The sections after one in its article, up to the next at its level or above, are its
    descendants; a descendant is directly below it when no earlier descendant is at its level
    or above it (the rule of kb.index.store.child_counts).
    """
    if not ids:
        return {}
    found: dict[int, list[tuple]] = {}
    ended: set[int] = set()
    shallowest: dict[int, int] = {}
    for parent, level, child, child_level, heading, anchor in db.execute(
        f"""select p.id, p.level, s.id, s.level, s.heading, s.anchor
            from sections p join sections s
              on s.article_id = p.article_id and s.position > p.position
            where p.id in ({", ".join("?" * len(ids))}) and p.child_count > 0
            order by p.id, s.position""",
        list(ids),
    ):
        if parent in ended:
            continue
        if child_level <= level:
            ended.add(parent)
            continue
        if child_level <= shallowest.get(parent, child_level):
            shallowest[parent] = child_level
            found.setdefault(parent, []).append((child, heading, anchor))
    return found


def outline_terms(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[str]]:
    """The index terms of the headings directly below each of these sections."""
    below = sub_sections(db, ids)
    children = sorted({child for items in below.values() for child, _, _ in items})
    if not children:
        return {}
    marks = ", ".join("?" * len(children))
    headings = dict(db.execute(
        f"select rowid, heading from sections_fts where rowid in ({marks})", children).fetchall())
    return {parent: [t for child, _, _ in items for t in (headings.get(child) or "").split()]
            for parent, items in below.items()}


def outlines(db: sqlite_utils.Database, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each section's outline as a hit shows it: ``[{heading, anchor}]`` of its sub-sections."""
    return {parent: [{"heading": heading, "anchor": anchor}
                     for _, heading, anchor in items[:OUTLINE_ITEMS]]
            for parent, items in sub_sections(db, ids).items()}
