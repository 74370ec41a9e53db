"""Articles rebuilt from an export (``kb import --from-export``): the way back from JSON.

Each exported article becomes a Markdown file again: its front matter is the exported ``meta``
(curated facts and exclusions included), its body the sections' own Markdown under their
headings. Building those files gives an index with the same content: the same articles,
sections, Q&A pairs and facts (tests/test_round_trip.py checks it).

An export is outside input. Every record is checked before anything is written, and a bad one
is named by its line (JSON Lines) or its number (a JSON document) and the field at fault: ids
and paths must make plain file names under the output folder (kb/files.py), fields must have
their types, nesting is bounded. A JSON document, and each JSON Lines line, is read up to
``MAX_EXPORT_BYTES`` (256 MB; the environment variable ``KB_MAX_EXPORT_BYTES`` sets another
number of bytes): JSON Lines is read a line at a time, so only one article must fit.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Iterator

from .writer import escape_heading, render_article
from ..errors import KbError
from ..files import (
    UnsafeName, byte_limit, open_for_reading, safe_name, safe_relative_path, write_article_files,
)

MAX_EXPORT_BYTES = 256 * 1024 * 1024
EXPORT_LIMIT_VARIABLE = "KB_MAX_EXPORT_BYTES"
MAX_META_DEPTH = 16  # front matter nests a few levels (facts: a list of mappings)
MAX_HEADING_LEVEL = 6  # Markdown has six heading levels; level 0 is the introduction


class InvalidExport(KbError):
    """A file that is not a kb export, or a record in it that cannot be an article (names the
    file and the line or article number, and the field)."""


def export_records(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each checked article of an export file with where it is: ``file:line`` (JSON Lines) or
    ``file (article n)`` (a JSON document)."""
    path = Path(path)
    limit = byte_limit(EXPORT_LIMIT_VARIABLE, MAX_EXPORT_BYTES)
    try:
        with open_for_reading(path) as f:
            first = _line(f, path, 1, limit)
            if not first.strip():
                raise InvalidExport(f"{path}: empty, not a kb export")
            try:
                record = json.loads(first)
            except (ValueError, RecursionError):
                record = None
            if isinstance(record, dict) and "sections" in record:
                yield f"{path}:1", checked_record(record, f"{path}:1")
                n = 1
                while line := _line(f, path, n + 1, limit):
                    n += 1
                    if line.strip():
                        yield f"{path}:{n}", checked_record(_json(line, path, n), f"{path}:{n}")
                return
            if stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                f.seek(0)
                data = f.read(limit + 1)
            else:  # a pipe cannot go back: the rest follows the first line
                data = first + f.read(limit + 1 - len(first))
            if len(data) > limit:
                raise InvalidExport(_too_large(path, limit, "the JSON document"))
    except OSError as e:
        raise InvalidExport(f"{path}: cannot be read: {e.strerror or e}") from e
    document = _json(data, path, 1)
    if not isinstance(document, dict) or document.get("format") != "kb-export":
        raise InvalidExport(f"{path}: not a kb export (no \"format\": \"kb-export\")")
    articles = document.get("articles")
    if not isinstance(articles, list):
        raise InvalidExport(f"{path}: \"articles\" is not a list of articles")
    for n, record in enumerate(articles, start=1):
        yield f"{path} (article {n})", checked_record(record, f"{path} (article {n})")


def _line(f: BinaryIO, path: Path, n: int, limit: int) -> bytes:
    """The next line of the file, at most ``limit`` bytes (b"" at the end)."""
    line = f.readline(limit + 1)
    if len(line) > limit:
        raise InvalidExport(_too_large(path, limit, f"line {n}"))
    return line


def _too_large(path: Path, limit: int, what: str) -> str:
    return (f"{path}: {what} is larger than {limit:,} bytes, the most kb reads at once "
            f"({EXPORT_LIMIT_VARIABLE} sets the limit; JSON Lines is read a line at a time)")


