"""kb export: the whole knowledge base as JSON / JSON Lines, its filters and its schema."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tracemalloc
from pathlib import Path

import jsonschema
import pytest

from kb.cli import cli
from kb.export import (
    ExportFilter, InvalidFilter, export_schema, export_to_file, iter_articles, write_export,
)
from kb.articles import parse_article_file
from kb.index import open_db

from helpers import ARTICLES, front_matter, write_article


def article_validator() -> jsonschema.Draft202012Validator:
    """A validator of one JSON Lines line (the schema's $defs/article)."""
    schema = export_schema()
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/article", "$defs": schema["$defs"]})


def export_json(runner, db_path: Path, *args: str) -> dict:
    result = runner.invoke(cli, ["export", "--db", str(db_path), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.validate(document, export_schema())
    return document


def export_ids(runner, db_path: Path, *args: str) -> list[str]:
    return [a["id"] for a in export_json(runner, db_path, *args)["articles"]]


def all_article_fronts() -> dict[str, dict]:
    return {p.stem: front_matter(p) for p in sorted(ARTICLES.glob("*.md"))}


def test_schema_is_a_valid_json_schema(runner):
    result = runner.invoke(cli, ["export", "--schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == export_schema()
    assert {"article", "section", "qa", "fact", "duplicate"} <= set(schema["$defs"])


def test_json_export_holds_every_article_and_validates(runner, built_db):
    document = export_json(runner, built_db)
    assert document["format"] == "kb-export"
    assert sorted(a["id"] for a in document["articles"]) == sorted(all_article_fronts())


def test_jsonl_is_one_valid_article_a_line_with_japanese_unescaped(runner, built_db):
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--format", "jsonl"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(all_article_fronts())
    validator = article_validator()
    for line in lines:
        validator.validate(json.loads(line))
    assert "背中が熱い" in result.stdout and "\\u" not in result.stdout


def test_the_schema_rejects_a_broken_article(built_db):
    db = open_db(built_db)
    try:
        article = next(iter_articles(db))
    finally:
        db.close()
    article["sections"][0]["level"] = "two"
    with pytest.raises(jsonschema.ValidationError):
        article_validator().validate(article)


def test_an_article_has_its_sections_qa_facts_and_duplicates(runner, built_db):
    articles = {a["id"]: a for a in export_json(runner, built_db)["articles"]}
    hirai = articles["hirai-back-heat"]
    parsed = parse_article_file(ARTICLES / "hirai-back-heat.md", ARTICLES)
    assert [(s["level"], s["heading"], s["heading_path"]) for s in hirai["sections"]] == [
        (s.level, s.heading, s.path) for s in parsed.sections
    ]
    assert [s["text"] for s in hirai["sections"]] == [s.text for s in parsed.sections]
    assert [(q["label"], q["question"]) for q in hirai["qa"]] == [(q.label, q.question) for q in parsed.qa]
    qa_positions = {q["section_position"] for q in hirai["qa"]}
    assert qa_positions == {s["position"] for s in hirai["sections"] if s["is_qa"]}
    assert hirai["site"] == "平井鍼灸院" and hirai["published"] == "2025-11-26"
    # facts carry their provenance: the section they come from and where the cause stands
    fact = next(f for f in hirai["facts"] if f["cause"] == "更年期障害")
    section = hirai["sections"][fact["section_position"]]
    source = section["heading"] if fact["source"] == "heading" else section["text"]
    start, end = fact["span"]
    assert fact["heading"] == section["heading"] and source[start:end] == "更年期障害"
    assert fact["method"] and fact["pattern"] and 0 < fact["confidence"] <= 1
    # duplicates are seen from each side
    pairs = {(d["here"]["article_id"], d["there"]["article_id"])
             for a in articles.values() for d in a["duplicates"]}
    assert ("dizziness", "hands-feet-numbness") in pairs and ("hands-feet-numbness", "dizziness") in pairs


def test_curated_facts_are_exported_as_curated(runner, tmp_path):
    folder = tmp_path / "articles"
    write_article(folder, "a.md", title="めまいの原因", body="## 原因\n\nめまいは疲れで起こります。\n",
                  facts="\n  - {symptom: めまい, cause: 睡眠不足, relation: cause}")
    db_path = tmp_path / "kb.db"
    assert runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(db_path), "-q",
                               "--workers", "1"]).exit_code == 0
    (article,) = export_json(runner, db_path)["articles"]
    curated = [f for f in article["facts"] if f["curated"]]
    assert [(f["symptom"], f["cause"], f["relation"]) for f in curated] == [("めまい", "睡眠不足", "cause")]
    assert article["meta"]["facts"] == [{"symptom": "めまい", "cause": "睡眠不足", "relation": "cause"}]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_lang_filter(runner, built_db, lang):
    expected = [aid for aid, f in all_article_fronts().items() if f.get("lang", "ja") == lang]
    assert expected and export_ids(runner, built_db, "--lang", lang) == expected


def test_site_filter(runner, built_db):
    expected = [aid for aid, f in all_article_fronts().items() if f.get("site") == "平井鍼灸院"]
    assert expected == ["hirai-back-heat"]
    assert export_ids(runner, built_db, "--site", "平井鍼灸院") == expected
    assert export_ids(runner, built_db, "--site", "no such site") == []


@pytest.mark.parametrize("since", ["2025-11-26", "2026-02-24", "2026-03-17"])
def test_since_filter_is_updated_on_or_after(runner, built_db, since):
    def updated(front: dict) -> str:
        return str(front.get("updated") or front.get("published"))

    expected = [aid for aid, f in all_article_fronts().items() if updated(f) >= since]
    assert export_ids(runner, built_db, "--since", since) == expected


@pytest.mark.parametrize("bad", ["2025-13-01", "yesterday", "26/11/2025", ""])
def test_since_must_be_a_date_and_the_error_names_it(runner, built_db, bad):
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--since", bad])
    assert result.exit_code == 2
    assert "--since" in result.output and "YYYY-MM-DD" in result.output
    with pytest.raises(InvalidFilter, match="since"):
        ExportFilter(since=bad)


def test_article_filter_repeats_and_combines(runner, built_db):
    assert export_ids(runner, built_db, "--article", "dizziness") == ["dizziness"]
    assert export_ids(runner, built_db, "--article", "palpitations", "--article", "dizziness") == [
        "dizziness", "palpitations"]
    assert export_ids(runner, built_db, "--article", "dizziness", "--lang", "en") == []
    assert export_ids(runner, built_db, "--article", "nothing-like-it") == []


def test_output_file_and_summary(runner, built_db, tmp_path):
    out = tmp_path / "kb.jsonl"
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--format", "jsonl", "--lang",
                                 "en", "--output", str(out)])
    assert result.exit_code == 0
    assert "1 articles" in result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["lang"] for line in lines] == ["en"]
    assert list(tmp_path.glob(".*.tmp")) == []


