"""Bytes to text, with a clear message when a file is not UTF-8 text."""

from __future__ import annotations

import re

from ..errors import InvalidArticle

# Encodings common on Japanese sites: the only ones kb names or decodes a page in by guessing.
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
        raise _not_utf8(data, path) from e
    if _is_iso2022(data):  # 7-bit, so it decodes as UTF-8, but it is not
        raise InvalidArticle(
            path, "file is not UTF-8 text (it looks like ISO-2022-JP; convert it to UTF-8)", 1
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _not_utf8(data: bytes, path: str) -> InvalidArticle:
    """The error for an article that is not UTF-8: it names the encoding only when the bytes read
    plainly as Japanese text in it (see :func:`guess_encoding`), else the first invalid byte."""
    byte, line, column = _first_invalid_byte(data)
    guess = guess_encoding(data)
    if guess:
        return InvalidArticle(path, f"file is not UTF-8 text (it looks like {guess}; convert it to "
                              "UTF-8)", line)
    return InvalidArticle(path, f"file is not valid UTF-8 (byte 0x{byte:02x} at line {line}, column "
                          f"{column}): convert it to UTF-8", line)


def _first_invalid_byte(data: bytes) -> tuple[int, int, int]:
    """(byte, line, column) of the first byte of ``data`` that is not UTF-8, counting from 1 as
    the article's lines are counted (CR, LF or CRLF end a line; the column is in characters)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        before = _normalize_newlines(data[: e.start].decode("utf-8").removeprefix("\ufeff"))
        return data[e.start], before.count("\n") + 1, len(before) - before.rfind("\n")
    raise ValueError("the bytes are valid UTF-8")


def guess_encoding(data: bytes) -> str | None:
    """The Japanese legacy encoding (Shift_JIS, EUC-JP, ISO-2022-JP) the bytes plainly read as, or
    None. Only a guess that can be trusted is made: the bytes must decode without error and read as
    Japanese (see :func:`_reads_as_japanese`). General detectors name an encoding for any bytes
    (Latin-1 text came out as "cp1006"), so none is used."""
    for enc in _JAPANESE_ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _reads_as_japanese(text):
            return _NAMES[enc]
    return None


_NON_ASCII = re.compile(r"[^\x00-\x7f\s]")
_KANA = re.compile(r"[\u3041-\u30ff]")
_KANJI = re.compile(r"[\u4e00-\u9fff]")


def _reads_as_japanese(text: str) -> bool:
    """True when decoded text reads as Japanese: kanji and kana make up most of its non-ASCII
    characters, and kana at least a tenth. Kana are the evidence: Chinese, Korean or Cyrillic
    bytes read as EUC-JP come out as kanji without kana, Big5 or random bytes read as Shift_JIS as
    half-width katakana and symbols, and Japanese prose never goes without its particles."""
    letters = len(_NON_ASCII.findall(text))
    kana = len(_KANA.findall(text))
    kanji = len(_KANJI.findall(text))
    return letters > 0 and kana >= 0.1 * letters and kana + kanji > 0.5 * letters


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
        if _reads_as_japanese(text):
            return _normalize_newlines(text), _NAMES[encoding]
    byte, line, column = _first_invalid_byte(data)
    raise UnreadablePage(
        path, f"file is not UTF-8, Shift_JIS, EUC-JP or ISO-2022-JP text (byte 0x{byte:02x} at line "
        f"{line}, column {column} is not UTF-8): convert it to UTF-8"
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