def _json(data: bytes, path: Path, first_line: int) -> Any:
    """Parse JSON text that starts on line ``first_line`` of the file; every way it can fail is
    an :class:`InvalidExport` naming the file and line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = first_line + data.count(b"\n", 0, e.start)
        raise InvalidExport(f"{path}:{line}: not UTF-8 text, not a kb export") from e
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidExport(f"{path}:{first_line + e.lineno - 1}: not valid JSON ({e.msg})") from e
    except RecursionError:
        raise InvalidExport(f"{path}:{first_line}: JSON nested too deeply for a kb export") from None


# --- one record ----------------------------------------------------------------------------


def checked_record(record: Any, where: str) -> dict[str, Any]:
    """``record`` when it can be made into an article file, else :class:`InvalidExport`
    naming ``where`` (file and line, or article number) and the field at fault."""
    if not isinstance(record, dict):
        raise InvalidExport(f"{where}: not an exported article (a JSON object with id, meta "
                            "and sections)")
    missing = [k for k in ("id", "meta", "sections") if k not in record]
    if missing:
        raise InvalidExport(f"{where}: not an exported article: no {', '.join(missing)}")
    _expect(record["id"], str, where, "id", "text")
    if not record["id"]:
        raise InvalidExport(f"{where}: id: empty")
    _expect(record["meta"], dict, where, "meta", "a JSON object")
    if _depth(record["meta"]) > MAX_META_DEPTH:
        raise InvalidExport(f"{where}: meta: nested more than {MAX_META_DEPTH} levels deep")
    for key in ("title", "path"):
        if record.get(key) is not None:
            _expect(record[key], str, where, key, "text")
    _expect(record["sections"], list, where, "sections", "a list")
    for n, section in enumerate(record["sections"]):
        _check_section(section, where, f"sections[{n}]")
    try:  # JSON's \ud800 escapes make lone surrogates, which no UTF-8 file can hold
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidExport(f"{where}: holds {e.object[e.start:e.end]!r}, a lone surrogate, "
                            "which is not text") from None
    return record


def _check_section(section: Any, where: str, field: str) -> None:
    _expect(section, dict, where, field, "a JSON object")
    for key in ("position", "level"):
        value = section.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidExport(f"{where}: {field}.{key}: {_shown(value)} is not a whole number")
    if not 0 <= section["level"] <= MAX_HEADING_LEVEL:
        raise InvalidExport(f"{where}: {field}.level: {section['level']} is not a heading level "
                            f"(0 for the introduction, 1 to {MAX_HEADING_LEVEL})")
    for key in ("heading", "markdown"):
        if section.get(key) is not None:
            _expect(section[key], str, where, f"{field}.{key}", "text")


def _expect(value: Any, kind: type, where: str, field: str, name: str) -> None:
    if not isinstance(value, kind):
        raise InvalidExport(f"{where}: {field}: {_shown(value)} is not {name}")


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _depth(value: Any) -> int:
    """How deeply JSON mappings and lists nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth <= MAX_META_DEPTH:
                stack.extend((v, depth + 1) for v in item)
    return deepest


# --- records to files ----------------------------------------------------------------------


def article_markdown(record: dict[str, Any]) -> str:
    """The Markdown file of one exported article."""
    meta = dict(record["meta"])
    meta.setdefault("title", record.get("title"))
    parts: list[str] = []
    for section in sorted(record["sections"], key=lambda s: s["position"]):
        markdown = (section.get("markdown") or "").strip()
        if section["level"] > 0:
            heading = escape_heading(section.get("heading") or "")
            parts.append(f"{'#' * section['level']} {heading}".rstrip())
        if markdown:
            parts.append(markdown)
    return render_article(meta, "\n\n".join(parts) + "\n")


def article_path(record: dict[str, Any], where: str = "export") -> PurePosixPath:
    """Where the article goes under the output folder: its exported path (a relative path of
    plain names ending in .md), else ``<id>.md``; :class:`InvalidExport` naming ``where`` and
    the field when that is not a plain file name (kb.files.safe_relative_path)."""
    field = "path" if record.get("path") else "id"
    try:
        if field == "path":
            path = safe_relative_path(record["path"])
            if path.suffix != ".md":
                raise UnsafeName(f"{record['path']!r} is not a Markdown file (.md)")
            return path
        safe_name(record["id"])  # the id as it is named in a message, then the file's name
        return PurePosixPath(safe_name(f"{record['id']}.md"))
    except UnsafeName as e:
        raise InvalidExport(f"{where}: {field}: {e}") from e


def write_from_export(export: Path, out_dir: Path, force: bool = False,
                      dry_run: bool = False) -> list[tuple[Path, str]]:
    """Rebuild the articles of an export under ``out_dir``; returns (path, markdown) pairs.

    Every record is checked first, then every target (kb.files.write_article_files): nothing
    is written when a record is bad, or a target exists and ``force`` is not given."""
    planned: list[tuple[PurePosixPath, str]] = []
    places: dict[PurePosixPath, str] = {}
    for where, record in export_records(export):
        relative = article_path(record, where)
        if relative in places:
            raise InvalidExport(f"{where}: {relative} is also the file of {places[relative]}")
        places[relative] = where
        if relative.stem != record["id"] and "id" not in record["meta"]:
            record = {**record, "meta": {"id": record["id"], **record["meta"]}}
        planned.append((relative, article_markdown(record)))
    if not dry_run:
        write_article_files(Path(out_dir), planned, force=force)
    return [(Path(out_dir) / relative, markdown) for relative, markdown in planned]
