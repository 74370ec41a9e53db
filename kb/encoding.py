"""Bytes to text, with a clear message when a file is not UTF-8 text."""

from __future__ import annotations

import re

from .errors import InvalidArticle

# Encodings common on Japanese sites, tried before a general guess so the message can name them.
_JAPANESE_ENCODINGS = ("cp932", "euc_jp", "iso2022_jp")
_NAMES = {"cp932": "Shift_JIS", "shift_jis": "Shift_JIS", "euc_jp": "EUC-JP",
          "iso2022_jp": "ISO-2022-JP", "utf_16": "UTF-16"}


def decode_text(data: bytes, path: str) -> str:
    """Decode UTF-8 (a BOM is dropped, CRLF becomes LF); raise InvalidArticle for anything else."""
    if not data.strip():
        raise InvalidArticle(path, "file is empty: an article needs front matter with a title and a body")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidArticle(path, "file is UTF-16 text, not UTF-8: save it as UTF-8", 1)
    if b"\x00" in data[:8192] or (_looks_binary(data) and not _is_iso2022(data)):
        raise InvalidArticle(path, "file is binary, not a text article")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        guess = guess_encoding(data)
        hint = f"it looks like {guess}; " if guess else ""
        raise InvalidArticle(path, f"file is not UTF-8 text ({hint}convert it to UTF-8)", line) from e
    if _is_iso2022(data):  # 7-bit, so it decodes as UTF-8, but it is not
        raise InvalidArticle(
            path, "file is not UTF-8 text (it looks like ISO-2022-JP; convert it to UTF-8)", 1
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def guess_encoding(data: bytes) -> str | None:
    """Best guess of a non-UTF-8 text encoding by name (Shift_JIS, EUC-JP, ...), or None."""
    for enc in _JAPANESE_ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _japanese_ratio(text) > 0.3:
            return _NAMES[enc]
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data).best()
    if best is None:
        return None
    return _NAMES.get(best.encoding, best.encoding)


def _japanese_ratio(text: str) -> float:
    letters = [c for c in text if not c.isspace() and not c.isascii()]
    if not letters:
        return 0.0
    jp = sum(1 for c in letters if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff")
    return jp / len(letters)


def _is_iso2022(data: bytes) -> bool:
    """ISO-2022-JP is 7-bit text full of escape sequences, which look like control bytes."""
    if b"\x1b$B" not in data and b"\x1b$@" not in data:
        return False
    try:
        data.decode("iso2022_jp")
    except UnicodeDecodeError:
        return False
    return True


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return control > len(sample) * 0.05


class UnreadablePage(InvalidArticle):
    """A page to import that is empty, binary or in an encoding kb cannot tell."""


_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)


def decode_page(data: bytes, path: str) -> tuple[str, str]:
    """Decode a page to import (scraped text or HTML): (text, encoding name).

    Unlike an article, a page may come in Shift_JIS, EUC-JP or ISO-2022-JP (common on Japanese
    sites): it is decoded, and the encoding is named so the import summary can say so. An empty
    or binary file, or text in no encoding kb can tell, raises :class:`UnreadablePage`.
    """
    if not data.strip():
        raise UnreadablePage(path, "file is empty: there is no page to import")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _normalize_newlines(data.decode("utf-16")), "UTF-16"
    if _is_iso2022(data):
        return _normalize_newlines(data.decode("iso2022_jp")), "ISO-2022-JP"
    if b"\x00" in data[:8192] or _looks_binary(data):
        raise UnreadablePage(path, "file is binary, not a text or HTML page")
    try:
        return _normalize_newlines(data.decode("utf-8-sig")), "UTF-8"
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared:
        try:  # the charset an HTML page declares is trusted when the bytes decode with it
            return _normalize_newlines(data.decode(declared)), _NAMES.get(declared, declared)
        except (UnicodeDecodeError, LookupError):
            pass
    for encoding in ("cp932", "euc_jp"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _japanese_ratio(text) > 0.3:
            return _normalize_newlines(text), _NAMES[encoding]
    guess = guess_encoding(data)
    hint = f" (it looks like {guess})" if guess else ""
    raise UnreadablePage(
        path, f"file is not UTF-8, Shift_JIS, EUC-JP or ISO-2022-JP text{hint}: convert it to UTF-8"
    )


def _declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, as a Python codec name."""
    found = _DECLARED_CHARSET.search(data[:4096])
    if not found:
        return None
    name = found.group(1).decode("ascii").lower().replace("-", "_")
    return {"shift_jis": "cp932", "sjis": "cp932", "x_sjis": "cp932",
            "windows_31j": "cp932"}.get(name, name)


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
