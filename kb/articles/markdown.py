"""Article files: bytes in, :class:`~kb.model.Article` out.

An article is UTF-8 Markdown with YAML front matter (see README, "The article format"). Every
problem is raised as :class:`~kb.errors.InvalidArticle` naming the file and, where known, the line.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .encoding import decode_text
from ..errors import InvalidArticle
from ..files import read_article_bytes
from .front_matter import load_front_matter
from ..analysis import detect_language
from ..model import QA, RELATIONS, Article, Fact, Section

_ID_RE = re.compile(r"^[^\s/\\?#%]+$")
# A question label at the start of a heading: Q1. / Q: / Q1 / 質問1: / 問1.
# A label counts only when a number or a separator follows (Quick..., 問診 are no labels).
_QUESTION_LABEL = re.compile(
    r"^\s*(?:((?:Q|Ｑ|問)\s*[0-9０-９]+)\s*[.．:：、)）]?|((?:Q|Ｑ|問)\s*[0-9０-９]*)\s*[.．:：、)）]"
    r"|(質問\s*[0-9０-９]*)\s*[.．:：、)）]?)\s*(?=\S)",
    re.IGNORECASE,
)
_QUESTION_END = re.compile(r"[?？]\s*$")
_md = MarkdownIt("commonmark", {"html": False})
# markdown-it stops at blocks nested maxNesting (20) levels deep and skips the rest of the
# enclosing block, which for a list is the rest of the document, headings included. Blocks from
# _DEEPEST levels down are read as plain text instead (_deep_block_as_text): their words are
# kept, the parser's recursion stays bounded, and markdown-it's own limit is never reached (a
# list item opens two levels, so a block begun one level above _DEEPEST stays under 20).
_DEEPEST = _md.options["maxNesting"] - 2


def _deep_block_as_text(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """A block nested _DEEPEST levels deep, read as one paragraph of plain text: its lines up to
    a blank line, or to a line less indented than its container (which an outer block reads)."""
    if state.level < _DEEPEST:
        return False
    if silent:
        return True
    line = start + 1
    # sCount is -1 for a blockquote's lazy lines: they belong to the quote, as in a paragraph
    while line < end and not state.isEmpty(line) and not 0 <= state.sCount[line] < state.blkIndent:
        line += 1
    state.line = line
    state.push("paragraph_open", "p", 1).map = [start, line]
    inline = state.push("inline", "", 0)
    inline.content = state.getLines(start, line, state.blkIndent, False).strip()
    inline.map = [start, line]
    inline.children = []
    state.push("paragraph_close", "p", -1)
    return True


_md.block.ruler.before("table", "deep_text", _deep_block_as_text)

# Inline markup is parsed with a nesting limit of its own: a link label nested in brackets or an
# image in a link needs a few levels, and markdown-it's cost per bracket grows with the limit
# (100 KB of "[" takes 1 s at the block parser's 20, under half that at 6).
_inline_md = MarkdownIt("commonmark", {"html": False, "maxNesting": 6})


def _parse_inline_blocks(state: StateCore) -> None:
    """markdown-it's core "inline" step, run by the inline parser with its own nesting limit."""
    for token in state.tokens:
        if token.type == "inline":
            token.children = _inline_md.inline.parse(token.content, _inline_md, state.env, [])


_md.core.ruler.at("inline", _parse_inline_blocks)


def parse_article_file(path: Path, root: Path | None = None) -> Article:
    """Read and parse one article file; ``root`` makes the stored path relative to it."""
    data = read_article_bytes(path)  # bounded: a FIFO, /dev/zero or a huge file is refused
    article = parse_article(data, str(path), default_id=path.stem)
    if root is not None:
        article.path = path.relative_to(root).as_posix()
    return article


