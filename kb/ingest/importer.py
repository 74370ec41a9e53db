"""Scraped pages and HTML pages in, Markdown articles (DESIGN format) out, for an editor to review.

``read_page`` decodes a page (UTF-8, Shift_JIS, EUC-JP, ISO-2022-JP), tells HTML from scraped
text, finds the article in it (kb/ingest/scraped.py, kb/ingest/html.py), gives its headings levels
(kb/ingest/outline.py) and writes the article (kb/ingest/writer.py). The result says what was
guessed, so the command can tell the editor what to check.

A page file is read up to ``MAX_PAGE_BYTES`` (20 MB; the environment variable
``KB_MAX_PAGE_BYTES`` sets another number of bytes): a larger file, or a device that never ends
such as ``/dev/zero``, is refused with a message, and a FIFO nobody writes to reads as empty.
The article's file name, made from the page's URL or file name, is checked like every name kb
writes (kb/files.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .writer import render_article, render_blocks
from ..articles import UnreadablePage, decode_page
from ..errors import InvalidArticle
from ..files import UnsafeName, byte_limit, read_limited, safe_name, write_article_files
from .html import looks_like_html, read_html
from ..analysis import detect_language
from ..articles import parse_article
from .outline import Paragraph, assign_levels
from .scraped import read_scraped

MIN_ARTICLE_CHARS = 80  # less body text than this is no article (a menu, an error page)
MAX_PAGE_BYTES = 20 * 1024 * 1024  # a page larger than this is not read (KB_MAX_PAGE_BYTES)
PAGE_LIMIT_VARIABLE = "KB_MAX_PAGE_BYTES"
MAX_ID_CHARS = 80  # a longer URL slug is cut: the id names a file (255 bytes at most)
_ID_UNSAFE = re.compile(r"[^\w\-.]+")


class NoArticle(InvalidArticle):
    """A page in which no article could be found."""


@dataclass
class ImportedPage:
    """A page made into an article, and what was guessed on the way."""

    source: str
    article_id: str
    markdown: str
    meta: dict[str, object]
    kind: str  # "text" or "html"
    encoding: str
    headings: int = 0
    top_headings: int = 0
    questions: int = 0
    dropped: list[str] = field(default_factory=list)
    levels: str = ""  # where the heading levels came from
    notes: list[str] = field(default_factory=list)  # guesses the editor should check

    def summary(self) -> str:
        """What was guessed, for the editor (one line of facts, then what to check)."""
        meta = self.meta
        found = [f"{k} {meta[k]}" for k in ("published", "updated", "category", "author", "site")
                 if meta.get(k)]
        missing = [k for k in ("published", "author", "site") if not meta.get(k)]
        parts = [
            f"{self.source}: {self.kind} page ({self.encoding})",
            f"title 「{meta.get('title')}」",
            f"{self.headings} headings ({self.top_headings} top-level; {self.levels}), "
            f"{self.questions} Q&A",
        ]
        if found:
            parts.append(", ".join(found))
        if missing:
            parts.append("not found: " + ", ".join(missing))
        if self.dropped:
            parts.append("dropped as chrome: " + "; ".join(self.dropped))
        parts += [f"check: {note}" for note in self.notes]
        return "\n  ".join(parts)


def read_page(data: bytes, source: str, article_id: str | None = None) -> ImportedPage:
    """Make one page (its bytes) into an article; ``source`` names it in messages."""
    text, encoding = decode_page(data, source)
    if looks_like_html(text):
        page = read_html(text)
        kind = "html"
    else:
        page = read_scraped(text)
        kind = "text"
    meta = {k: v for k, v in page.meta.items() if v not in (None, "", [])}
    prose = sum(len(line) for b in page.blocks if isinstance(b, Paragraph) for line in b.lines)
    if not meta.get("title") or prose < MIN_ARTICLE_CHARS:
        raise NoArticle(source, "no article found in this page (no title, or too little running "
                                "text outside the page's menus and boxes); nothing written")
    title = str(meta["title"])
    levels = assign_levels(page.blocks, title)
    body = render_blocks(page.blocks)
    meta["lang"] = detect_language(title + "\n" + body)
    article_id = article_id or page_article_id(source, meta)
    try:
        safe_name(f"{article_id}.md")
    except UnsafeName as e:
        raise InvalidArticle(source, f"cannot name the article's file: {e}; nothing written") from e
    markdown = render_article(_ordered(meta), body)
    # the article must read back in the DESIGN format; counts come from kb's own parser
    article = parse_article(markdown.encode("utf-8"), f"{article_id}.md", default_id=article_id)
    headings = [s for s in article.sections if s.level > 0]
    return ImportedPage(
        source=source, article_id=article_id, markdown=markdown, meta=meta, kind=kind,
        encoding=encoding, headings=len(headings),
        top_headings=sum(1 for s in headings if s.level == min(h.level for h in headings)),
        questions=len(article.qa), dropped=page.dropped, levels=levels, notes=page.notes,
    )


def import_file(path: Path) -> ImportedPage:
    """Read one page file (at most ``KB_MAX_PAGE_BYTES``) and make it into an article."""
    limit = byte_limit(PAGE_LIMIT_VARIABLE, MAX_PAGE_BYTES)
    try:
        data = read_limited(path, limit, PAGE_LIMIT_VARIABLE)
    except OSError as e:
        raise UnreadablePage(str(path), f"cannot be read: {e.strerror or e}") from e
    return read_page(data, str(path))


def write_imported(page: ImportedPage, out_dir: Path, force: bool = False) -> Path:
    """Write the article as ``out_dir/<id>.md``; an existing file only with ``force``, and
    never through a symbolic link (kb.files.write_article_files)."""
    name = PurePosixPath(safe_name(f"{page.article_id}.md"))
    return write_article_files(Path(out_dir), [(name, page.markdown)], force=force)[0]


def page_article_id(source: str, meta: dict[str, object]) -> str:
    """The file's name (a URL's last part when the page gives one), safe as an article id."""
    url = str(meta.get("url") or "").split("?")[0].split("#")[0]
    parts = [re.sub(r"\.(?:html?|php|aspx?)$", "", p) for p in url.split("/")[3:] if p]
    while parts and parts[-1].lower() in ("index", "default", "home", "entry", "post", "article"):
        parts.pop()  # .../back-heat/index.html names the article by its folder
    slug = parts[-1] if parts else ""
    if slug.isdigit() and len(parts) > 1:
        slug = f"{parts[-2]}-{slug}"  # /column/123.html: column-123
    base = slug if slug and re.fullmatch(r"[\w\-.]+", slug) else Path(source).stem
    return _ID_UNSAFE.sub("-", base[:MAX_ID_CHARS]).strip("-.") or "article"


def _ordered(meta: dict[str, object]) -> dict[str, object]:
    return {k: meta[k] for k in ("title", "lang", "site", "url", "author", "published", "updated",
                                  "category", "tags") if meta.get(k)}


__all__ = ["ImportedPage", "NoArticle", "import_file", "read_page",
           "write_imported"]