def test_export_of_a_missing_index_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["export", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no such index" in result.output


def _grow(db_path: Path, copies: int) -> None:
    """Copy every article (and its sections, Q&A, facts) ``copies`` times in the database."""
    conn = sqlite3.connect(db_path)
    with conn:
        offset = conn.execute("select max(id) from sections").fetchone()[0]
        for n in range(1, copies + 1):
            conn.execute("insert into articles select id || '-' || ?, path || ?, title, lang, site, url, "
                         "author, published, updated, category, tags, translation_of, meta, "
                         "content_hash, section_count, qa_count from articles where id not like '%-c%'",
                         [f"c{n}", n])
            conn.execute("insert into sections (id, article_id, position, level, heading, heading_path, "
                         "text, markdown, line, anchor, is_qa, child_count, lang, boilerplate) "
                         "select id + ?, article_id || '-' || ?, position, level, heading, heading_path, "
                         "text, markdown, line, anchor, is_qa, child_count, lang, boilerplate "
                         "from sections where id <= ?", [offset * n, f"c{n}", offset])
            conn.execute("insert into facts (article_id, section_id, symptom, cause, relation, evidence, "
                         "span_start, span_end, method, pattern, confidence, curated) "
                         "select article_id || '-' || ?, section_id + ?, symptom, cause, relation, evidence, "
                         "span_start, span_end, method, pattern, confidence, curated from facts "
                         "where section_id <= ?", [f"c{n}", offset * n, offset])
    conn.close()


class _Sink(io.TextIOBase):
    """Counts what is written and keeps nothing."""

    chars = 0

    def write(self, s: str) -> int:
        self.chars += len(s)
        return len(s)


def _peak_export_memory(db_path: Path, fmt: str) -> tuple[int, int]:
    db = open_db(db_path)
    sink = _Sink()
    try:
        tracemalloc.start()
        count = write_export(db, sink, fmt)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        db.close()
    assert sink.chars > 0
    return count, peak


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_export_runs_in_constant_memory(built_db, tmp_path, fmt):
    small = tmp_path / "small.db"
    large = tmp_path / "large.db"
    shutil.copy(built_db, small)
    shutil.copy(built_db, large)
    _grow(large, 40)
    small_count, small_peak = _peak_export_memory(small, fmt)
    large_count, large_peak = _peak_export_memory(large, fmt)
    assert large_count == 41 * small_count
    # 41 times the articles, yet about the memory of one large article (not 41 times it)
    assert large_peak < 2 * small_peak + 200_000


def test_an_output_file_that_cannot_be_written_is_named(runner, built_db, tmp_path):
    out = tmp_path / "no-such-folder" / "kb.json"
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--output", str(out)])
    assert result.exit_code == 1 and f"{out}: cannot be written" in result.output
    assert not out.parent.exists()


def test_export_to_file_writes_what_kb_export_o_writes(runner, built_db, tmp_path):
    by_command, by_call = tmp_path / "command.jsonl", tmp_path / "call.jsonl"
    by_call.write_text("an older export\n", "utf-8")  # replaced whole, as -o replaces it
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--format", "jsonl",
                                 "--lang", "ja", "-o", str(by_command)])
    assert result.exit_code == 0, result.output
    db = open_db(built_db)
    try:
        count = export_to_file(db, by_call, "jsonl", ExportFilter(lang="ja"))
    finally:
        db.close()
    assert f"{count} articles" in result.output
    assert by_call.read_bytes() == by_command.read_bytes()


def test_json_flag_is_one_document_and_does_not_go_with_jsonl(runner, built_db):
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--json", "--lang", "en"])
    assert result.exit_code == 0
    assert [a["id"] for a in json.loads(result.stdout)["articles"]] == ["upper-back-heat-en"]
    result = runner.invoke(cli, ["export", "--db", str(built_db), "--json", "--format", "jsonl"])
    assert result.exit_code == 2 and "--json" in result.output
