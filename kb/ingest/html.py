"""An HTML page: the article's main content and metadata, with trafilatura.

trafilatura (a well-kept content extraction library) finds the main content and leaves out the
page's chrome, also the chrome inside an article's own element (a table of contents, a booking box,
share buttons, captions), which an extractor that keeps everything under <article> and its
h1-h6 does not: on the clinic-blog page of tests/fixtures/html/ it kept 37 lines, all of the
article (precision 1.0, recall 1.0), where the h1-h6 extractor kept 48 (precision 0.90). Heading
levels come from the page's h2-h6. Metadata comes from trafilatura (JSON-LD, Open Graph, bylines)
and from the page itself (the modification date, labelled dates).

A page trafilatura finds nothing in is read as scraped text (its tags dropped), as a last resort.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from . import meta as page_meta
from .lines import heading_shape
from .outline import ANSWER_LABEL, Block, Heading, Paragraph, is_question, numbering_style
from .scraped import ScrapedPage, read_scraped

_HTML = re.compile(r"<(?:!doctype\s+html|html|head|body|h[1-6]|p|div|article)\b", re.I)
_MODIFIED = (
    re.compile(r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:modified_time|og:updated_time|dateModified|last-modified)["'][^>]*content=["']([^"']+)""", re.I),
    re.compile(r"""<meta[^>]+content=["']([^"']+)["'][^>]*(?:property|name|itemprop)=["'](?:article:modified_time|og:updated_time|dateModified)["']""", re.I),
    re.compile(r"""<time[^>]+class=["'][^"']*(?:updated|modified)[^"']*["'][^>]*datetime=["']([^"']+)""", re.I),
    re.compile(r'"dateModified"\s*:\s*"([^"]+)"'),
)
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_PUBLISHED = (
    re.compile(r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:published_time|datePublished|pubdate)["'][^>]*content=["']([^"']+)""", re.I),
    re.compile(r"""<meta[^>]+content=["']([^"']+)["'][^>]*(?:property|name|itemprop)=["'](?:article:published_time|datePublished)["']""", re.I),
    re.compile(r'"datePublished"\s*:\s*"([^"]+)"'),
)
_CANONICAL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)""", re.I)
_BLOCK_TAGS = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|"
                         r"nav|aside|main|dt|dd|dl|figure|figcaption|blockquote)\b[^>]*>", re.I)


def looks_like_html(text: str) -> bool:
    """Whether a page is HTML (rather than scraped text)."""
    return bool(_HTML.search(text[:5000]))


def read_html(source: str) -> ScrapedPage:
    """The article of an HTML page: metadata, headings (with their levels) and paragraphs."""
    import trafilatura  # imported when needed: it takes a while to load

    document = trafilatura.bare_extraction(source, with_metadata=True, include_formatting=True,
                                           include_tables=False, output_format="python")
    body = trafilatura.extract(source, output_format="xml", include_formatting=True,
                               include_tables=False, include_comments=False)
    if not body:
        return read_scraped(html_to_text(source))
    metadata = _as_dict(document)
    meta = _meta(metadata, source)
    blocks = _header_from_body(_blocks_of_xml(body, str(meta.get("title") or "")), meta)
    if not meta.get("site"):
        text_lines = [line.strip() for line in html_to_text(source).split("\n")]
        title_tag = _TITLE_TAG.search(source)
        site = page_meta.find_site(text_lines, html_lib.unescape(title_tag.group(1)).strip()
                                   if title_tag else None)
        if site:
            meta["site"] = site
    page_lines = sum(1 for line in html_to_text(source).split("\n") if line.strip())
    kept = sum(1 if isinstance(b, Heading) else len(b.lines) for b in blocks)
    dropped = max(page_lines - kept, 0)
    return ScrapedPage(meta=meta, blocks=blocks, dropped_lines=dropped,
                       dropped=[f"the page outside its main content, found by trafilatura "
                                f"({dropped} lines)"])


def html_to_text(source: str) -> str:
    """An HTML page as text lines, its scripts, styles and tags dropped."""
    text = re.sub(r"(?is)<(script|style|noscript|template)\b.*?</\1>", "", source)
    text = re.sub(r"(?s)<!--.*?-->", "", text)
    text = _BLOCK_TAGS.sub("\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html_lib.unescape(text)


def _as_dict(document: Any) -> dict[str, Any]:
    if document is None:
        return {}
    if isinstance(document, dict):
        return document
    return document.as_dict() if hasattr(document, "as_dict") else vars(document)


def _meta(found: dict[str, Any], source: str) -> dict[str, object]:
    meta: dict[str, object] = {}
    title = (found.get("title") or "").strip()
    if title:
        meta["title"] = page_meta.TITLE_SEPARATORS.split(title)[0].strip() if " | " in title else title
    for key, name in (("sitename", "site"), ("author", "author"), ("url", "url")):
        value = (found.get(key) or "").strip()
        if value:
            meta[name] = value.split(";")[0].strip()
    canonical = _CANONICAL.search(source)
    if canonical and "url" not in meta:
        meta["url"] = canonical.group(1)
    # a date the page declares; else trafilatura's (which may be a guess: the body's header
    # lines, read later, win over it)
    declared = next((m.group(1) for p in _PUBLISHED if (m := p.search(source))), None)
    date = page_meta.iso_date(declared or "") or (page_meta.iso_date(str(found["date"]))
                                                    if found.get("date") else None)
    if date:
        meta["published"] = date
    updated = _modified(source)
    if updated:
        meta["updated"] = updated
    categories = found.get("categories") or []
    if isinstance(categories, str):
        categories = [c.strip() for c in categories.split(",") if c.strip()]
    if categories:
        meta["category"] = categories[0]
    tags = found.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if tags:
        meta["tags"] = list(tags)
    return meta


def _modified(source: str) -> str | None:
    for pattern in _MODIFIED:
        m = pattern.search(source)
        if m and page_meta.iso_date(m.group(1)):
            return page_meta.iso_date(m.group(1))
    # a labelled 更新日 in the page's text
    text = html_to_text(source)
    dates, _ = page_meta.find_dates([line.strip() for line in text.split("\n")], 0, 10**9)
    return dates.get("updated")


def _blocks_of_xml(xml: str, title: str) -> list[Block]:
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"))
    blocks: list[Block] = []
    for element in root.iter("head", "p", "item", "quote"):
        if element.tag == "item" and element.getparent() is not None and any(
                True for _ in element.iterancestors("item")):
            continue  # nested list items come with their parent item
        text = _text(element)
        if not text:
            continue
        if element.tag == "head":
            level = _level(element.get("rend") or "")
            if level == 1 and (not blocks or text == title):
                continue  # the title is the front matter's
            blocks.append(Heading(text, level))
            continue
        rend = element.get("rend") or ""
        if _is_bold_heading(element, text) or (rend.startswith("dt") and heading_shape(text)):
            # a paragraph that is only bold text, or a definition term (Q. ... in a <dl>), is a
            # heading whose level is not known
            blocks.append(Heading(text, 0, style=numbering_style(text)))
            continue
        if blocks and isinstance(blocks[-1], Heading) and is_question(blocks[-1].text):
            text = ANSWER_LABEL.sub("", text, count=1) or text
        bullet = element.tag == "item" and not rend.startswith(("dt", "dd"))
        lines = [("・" if bullet else "") + line.strip() for line in text.split("\n") if line.strip()]
        if bullet and blocks and isinstance(blocks[-1], Paragraph) and \
                blocks[-1].lines and blocks[-1].lines[-1].startswith("・"):
            blocks[-1].lines.extend(lines)  # one paragraph for one list
        else:
            blocks.append(Paragraph(lines))
    _shift_levels(blocks)
    return blocks


def _is_bold_heading(element: Any, text: str) -> bool:
    if element.tag != "p" or not heading_shape(text):
        return False
    children = [c for c in element if c.tag != "lb"]
    outside = (element.text or "").strip() + "".join((c.tail or "").strip() for c in element)
    return len(children) == 1 and children[0].tag == "hi" and not outside


def _header_from_body(blocks: list[Block], meta: dict[str, object]) -> list[Block]:
    """Dates, category and byline lines between the title and the first heading (kept by the
    extractor as paragraphs) go to the front matter; a date shown there wins over a guessed one."""
    first_heading = next((n for n, b in enumerate(blocks) if isinstance(b, Heading)), len(blocks))
    lines = [b.lines[0] for b in blocks[:first_heading][:6] if isinstance(b, Paragraph) and len(b.lines) == 1]
    dates, used_dates = page_meta.find_dates(lines, 0, len(lines))
    category, used_category = page_meta.find_category(lines, 0, len(lines))
    author, author_at = page_meta.find_author(lines, list(range(len(lines))))
    used = {lines[i] for i in used_dates | used_category | ({author_at} if author else set())}
    for key, value in dates.items():
        meta[key] = value
    if category and not meta.get("category"):
        meta["category"] = category
    if author and not meta.get("author"):
        meta["author"] = author
    head = [b for b in blocks[:first_heading]
            if not (isinstance(b, Paragraph) and len(b.lines) == 1 and b.lines[0] in used)]
    return head + blocks[first_heading:]


def _text(element: Any) -> str:
    parts: list[str] = []
    if element.text:
        parts.append(element.text)
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag not in ("list",):
            parts.append("".join(child.itertext()))
        if child.tail:
            parts.append(child.tail)
    return re.sub(r"[ \t\u3000]+", " ", "".join(parts)).strip()


def _level(rend: str) -> int:
    m = re.match(r"h([1-6])", rend)
    return int(m.group(1)) if m else 2


def _shift_levels(blocks: list[Block]) -> None:
    """The body's top headings become ## (a page whose article starts at h3, or uses h1 for
    its sections, keeps its nesting)."""
    levels = [b.level for b in blocks if isinstance(b, Heading) and b.level]
    if not levels:
        return
    shift = 2 - min(levels)
    for block in blocks:
        if isinstance(block, Heading) and block.level:
            block.level = max(2, min(6, block.level + shift))
