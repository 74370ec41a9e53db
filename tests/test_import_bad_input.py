"""kb import on bad input: a clear message naming the file, nothing written, a non-zero exit;
pages in the encodings of Japanese sites are decoded."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kb.cli import cli
from kb.articles import UnreadablePage
from kb.ingest import NoArticle, read_page

from helpers import SEEDS
from subprocesses import kb_env, run_kb

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


# --- how much of a page is read --------------------------------------------------------------


def test_a_never_ending_device_is_read_up_to_the_limit_and_refused(tmp_path):
    """/dev/zero (a device that never ends) stops at the limit, with a message."""
    result = run_kb("import", "/dev/zero", "--out", str(tmp_path / "out"), max_memory=2 << 30,
                    env=kb_env(KB_MAX_PAGE_BYTES="1000000"))
    assert result.returncode == 1
    assert b"/dev/zero: larger than 1,000,000 bytes" in result.stderr
    assert b"KB_MAX_PAGE_BYTES" in result.stderr and b"Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_default_limit_stops_dev_zero_too(tmp_path):
    result = run_kb("import", "/dev/zero", "--out", str(tmp_path / "out"), max_memory=2 << 30)
    assert result.returncode == 1 and b"larger than 20,971,520 bytes" in result.stderr


def test_a_page_larger_than_the_limit_is_refused_before_it_is_read(runner, tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(64 << 20)  # 64 MB, sparse: no disk used
    result = runner.invoke(cli, ["import", str(big), str(SEED), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and f"{big}: larger than 20,971,520 bytes" in result.stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == [f"{SEED.stem}.md"]
    monkeypatch.setenv("KB_MAX_PAGE_BYTES", str(SEED.stat().st_size - 1))
    result = runner.invoke(cli, ["import", str(SEED), "--dry-run"])
    assert result.exit_code == 1 and "KB_MAX_PAGE_BYTES sets the limit" in result.stderr
    monkeypatch.setenv("KB_MAX_PAGE_BYTES", str(SEED.stat().st_size))
    assert runner.invoke(cli, ["import", str(SEED), "--dry-run"]).exit_code == 0


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "20MB"])
def test_a_limit_that_is_not_a_number_of_bytes_is_named(runner, tmp_path, monkeypatch, value):
    monkeypatch.setenv("KB_MAX_PAGE_BYTES", value)
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and f"KB_MAX_PAGE_BYTES={value!r}" in result.stderr
    assert "Traceback" not in result.output


def test_a_fifo_nobody_writes_to_is_empty_not_a_hang(tmp_path):
    fifo = tmp_path / "page.txt"
    os.mkfifo(fifo)
    result = run_kb("import", str(fifo), "--out", str(tmp_path / "out"), timeout=30)
    assert result.returncode == 1 and f"{fifo}: file is empty".encode() in result.stderr


def test_a_page_from_a_pipe_is_read(tmp_path):
    """``kb import <(curl ...)``: a pipe with a writer is read to its end."""
    reader, writer = os.pipe()
    data = SEED.read_bytes()
    feeder = threading.Thread(target=lambda: (os.write(writer, data), os.close(writer)))
    feeder.start()
    result = run_kb("import", f"/dev/fd/{reader}", "--dry-run", pass_fds=(reader,))
    feeder.join()
    os.close(reader)
    assert result.returncode == 0, result.stderr
    assert "首の後ろが熱くなる原因" in result.stdout.decode("utf-8")
