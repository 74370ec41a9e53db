"""Invalid articles, through the command line: a clear message, a non-zero exit, kb.db untouched."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.cli import cli
from kb.articles import UnreadablePage, decode_page
from kb.errors import InvalidArticle
from kb.articles import parse_article
from kb.search import search
from kb.index import open_db

from helpers import BUILD_SCRIPT, PYTHON, leftover_temporaries, sha256, write_article

SJIS_TEXT = "---\ntitle: 背中が熱い\n---\n背中が熱いのは自律神経の乱れが原因です。\n"
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00"
             b"\x00\x1f\xf3\xffa\x00\x00\x00\x04gAMA\x00\x00\xb1\x8f\x0b\xfca\x05" + bytes(range(256)))


@dataclass
class Bad:
    """One invalid input: the files to add, the line the message must name, words it must use."""

    files: dict[str, bytes]
    line: int | None = None
    words: tuple[str, ...] = ()
    named: tuple[str, ...] = field(default=())  # every file the message must name (default: all)


CASES = {
    "yaml-error": Bad({"bad-yaml.md": "---\ntitle: 背中\nauthor: 梅田: 俊\n---\n本文。\n".encode()},
                      line=3, words=("YAML",)),
    "yaml-tab": Bad({"bad-tab.md": "---\ntitle: 背中\n\tsite: x\n---\n本文。\n".encode()},
                    line=3, words=("YAML",)),
    # PyYAML raises ValueError for an impossible date, not a YAML error
    "impossible-date": Bad({"bad-date.md": "---\ntitle: 背中\npublished: 2025-02-30\n---\n本文。\n".encode()},
                           line=3, words=("2025-02-30", "date")),
    # "billion laughs": 9 levels of 9 aliases stand for 9**9 values in 300 bytes
    "alias-bomb": Bad({"bomb.md": ("---\ntitle: 背中\nk0: &k0 [" + ", ".join(["lol"] * 9) + "]\n"
                                   + "".join(f"k{n}: &k{n} [" + ", ".join([f"*k{n - 1}"] * 9) + "]\n"
                                             for n in range(1, 9)) + "---\n本文。\n").encode()},
                      line=7, words=("aliases",)),
    "front-matter-never-closes": Bad({"unclosed.md": "---\ntitle: 背中\n\n本文。\n".encode()},
                                     line=1, words=("front matter", "closed")),
    "shift-jis": Bad({"sjis.md": SJIS_TEXT.encode("shift_jis")}, line=2,
                     words=("UTF-8", "Shift_JIS")),
    "euc-jp": Bad({"eucjp.md": SJIS_TEXT.encode("euc_jp")}, line=2, words=("UTF-8", "EUC-JP")),
    "binary": Bad({"image.md": PNG_BYTES}, words=("binary",)),
    "empty": Bad({"empty.md": b""}, words=("empty",)),
    "blank": Bad({"blank.md": b"\n  \n\n"}, words=("empty",)),
    "duplicate-id": Bad({"first.md": "---\ntitle: 一つ目\nid: same-id\n---\n本文。\n".encode(),
                         "second.md": "---\ntitle: 二つ目\nid: same-id\n---\n本文。\n".encode()},
                        words=("same-id",)),
    "id-equals-a-stem": Bad({"neck.md": "---\ntitle: 首\nid: hirai-back-heat\n---\n本文。\n".encode()},
                            words=("hirai-back-heat",)),
    "missing-title": Bad({"untitled.md": "---\nsite: 平井鍼灸院\n---\n本文。\n".encode()},
                         words=("title",)),
    "no-front-matter": Bad({"plain.md": "ただの文章です。\n".encode()}, words=("title",)),
    "invalid-relation": Bad(
        {"facts.md": "---\ntitle: 背中\nfacts:\n  - {symptom: 背中が熱い, cause: 冷え, relation: why}\n"
                     "---\n本文。\n".encode()},
        words=("relation",)),
}


def add_files(articles_dir: Path, bad: Bad) -> list[Path]:
    paths = []
    for name, data in bad.files.items():
        path = articles_dir / name
        path.write_bytes(data)
        paths.append(path)
    if "hirai-back-heat" in bad.words:  # the message must also name the file that has that id
        paths.append(articles_dir / "hirai-back-heat.md")
    return paths


def check_message(message: str, paths: list[Path], bad: Bad) -> None:
    for path in paths:
        assert str(path) in message, f"{path.name} is not named in:\n{message}"
    if bad.line is not None:
        assert f"{paths[0]}:{bad.line}:" in message, f"line {bad.line} is not named in:\n{message}"
    for word in bad.words:
        assert word.lower() in message.lower(), f"{word!r} missing from:\n{message}"
    assert "Traceback" not in message


def check_untouched(db_path: Path, digest: str) -> None:
    assert sha256(db_path) == digest
    assert leftover_temporaries(db_path) == []
    db = open_db(db_path)
    try:
        assert any(h.article_id == "hirai-back-heat" for h in search(db, "背中が熱い").hits)
    finally:
        db.close()


@pytest.mark.parametrize("bad", CASES.values(), ids=CASES.keys())
def test_bad_input_through_kb_build(built, articles_dir, runner, bad):
    digest = sha256(built)
    paths = add_files(articles_dir, bad)
    result = runner.invoke(cli, ["build", "--articles", str(articles_dir), "--db", str(built),
                                 "--workers", "1"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # handled, no traceback
    check_message(result.output, paths, bad)
    check_untouched(built, digest)


@pytest.mark.parametrize("bad", CASES.values(), ids=CASES.keys())
def test_bad_input_through_build_index_py(built, articles_dir, bad):
    digest = sha256(built)
    paths = add_files(articles_dir, bad)
    proc = subprocess.run([PYTHON, str(BUILD_SCRIPT), "--articles", str(articles_dir), "--db",
                           str(built)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    check_message(proc.stderr, paths, bad)
    assert "Traceback" not in proc.stdout
    check_untouched(built, digest)


def test_every_invalid_article_is_listed_at_once(built, articles_dir, runner):
    digest = sha256(built)
    paths = [p for name in ("yaml-error", "shift-jis", "missing-title", "impossible-date", "alias-bomb")
             for p in add_files(articles_dir, CASES[name])]
    result = runner.invoke(cli, ["build", "--articles", str(articles_dir), "--db", str(built),
                                 "--workers", "1"])
    assert result.exit_code != 0
    for path in paths:
        assert str(path) in result.output
    check_untouched(built, digest)


def test_a_missing_articles_folder_is_a_clear_error(tmp_path, runner):
    result = runner.invoke(cli, ["build", "--articles", str(tmp_path / "nowhere"), "--db",
                                 str(tmp_path / "kb.db")])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert str(tmp_path / "nowhere") in result.output
    assert not (tmp_path / "kb.db").exists()


# --- the same problems at the parser, where the error carries its line -------------------------

ENCODINGS = {"shift_jis": "Shift_JIS", "cp932": "Shift_JIS", "euc_jp": "EUC-JP",
             "iso2022_jp": "ISO-2022-JP"}


@pytest.mark.parametrize("codec, name", ENCODINGS.items(), ids=ENCODINGS.keys())
def test_a_japanese_legacy_encoding_is_named(codec, name):
    with pytest.raises(InvalidArticle) as info:
        parse_article(SJIS_TEXT.encode(codec), "articles/legacy.md")
    assert "not UTF-8" in info.value.message
    assert name in info.value.message


# Text in encodings that are not Japanese: kb names no encoding for them (a general detector
# called Latin-1 "cp1250", KOI8-R "shift_jis_2004", and Chinese or Korean "EUC-JP"), it names
# the first byte that is not UTF-8.
FOREIGN = {
    "latin-1": ("latin-1", "---\ntitle: Café\n---\nÜberschrift «très» façon à côté\n"),
    "cp1252": ("cp1252", "---\ntitle: Notes\nauthor: Zoë\n---\n“Quoted” – dash\n"),
    "mac-roman": ("mac_roman", "---\ntitle: Crème brûlée\n---\nrésumé\n"),
    "cp1251": ("cp1251", "---\ntitle: Спина\n---\nПричина жара в спине.\n"),
    "koi8-r": ("koi8_r", "---\ntitle: x\n---\nПричина жара в спине - нарушение нервной системы.\n"),
    "gb2312": ("gb2312", "---\ntitle: 背部发热\n---\n背部发热的原因是自主神经紊乱。我们建议多休息。\n"),
    "gbk": ("gbk", "---\ntitle: 背部發熱\n---\n背部发热的原因是自主神经紊乱。\n"),
    "big5": ("big5", "---\ntitle: 背部發熱\n---\n背部發熱的原因是自律神經失調。\n"),
    "euc-kr": ("euc_kr", "---\ntitle: 등이 뜨겁다\n---\n등이 뜨거운 이유는 자율신경의 혼란입니다.\n"),
}


def first_non_ascii(text: str, codec: str) -> tuple[int, int, int]:
    """(first byte, line, column) of the first non-ASCII character of ``text`` in ``codec``."""
    i = next(n for n, c in enumerate(text) if ord(c) > 127)
    return text[i].encode(codec)[0], text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)


@pytest.mark.parametrize("codec, text", FOREIGN.values(), ids=FOREIGN.keys())
def test_an_encoding_kb_cannot_trust_is_not_guessed_the_first_bad_byte_is_named(codec, text):
    with pytest.raises(InvalidArticle) as info:
        parse_article(text.encode(codec), "articles/foreign.md")
    byte, line, column = first_non_ascii(text, codec)
    assert info.value.message == (f"file is not valid UTF-8 (byte 0x{byte:02x} at line {line}, "
                                  f"column {column}): convert it to UTF-8")
    assert info.value.line == line


@pytest.mark.parametrize("codec, text", [FOREIGN["gb2312"], FOREIGN["euc-kr"]], ids=["gb2312", "euc-kr"])
def test_a_chinese_or_korean_page_is_not_imported_as_japanese(codec, text):
    page = text.split("---\n")[-1] * 5
    with pytest.raises(UnreadablePage) as info:
        decode_page(page.encode(codec), "page.txt")
    byte, line, column = first_non_ascii(page, codec)
    assert f"byte 0x{byte:02x} at line {line}, column {column}" in info.value.message


# text that is not binary (no control characters) and no byte-order mark, so the error is about
# the first byte that is not UTF-8
valid_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
                     | st.just("\n"), max_size=60)
# a byte that cannot start a UTF-8 character or a lead byte not followed by a continuation
invalid_start = st.one_of(st.integers(0x80, 0xC1).map(lambda b: bytes([b])),
                          st.integers(0xF5, 0xFF).map(lambda b: bytes([b])),
                          st.tuples(st.integers(0xC2, 0xF4), st.sampled_from([b"a", b" ", b"\n", b"\xc3"]))
                          .map(lambda t: bytes([t[0]]) + t[1]))
printable_bytes = st.lists(st.integers(0x20, 0xFF), max_size=40).map(bytes)


@settings(max_examples=300, deadline=None)
@given(valid_text, invalid_start, printable_bytes)
def test_random_invalid_utf8_names_its_first_bad_byte_or_a_japanese_encoding(prefix, bad, rest):
    data = prefix.encode("utf-8") + bad + rest
    with pytest.raises(InvalidArticle) as info:
        parse_article(data, "articles/random.md")
    message = info.value.message
    named = re.search(r"it looks like ([\w-]+)", message)
    if named:  # only a Japanese encoding the bytes decode in without error
        assert named.group(1) in ("Shift_JIS", "EUC-JP")
        data.decode({"Shift_JIS": "cp932", "EUC-JP": "euc_jp"}[named.group(1)])
        return
    line = prefix.count("\n") + 1
    column = len(prefix) - (prefix.rfind("\n") + 1) + 1
    assert message == (f"file is not valid UTF-8 (byte 0x{bad[0]:02x} at line {line}, column "
                       f"{column}): convert it to UTF-8")
    assert info.value.line == line


@pytest.mark.parametrize(
    "front, line",
    [
        ("title: 背中\nauthor: 梅田: 俊\nsite: x", 3),
        ("title: 背中\nsite: x\n  author: y", 4),
        ("title: 背中\n\tsite: x", 3),
        ('title: "背中が熱い\nsite: x\nauthor: y\ncategory: z', 2),
        ("title: 背中\ntags: [背中, 首\nsite: x\nauthor: y", 3),
    ],
    ids=["colon", "indent", "tab", "unclosed-quote", "unclosed-bracket"],
)
def test_a_yaml_error_names_the_line_where_it_is(front, line):
    with pytest.raises(InvalidArticle) as info:
        parse_article(f"---\n{front}\n---\n本文。\n".encode(), "articles/yaml.md")
    assert "YAML" in info.value.message
    assert info.value.line == line


@pytest.mark.parametrize("content", [b"just some notes\n", None], ids=["text-file", "other-sqlite"])
def test_a_build_never_replaces_a_file_kb_did_not_make(tmp_path, runner, content):
    folder = tmp_path / "articles"
    write_article(folder, "a.md")
    target = tmp_path / "precious.db"
    if content is None:
        conn = sqlite3.connect(target)
        conn.execute("create table notes (body text)")
        conn.execute("insert into notes values ('keep me')")
        conn.commit()
        conn.close()
    else:
        target.write_bytes(content)
    before = sha256(target)
    result = runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(target)])
    assert result.exit_code != 0
    assert "precious.db" in result.output and "not a kb index" in result.output
    assert "Traceback" not in result.output
    assert sha256(target) == before


@pytest.mark.parametrize("table, command, status", [
    ("dup_signatures", ["check", "{draft}"], 2),  # 2: kb check's 1 means "repeats something"
    ("sections_fts", ["search", "背中が熱い"], 1),
    ("duplicates", ["duplicates"], 1),
])
def test_a_damaged_index_is_a_message_not_a_traceback(built, articles_dir, runner, table,
                                                       command, status):
    with sqlite3.connect(built) as conn:  # what another program could do to the file
        conn.execute(f"drop table {table}")
    draft = str(next(articles_dir.glob("*.md")))
    args = [a.replace("{draft}", draft) for a in command]
    result = runner.invoke(cli, [*args, "--db", str(built)])
    assert result.exit_code == status, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "damaged" in result.output and "kb build --full" in result.output
