"""The way back from JSON: build -> export -> kb import --from-export -> build -> export gives the
same content (ids, paths and file hashes aside), and rebuilt articles parse like the originals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.index import build_index
from kb.cli import cli
from kb.ingest.from_export import article_markdown
from kb.articles import parse_article

from helpers import ARTICLES, write_article

CURATED_BODY = """めまいには色々な原因があります。

## めまいの原因

睡眠不足が続くと、めまいが起こりやすくなります。ストレスもめまいの原因になります。

### *とくに* 多い原因 #1

自律神経の乱れ[^1]が関係します。\\*印のついた項目は大切です。

よくある質問
============

### Q1.めまいは何科に行けばいいですか?

まずは耳鼻咽喉科を受診しましょう。
"""


def _export(runner, db_path: Path, fmt: str) -> dict[str, dict]:
    result = runner.invoke(cli, ["export", "--db", str(db_path), "--format", fmt])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        records = json.loads(result.stdout)["articles"]
    else:
        records = [json.loads(line) for line in result.stdout.splitlines()]
    return {r["id"]: {k: v for k, v in r.items() if k not in ("path", "content_hash")}
            for r in records}


@pytest.fixture(scope="module")
def source_index(tmp_path_factory) -> Path:
    """The real articles, plus one in a sub-folder with an id, curated facts, exclusions and
    some Markdown markup, built once."""
    folder = tmp_path_factory.mktemp("source") / "articles"
    shutil.copytree(ARTICLES, folder)
    write_article(folder / "sub", "curated-dizziness.md", title="めまいの原因と何科に行くか",
                  body=CURATED_BODY, id="dizzy-curated", site="テスト院", published="2025-01-02",
                  facts="\n  - {symptom: めまい, cause: 睡眠不足, relation: cause}",
                  exclude="\n  - ストレス")
    db_path = folder.parent / "kb.db"
    build_index(folder, db_path, workers=1)
    return db_path


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_export_import_build_export_gives_the_same_content(runner, tmp_path, source_index, fmt):
    export_file = tmp_path / f"kb.{fmt}"
    assert runner.invoke(cli, ["export", "--db", str(source_index), "--format", fmt,
                               "--output", str(export_file)]).exit_code == 0
    out = tmp_path / "rebuilt"
    result = runner.invoke(cli, ["import", "--from-export", str(export_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "sub" / "curated-dizziness.md").exists()
    rebuilt_db = tmp_path / "rebuilt.db"
    build_index(out, rebuilt_db, workers=1)
    before, after = _export(runner, source_index, fmt), _export(runner, rebuilt_db, fmt)
    assert sorted(before) == sorted(after)
    for article_id in before:
        for key in before[article_id]:
            assert after[article_id][key] == before[article_id][key], (article_id, key)
    curated = after["dizzy-curated"]
    assert any(f["curated"] and f["cause"] == "睡眠不足" for f in curated["facts"])
    assert not any(f["cause"] == "ストレス" for f in curated["facts"])
    assert [q["question"] for q in curated["qa"]] == ["めまいは何科に行けばいいですか?"]


def test_from_export_never_overwrites_without_force(runner, tmp_path, source_index):
    export_file = tmp_path / "kb.jsonl"
    runner.invoke(cli, ["export", "--db", str(source_index), "--format", "jsonl", "-o", str(export_file)])
    out = tmp_path / "out"
    out.mkdir()
    (out / "dizziness.md").write_text("an editor's work\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "--from-export", str(export_file), "--out", str(out)])
    assert result.exit_code == 1 and "exists already" in result.output and "--force" in result.output
    assert [p.name for p in out.iterdir()] == ["dizziness.md"]  # nothing else written either
    assert (out / "dizziness.md").read_text(encoding="utf-8") == "an editor's work\n"
    result = runner.invoke(cli, ["import", "--from-export", str(export_file), "--out", str(out), "--force"])
    assert result.exit_code == 0
    assert (out / "dizziness.md").read_text(encoding="utf-8").startswith("---\n")


def test_from_export_dry_run_prints_and_writes_nothing(runner, tmp_path, source_index):
    export_file = tmp_path / "kb.jsonl"
    runner.invoke(cli, ["export", "--db", str(source_index), "--format", "jsonl", "-o", str(export_file),
                        "--article", "dizziness"])
    out = tmp_path / "out"
    result = runner.invoke(cli, ["import", "--from-export", str(export_file), "--out", str(out), "--dry-run"])
    assert result.exit_code == 0 and "title: めまい" in result.stdout and not out.exists()


@pytest.mark.parametrize("content, words", [
    ("", "empty"),
    ("{not json", "not valid JSON"),
    ('{"format": "other", "articles": []}', "not a kb export"),
    ('{"id": "a", "sections": [], "meta": {"title": "x"}}\n{"id": 3}\n', ":2: not an exported article"),
])
def test_a_file_that_is_not_an_export_is_named(runner, tmp_path, content, words):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(cli, ["import", "--from-export", str(bad), "--out", str(out)])
    assert result.exit_code == 1 and str(bad) in result.output and words in result.output
    assert not out.exists()


def test_pages_and_from_export_do_not_mix(runner, tmp_path, source_index):
    export_file = tmp_path / "kb.jsonl"
    export_file.write_text("", encoding="utf-8")
    result = runner.invoke(cli, ["import", "page.txt", "--from-export", str(export_file)])
    assert result.exit_code == 2 and "not both" in result.output


# --- rebuilt articles parse like the originals (Hypothesis) ------------------------------------

_TEXT = st.text(alphabet=st.sampled_from("あいう熱背中めまい abcXYZ019.,!?？*_`[]<>#&\\-+=|:()「」"),
                min_size=1, max_size=30).map(str.strip).filter(bool)
_SECTION = st.tuples(st.integers(1, 4), _TEXT, st.lists(_TEXT, min_size=0, max_size=3))


def _record(article) -> dict:
    """An export record of a parsed article (the fields ``article_markdown`` reads)."""
    return {"id": article.id, "title": article.title, "meta": article.meta,
            "sections": [{"position": s.position, "level": s.level, "heading": s.heading,
                          "markdown": s.markdown} for s in article.sections]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intro=st.lists(_TEXT, max_size=2), sections=st.lists(_SECTION, max_size=6))
def test_rebuilt_markdown_parses_into_the_same_article(intro, sections):
    body = "\n\n".join(intro)
    for level, heading, paragraphs in sections:
        body += f"\n\n{'#' * level} {heading}\n\n" + "\n\n".join(paragraphs)
    source = f"---\ntitle: テスト\nlang: ja\n---\n{body}\n"
    original = parse_article(source.encode(), "a.md")
    rebuilt = parse_article(article_markdown(_record(original)).encode(), "a.md")
    assert [(s.level, s.heading, s.path, s.text) for s in rebuilt.sections] == [
        (s.level, s.heading, s.path, s.text) for s in original.sections]
    assert [(q.label, q.question, q.answer) for q in rebuilt.qa] == [
        (q.label, q.question, q.answer) for q in original.qa]
    assert rebuilt.meta == original.meta
