"""kb import on bad input: a clear message naming the file, nothing written, a non-zero exit;
pages in the encodings of Japanese sites are decoded."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.cli import cli
from kb.encoding import UnreadablePage
from kb.importer import NoArticle, read_page

from helpers import SEEDS

SEED = SEEDS / "001_7221afbe6145a639.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00"
             b"\x00\x1f\xf3\xffa\x00\x00\x00\x04gAMA\x00\x00\xb1\x8f\x0b\xfca\x05" + bytes(range(256)))
# The seed page without its article: navigation, announcements and shop information only
CHROME_ONLY = "".join((SEEDS / "000_2032f91832cff632.txt").read_text(encoding="utf-8")
                      .splitlines(keepends=True)[:115])
NAV_ONLY_HTML = ("<!DOCTYPE html><html><head><title>お知らせ | みどり整体院</title></head><body>"
                 "<nav><ul><li><a href='/'>ホーム</a></li><li><a href='/access/'>アクセス</a></li></ul></nav>"
                 "<footer><p>〒123-4567 東京都どこか区1-2-3</p><p>TEL 03-0000-0000</p></footer>"
                 "</body></html>")

BAD = {
    "empty": (b"", "empty"),
    "blank lines only": (b"\n \n\t\n", "empty"),
    "binary": (PNG_BYTES, "binary"),
    "8-bit text in no Japanese encoding": ("Überschrift «très» façon à côté\n".encode("latin-1") * 20,
                                           "not UTF-8, Shift_JIS, EUC-JP"),
    "no article, only chrome": (CHROME_ONLY.encode("utf-8"), "no article found"),
    "html without an article": (NAV_ONLY_HTML.encode("utf-8"), "no article found"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_page_gives_a_clear_error_and_writes_nothing(runner, tmp_path, case):
    data, words = BAD[case]
    source = tmp_path / "page.txt"
    source.write_bytes(data)
    out = tmp_path / "articles"
    result = runner.invoke(cli, ["import", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert f"Error: {source}: " in result.stderr and words in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("case", list(BAD))
def test_bad_page_raises_a_named_kb_error(case):
    data, words = BAD[case]
    with pytest.raises((UnreadablePage, NoArticle), match=words):
        read_page(data, "page.txt")


def test_a_bad_page_does_not_stop_the_good_ones(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "articles"
    result = runner.invoke(cli, ["import", str(empty), str(SEED), "--out", str(out)])
    assert result.exit_code == 1
    assert [p.name for p in out.iterdir()] == ["001_7221afbe6145a639.md"]
    assert f"{empty}: file is empty" in result.stderr


def test_a_missing_page_is_named(runner, tmp_path):
    result = runner.invoke(cli, ["import", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and "nope.txt: cannot be read" in result.stderr


@pytest.mark.parametrize("encoding, name", [("cp932", "Shift_JIS"), ("euc_jp", "EUC-JP"),
                                            ("iso2022_jp", "ISO-2022-JP")])
def test_japanese_encodings_are_decoded_and_named(encoding, name):
    utf8 = read_page(SEED_TEXT.encode("utf-8"), "page.txt")
    other = read_page(SEED_TEXT.encode(encoding), "page.txt")
    assert other.encoding == name and utf8.encoding == "UTF-8"
    assert other.markdown == utf8.markdown
    assert f"({name})" in other.summary()


def test_a_shift_jis_html_page_with_its_charset_is_decoded():
    html = (Path(__file__).parent / "fixtures" / "html" / "clinic-blog.html").read_text("utf-8")
    sjis = html.replace('<meta charset="utf-8">', '<meta charset="Shift_JIS">').replace("©", "(c)")
    sjis = sjis.encode("cp932")
    imported = read_page(sjis, "page.html")
    assert imported.encoding == "Shift_JIS" and imported.questions == 2
    assert imported.meta["title"] == "足のむくみが取れない原因とは?考えられる病気と自分でできる対策"


def test_an_out_folder_that_is_a_file_is_named(runner, tmp_path):
    out = tmp_path / "articles"
    out.write_text("not a folder", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(out)])
    assert result.exit_code == 2 and "is a file" in result.output and "Traceback" not in result.output
    assert out.read_text(encoding="utf-8") == "not a folder"


def test_an_html_page_in_the_charset_it_declares_is_decoded():
    html = ('<html><head><meta charset="windows-1252"><title>Neck pain</title></head><body>'
            "<article><h1>Neck pain</h1><p>Looking down at a phone for hours puts a load on the neck, "
            "and the café chair does not help.</p><h2>What helps</h2><p>Raise the screen to eye level "
            "and take a break every half hour, naïve as that sounds.</p></article></body></html>")
    imported = read_page(html.encode("cp1252"), "page.html")
    assert imported.encoding == "windows_1252" and "café chair" in imported.markdown
