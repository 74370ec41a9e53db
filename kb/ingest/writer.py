"""Markdown articles in the DESIGN format, written from imported pages or from an export."""

from __future__ import annotations

import re
from typing import Any, Iterable

import yaml

from .outline import Block, Heading, Paragraph

# the order editors expect in the front matter; anything else follows
FRONT_MATTER_ORDER = ("id", "title", "lang", "site", "url", "author", "published", "updated",
                      "category", "tags", "translation_of", "facts", "exclude")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Characters that would be Markdown markup where plain text was meant
_INLINE = re.compile(r"([\\`*_\[\]<>])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_BLOCK_START = re.compile(r"^(#|>|[-+*](?:\s|$)|\d{1,9}[.)](?:\s|$)|=+\s*$|-+\s*$|\|)")


def front_matter(meta: dict[str, Any]) -> str:
    """YAML front matter (between --- lines) with the fields in the usual order."""
    keys = [k for k in FRONT_MATTER_ORDER if meta.get(k) not in (None, "", [])]
    keys += [k for k in meta if k not in FRONT_MATTER_ORDER and meta[k] not in (None, "", [])]
    lines = ["---"]
    for key in keys:
        lines.append(_yaml_field(key, meta[key]))
    lines.append("---")
    return "\n".join(lines) + "\n"


def _yaml_field(key: str, value: Any) -> str:
    if isinstance(value, str) and _ISO_DATE.match(value) and key in ("published", "updated"):
        return f"{key}: {value}"  # read back as a date, stored as the same ISO string
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        flow = yaml.safe_dump(value, allow_unicode=True, width=100000, default_flow_style=True)
        return f"{key}: {flow.strip()}"
    dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=100000,
                            default_flow_style=False)
    return dumped.rstrip("\n")


def escape_text(line: str) -> str:
    """A line of plain text as Markdown that reads back as the same text."""
    line = _ENTITY.sub("&amp;", _INLINE.sub(r"\\\1", line))
    if _BLOCK_START.match(line):
        line = "\\" + line
    return line


def escape_heading(text: str) -> str:
    """A heading's plain text as the text of an ATX heading."""
    # an ATX heading is one line: the line breaks of a multi-line setext heading become spaces
    text = _ENTITY.sub("&amp;", _INLINE.sub(r"\\\1", text.replace("\n", " ").strip()))
    return re.sub(r"#", r"\\#", text)


def render_blocks(blocks: Iterable[Block]) -> str:
    """Headings (## / ###) and paragraphs as a Markdown body."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * max(block.level, 1)} {escape_heading(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append("\n".join(escape_text(line) for line in block.lines if line.strip()))
    return "\n\n".join(p for p in parts if p) + "\n"


def render_article(meta: dict[str, Any], body: str) -> str:
    """An article file: front matter, a blank line, the body."""
    return front_matter(meta) + body.lstrip("\n")