def parse_article(data: bytes, path: str, default_id: str | None = None) -> Article:
    """Parse an article from its bytes. ``path`` is only used in messages and stored as is."""
    text = decode_text(data, path)
    meta, body, body_line = split_front_matter(text, path)
    article_id = _article_id(meta, default_id or Path(path).stem, path, text)
    sections = parse_sections(body, body_line)
    title = _title(meta, sections, path)
    lang = str(meta.get("lang") or detect_language(title + "\n" + body))
    meta["lang"] = lang
    qa = [q for s in sections if (q := question_of(s)) is not None]
    facts = _curated_facts(meta, path, text)
    return Article(
        id=article_id,
        path=path,
        title=title,
        lang=lang,
        meta=meta,
        sections=sections,
        qa=qa,
        facts=facts,
        content_hash=hashlib.sha256(data).hexdigest(),
    )


def split_front_matter(text: str, path: str) -> tuple[dict[str, Any], str, int]:
    """Split ``---`` YAML front matter from the body; returns (meta, body, body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise InvalidArticle(
            path, "front matter opened with --- is never closed (add a line with --- after it)", 1
        )
    meta = load_front_matter("\n".join(lines[1:end]), path, first_line=2)
    return meta, "\n".join(lines[end + 1 :]), end + 2


def parse_sections(body: str, first_line: int = 1) -> list[Section]:
    """Cut a Markdown body into sections: the introduction, then one per heading.

    Plain articles (no inline markup, code, quotes or tables: most clinic articles) are read line
    by line; anything else goes through a CommonMark parser. Both give the same sections, which
    a test checks, and the line reader is several times faster.
    """
    src_lines = body.split("\n")
    events = simple_events(src_lines)
    if events is None:
        events = commonmark_events(body)
    return sections_from_events(events, src_lines, first_line)


# An event is ("heading", level, text, line index, line after the heading) or
# ("block", 0, text, -1, -1); a setext heading's underline is the heading's, not its section's.
Event = tuple[str, int, str, int, int]

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ ]+(.*?))?[ ]*$")
_BULLET = re.compile(r"^ {0,3}[-+][ ]+(?=\S)")
# Lines that need the full block parser: code, quotes, HTML, tables, thematic breaks and setext
# underlines, ordered and * lists, link reference definitions, indented code.
_NOT_SIMPLE_LINE = re.compile(
    r"^(?: {4}|\t| {0,3}(?:```|~~~|>|<|\[|\||=+\s*$|-+\s*$|(?:[*_-]\s*){3,}$"
    r"|\d{1,9}[.)](?:\s|$)|[-+*]\s*$|\*\s))"
)
# Characters that may be inline markup: such a block's text comes from the CommonMark inline parser.
_INLINE_MARKUP = re.compile(r"[*_`\[\]<>\\!&]")


def simple_events(lines: list[str]) -> list[Event] | None:
    """Events of a Markdown body with plain block structure read line by line, else None."""
    events: list[Event] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            events.append(("block", 0, _plain_text("\n".join(paragraph)), -1, -1))
            paragraph.clear()

    for index, line in enumerate(lines):
        if not line.strip():
            flush()
            continue
        if _NOT_SIMPLE_LINE.match(line):
            return None
        heading = _ATX.match(line)
        if heading:
            if "#" in (heading.group(2) or ""):
                return None  # closing sequences and the like: leave them to the parser
            flush()
            events.append(("heading", len(heading.group(1)), _plain_text(heading.group(2) or ""), index,
                           index + 1))
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            line = line[bullet.end() :]
            # an item that opens another block (- - x, - # heading, - > quote) is the parser's
            if _NOT_SIMPLE_LINE.match(line) or _ATX.match(line) or _BULLET.match(line):
                return None
        paragraph.append(line.strip())
    flush()
    return events


def _plain_text(source: str) -> str:
    """Plain text of one block's inline Markdown (the CommonMark parser only when markup may be)."""
    if _INLINE_MARKUP.search(source):
        tokens = _inline_md.parseInline(source)
        return _plain_inline(tokens[0]).strip() if tokens else ""
    return source.strip()


def commonmark_events(body: str) -> list[Event]:
    """Events of any Markdown body, from the CommonMark parser (the reference the line reader
    is checked against)."""
    tokens = _md.parse(body)
    events: list[Event] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            text = _plain_inline(tokens[i + 1]).strip()
            events.append(("heading", int(tok.tag[1]), text, tok.map[0] if tok.map else 0,
                           tok.map[1] if tok.map else 1))
            i += 3
            continue
        if tok.type == "inline":
            events.append(("block", 0, _plain_inline(tok).strip(), -1, -1))
        elif tok.type in ("fence", "code_block", "html_block"):
            events.append(("block", 0, tok.content.strip(), -1, -1))
        i += 1
    return events


