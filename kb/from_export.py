"""Articles rebuilt from an export (``kb import --from-export``): the way back from JSON.

Each exported article becomes a Markdown file again: its front matter is the exported ``meta``
(curated facts and exclusions included), its body the sections' own Markdown under their
headings. Building those files gives an index with the same content: the same articles,
sections, Q&A pairs and facts (tests/test_round_trip.py checks it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from .article_writer import escape_heading, render_article
from .errors import KbError

_SAFE_ID = re.compile(r"^[^\s/\\?#%]+$")


class InvalidExport(KbError):
    """A file that is not a kb export (names the file and, where known, the line)."""


def read_export(path: Path) -> Iterator[dict[str, Any]]:
    """The articles of an export file, JSON Lines (read line by line) or one JSON document."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as f:
            first = f.readline()
            if not first.strip():
                raise InvalidExport(f"{path}: empty, not a kb export")
            try:
                record = json.loads(first)
            except json.JSONDecodeError:
                record = None
            if isinstance(record, dict) and "sections" in record:
                yield _checked(record, path, 1)
                for n, line in enumerate(f, start=2):
                    if line.strip():
                        yield _checked(_json_line(line, path, n), path, n)
                return
            f.seek(0)
            try:
                document = json.load(f)
            except json.JSONDecodeError as e:
                raise InvalidExport(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from e
    except OSError as e:
        raise InvalidExport(f"{path}: cannot be read: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise InvalidExport(f"{path}: not UTF-8 text, not a kb export") from e
    if not isinstance(document, dict) or document.get("format") != "kb-export":
        raise InvalidExport(f"{path}: not a kb export (no \"format\": \"kb-export\")")
    for n, record in enumerate(document.get("articles") or [], start=1):
        yield _checked(record, path, None, n)


def _json_line(line: str, path: Path, n: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as e:
        raise InvalidExport(f"{path}:{n}: not valid JSON ({e.msg})") from e


def _checked(record: Any, path: Path, line: int | None, n: int | None = None) -> dict[str, Any]:
    where = f"{path}:{line}" if line else f"{path} (article {n})"
    if not isinstance(record, dict) or not isinstance(record.get("sections"), list) \
            or not record.get("id") or not isinstance(record.get("meta"), dict):
        raise InvalidExport(f"{where}: not an exported article (needs id, meta and sections)")
    return record


def article_markdown(record: dict[str, Any]) -> str:
    """The Markdown file of one exported article."""
    meta = dict(record["meta"])
    meta.setdefault("title", record.get("title"))
    parts: list[str] = []
    for section in sorted(record["sections"], key=lambda s: s["position"]):
        markdown = (section.get("markdown") or "").strip()
        if section["level"] > 0:
            parts.append(f"{'#' * section['level']} {escape_heading(section['heading'])}".rstrip())
        if markdown:
            parts.append(markdown)
    return render_article(meta, "\n\n".join(parts) + "\n")


def article_path(record: dict[str, Any]) -> PurePosixPath:
    """Where the article goes under the output folder: its exported path when that is a safe
    relative path whose name gives the same id, else ``<id>.md``."""
    path = PurePosixPath(str(record.get("path") or ""))
    if path.suffix == ".md" and not path.is_absolute() and ".." not in path.parts and path.parts:
        return path
    return PurePosixPath(f"{record['id']}.md")


def write_from_export(export: Path, out_dir: Path, force: bool = False,
                      dry_run: bool = False) -> list[tuple[Path, str]]:
    """Rebuild the articles of an export under ``out_dir``; returns (path, markdown) pairs.

    Nothing is written when a target exists and ``force`` is not given (checked first)."""
    planned: list[tuple[Path, str]] = []
    for record in read_export(export):
        relative = article_path(record)
        meta = record["meta"]
        if relative.stem != record["id"] and "id" not in meta:
            if not _SAFE_ID.match(str(record["id"])):
                raise InvalidExport(f"{export}: article id {record['id']!r} is not valid")
            record = {**record, "meta": {"id": record["id"], **meta}}
        planned.append((Path(out_dir) / relative, article_markdown(record)))
    existing = [str(p) for p, _ in planned if p.exists()]
    if existing and not force and not dry_run:
        raise KbError(f"{existing[0]}: exists already ({len(existing)} of the articles do); "
                      "use --force to overwrite them")
    if not dry_run:
        for path, markdown in planned:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(markdown, encoding="utf-8")
            except OSError as e:
                raise KbError(f"{path}: cannot be written: {e.strerror or e}") from e
    return planned
