"""The header of a scraped page: the article's title and, around it, its dates, category, tags
and byline, and the table of contents under it.

A scraped page starts with its <title> (article title | site); the title stands again above the
article, or above (or below) the page's date and category labels. Those lines and the table of
contents are metadata, not the article's text: the finders return the lines they used.
"""

from __future__ import annotations

import re

from . import meta as page_meta
from .lines import MAX_HEADING, chrome_kind, heading_shape, is_prose

_TOC_LABEL = re.compile(r"^(?:目次|もくじ|この記事の目次|この記事の内容|この記事でわかること|contents|table of contents|index)$", re.I)


def table_of_contents(lines: list[str]) -> set[int]:
    """A table of contents: its label and the items under it that come again later."""
    out: set[int] = set()
    for i, line in enumerate(lines):
        if not _TOC_LABEL.match(line):
            continue
        out.add(i)
        j = i + 1
        while j < min(len(lines), i + 80) and (not lines[j] or (
                len(lines[j]) <= MAX_HEADING and lines[j] in lines[j + 1 :])):
            if lines[j]:
                out.add(j)
            j += 1
    return out


def find_title(lines: list[str], toc: set[int],
               repeated: set[int]) -> tuple[str, int | None, str | None]:
    """The article's title, the line where it stands above the article (or None), and the
    page's first line (a scraped page starts with its <title>: article title | site)."""
    first_at = next((i for i, line in enumerate(lines) if line), None)
    first = lines[first_at] if first_at is not None else None
    head = page_meta.TITLE_SEPARATORS.split(first)[0].strip() if first else ""
    # where a title stands, most telling first: the page title's text again; the line above a
    # date or category label; the line below them (a date and category above the title)
    again = [i for i, line in enumerate(lines)
             if i != first_at and line and i not in toc and line in (first, head)]
    above: list[int] = []
    below: list[int] = []
    for i, line in enumerate(lines):
        if not (page_meta.iso_date(line) or page_meta.CATEGORY_LABEL.match(line)) or i in repeated:
            continue
        j = i - 1
        while j >= 0 and (not lines[j] or page_meta.CATEGORY_LABEL.match(lines[j])
                          or lines[j].startswith(("- ", "・")) or page_meta.iso_date(lines[j])):
            j -= 1
        if j >= 0 and j != first_at and j not in repeated and not is_prose(lines[j]) \
                and 4 <= len(lines[j]) <= 120 and not chrome_kind(lines[j]):
            above.append(j)
        k = i + 1
        while k < len(lines) and (not lines[k] or page_meta.CATEGORY_LABEL.match(lines[k])
                                  or page_meta.iso_date(lines[k])):
            k += 1
        if k < len(lines) and k not in repeated and heading_shape(lines[k]) and len(lines[k]) >= 4 \
                and not page_meta.is_byline(lines[k]):
            below.append(k)
    for candidates in (again, above, below):
        with_text = [i for i in candidates if _prose_after(lines, i, repeated) > 0]
        if with_text:
            best = max(with_text, key=lambda i: (_prose_after(lines, i, repeated), -i))
            return lines[best], best, first
    return head or (first or ""), None, first


def _prose_after(lines: list[str], at: int, repeated: set[int], window: int = 25) -> int:
    return sum(len(line) for i, line in enumerate(lines[at + 1 : at + 1 + window], start=at + 1)
               if is_prose(line) and i not in repeated)


def header_end(lines: list[str], title_at: int | None) -> int:
    """Where the header under the title (dates, category, byline) may end."""
    if title_at is None:
        return 0
    return min(len(lines), title_at + 14)


def header_meta(lines: list[str], title_at: int | None, header_end: int,
                first_line: str | None) -> tuple[dict[str, object], set[int]]:
    """Dates, category, tags and byline in the header around the title (and the lines they
    take), the author elsewhere on the page when the header names none, and the site."""
    meta: dict[str, object] = {}
    used: set[int] = set()
    start = title_at - 3 if title_at is not None else 0
    end = header_end if title_at is not None else min(len(lines), 30)
    dates, date_lines = page_meta.find_dates(lines, start, end)
    meta.update(dates)
    used |= date_lines
    category, category_lines = page_meta.find_category(lines, start, end)
    if category:
        meta["category"] = category
        used |= category_lines
    elif title_at is not None:
        category, _ = page_meta.find_breadcrumb_category(lines, lines[title_at], title_at)
        if category:
            meta["category"] = category
            # the category shown again under the title (a tag link) is the header's
            used |= {i for i in range(title_at + 1, end) if lines[i] == category}
    tags, tag_lines = page_meta.find_tags(lines, start, end)
    if tags:
        meta["tags"] = tags
        used |= tag_lines
    # a byline in the header is part of it; one in a profile box further down is chrome anyway
    header = list(range(max(start, 0), end))
    author, at = page_meta.find_author(lines, header)
    if author:
        used.add(at)
    else:
        author, _ = page_meta.find_author(lines, list(range(len(lines))))
    if author:
        meta["author"] = author
    site = page_meta.find_site(lines, first_line)
    if site:
        meta["site"] = site
    return meta, used