def sections_from_events(events: list[Event], src_lines: list[str], first_line: int) -> list[Section]:
    """The sections the events of a body make (``first_line``: the body's first line in the file)."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, heading) of the open headings above
    current = _new_section(0, 0, "", [], first_line)
    start = 0  # first source line of the current section's own text
    blocks: list[str] = []

    def close(end: int) -> None:
        current.text = "\n\n".join(b for b in blocks if b)
        current.markdown = "\n".join(src_lines[start:end]).strip()
        if current.level > 0 or current.text:
            sections.append(current)

    for kind, level, text, index, after in events:
        if kind == "block":
            blocks.append(text)
            continue
        close(index)
        while stack and stack[-1][0] >= level:
            stack.pop()
        current = _new_section(len(sections), level, text, [h for _, h in stack], first_line + index)
        stack.append((level, text))
        blocks = []
        start = after
    close(len(src_lines))
    for n, section in enumerate(sections):
        section.position = n
        section.anchor = f"s{n}"
    return sections


def question_of(section: Section) -> QA | None:
    """The Q&A pair a section forms when its heading asks a question and it has an answer."""
    if section.level == 0 or not section.text:
        return None
    heading = section.heading
    label_match = _QUESTION_LABEL.match(heading)
    label = ""
    if label_match:
        label = re.sub(r"\s+", "", next(g for g in label_match.groups() if g))
        question = heading[label_match.end() :].strip()
    elif _QUESTION_END.search(heading):
        question = heading.strip()
    else:
        return None
    if not question:
        return None
    return QA(section_position=section.position, question=question, answer=section.text, label=label)


def _new_section(position: int, level: int, heading: str, path: list[str], line: int) -> Section:
    return Section(position=position, level=level, heading=heading, path=path, text="",
                   markdown="", line=line)


def _plain_inline(token: Token) -> str:
    """Plain text of an inline token: markup dropped, line breaks kept."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            out.append(child.content)
    return "".join(out)


def _line_of_key(text: str, key: str) -> int | None:
    for n, line in enumerate(text.split("\n")[:400], start=1):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return n
    return None


def _article_id(meta: dict[str, Any], default: str, path: str, text: str) -> str:
    value = meta.get("id", default)
    if not isinstance(value, (str, int)) or not _ID_RE.match(str(value)):
        raise InvalidArticle(
            path, f"id {value!r} is not valid: use letters, digits, - or _", _line_of_key(text, "id")
        )
    return str(value)


def _title(meta: dict[str, Any], sections: list[Section], path: str) -> str:
    title = meta.get("title")
    if title is None:
        raise InvalidArticle(path, "missing title: add 'title: ...' to the front matter", 1)
    if not isinstance(title, (str, int, float)) or not str(title).strip():
        raise InvalidArticle(path, "title is empty: give the article a title in the front matter", 1)
    meta["title"] = str(title).strip()
    return meta["title"]


def _curated_facts(meta: dict[str, Any], path: str, text: str) -> list[Fact]:
    raw = meta.get("facts")
    if raw is None:
        return []
    line = _line_of_key(text, "facts")
    if not isinstance(raw, list):
        raise InvalidArticle(path, "facts must be a list of {symptom, cause, relation}", line)
    facts = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not item.get("symptom") or not item.get("cause"):
            raise InvalidArticle(path, f"facts item {n} needs a symptom and a cause", line)
        relation = item.get("relation", "cause")
        if relation not in RELATIONS:
            raise InvalidArticle(
                path, f"facts item {n}: relation {relation!r} is not one of {', '.join(RELATIONS)}", line
            )
        extra = {k: v for k, v in item.items() if k not in ("symptom", "cause", "relation")}
        facts.append(Fact(symptom=str(item["symptom"]), cause=str(item["cause"]), relation=relation,
                          curated=True, extra=extra))
    return facts
