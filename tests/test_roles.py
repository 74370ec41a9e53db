"""Section roles: headings that announce causes, self-care, departments and warnings."""

from __future__ import annotations

import pytest

from kb.index import build_index
from kb.errors import KbError
from kb.search import parse_query
from kb.analysis import load_role_cues, role_token
from kb.analysis.roles import parse_role_cues, role_of_token
from kb.analysis import load_synonyms
from kb.facts import load_cause_kinds
from kb.search import search
from kb.index import open_db

from helpers import build_after_rule_change, write_article

ARTICLE = """## 腰痛の主な原因

腰痛の多くは筋肉の疲労から起こります。

### 長時間の同じ姿勢

デスクワークで座り続けると腰の筋肉がこわばります。

## 腰痛は何科を受診すればよいか

まずは整形外科で相談しましょう。腰の痛みが続くときは早めに相談してください。

## 今日からできる腰痛のセルフケア

温めて血流を保ちます。

## すぐに救急車を呼ぶべき腰痛

足に力が入らない、尿が出ないときは迷わず119番に電話してください。

## 腰痛と年齢

腰の痛みは年齢とともに増えます。病院に行く人も増えます。
"""


@pytest.fixture(scope="module")
def roles_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roles") / "articles"
    write_article(folder, "back.md", title="腰痛について", body=ARTICLE)
    path = folder.parent / "kb.db"
    build_index(folder, path, workers=1)
    database = open_db(path)
    yield database
    database.close()


def _fts_row(db, heading: str) -> tuple[str, str]:
    return db.execute(
        "select f.heading, f.context from sections s join sections_fts f on f.rowid = s.id "
        "where s.heading = ?", [heading]
    ).fetchone()


@pytest.mark.parametrize("heading, role", [
    ("腰痛の主な原因", "cause"),
    ("腰痛は何科を受診すればよいか", "department"),
    ("今日からできる腰痛のセルフケア", "self_care"),
    ("すぐに救急車を呼ぶべき腰痛", "warning"),
])
def test_a_heading_that_announces_a_role_carries_its_token(roles_db, heading, role):
    indexed_heading, _ = _fts_row(roles_db, heading)
    assert role_token(role) in indexed_heading.split()


def test_a_plain_heading_has_no_role(roles_db):
    indexed_heading, context = _fts_row(roles_db, "腰痛と年齢")
    assert not [t for t in indexed_heading.split() + context.split() if role_of_token(t)]


def test_a_sub_section_inherits_the_role_of_the_heading_above_it(roles_db):
    indexed_heading, context = _fts_row(roles_db, "長時間の同じ姿勢")
    assert role_token("cause") in context.split()
    assert role_token("cause") not in indexed_heading.split()


def test_a_query_asking_for_a_department_finds_the_section_in_other_words(roles_db):
    # The department section says 何科 and 受診, never 病院; the last section says 病院 literally.
    hits = search(roles_db, "腰痛 病院").hits
    assert hits[0].heading == "腰痛は何科を受診すればよいか"


@pytest.mark.parametrize("query, heading", [
    ("腰痛 危ない", "すぐに救急車を呼ぶべき腰痛"),
    ("腰痛 対策", "今日からできる腰痛のセルフケア"),
    ("腰痛 なぜ", "腰痛の主な原因"),
])
def test_a_query_asking_for_a_role_ranks_that_role_first(roles_db, query, heading):
    assert search(roles_db, query).hits[0].heading == heading


def test_query_words_get_the_roles_they_ask_for():
    assert parse_query("めまい 何科").roles == {"department"}
    assert parse_query("which doctor should I see").roles == {"department"}
    assert parse_query("手足のしびれ 危険なサイン").roles == {"warning"}
    assert parse_query("めまい").roles == set()


def test_a_quoted_phrase_is_taken_literally_and_asks_for_no_role():
    assert parse_query('"めまいの原因"').roles == set()


def test_cues_cover_a_phrase_and_a_word_ending():
    cues = parse_role_cues("warning: すぐに受診\ndepartment: *科\n")
    assert cues.roles(["直ぐ", "受診"]) == {"warning"}
    assert cues.roles(["受診"]) == set()
    assert cues.roles(["耳鼻咽喉科"]) == {"department"}


def test_a_bad_role_line_is_an_error_naming_the_line():
    with pytest.raises(KbError) as info:
        parse_role_cues("cause: 原因\n\nsymptoms: 頭痛\n", "roles.txt")
    assert "roles.txt:3" in str(info.value)


def test_a_cue_with_no_word_is_an_error_naming_the_line():
    with pytest.raises(KbError) as info:
        parse_role_cues("cause: 原因, の\n", "roles.txt")
    assert "roles.txt:1" in str(info.value) and "'の'" in str(info.value)


@pytest.mark.parametrize("load", [load_role_cues, load_synonyms,
                                  load_cause_kinds],
                         ids=["roles", "synonyms", "cause kinds"])
def test_a_missing_rule_file_is_a_clear_error(tmp_path, load):
    with pytest.raises(KbError) as info:
        load(tmp_path / "missing.txt")
    assert "missing.txt" in str(info.value)


def test_a_changed_role_file_rebuilds_everything(tmp_path, monkeypatch):
    db_path, report = build_after_rule_change(tmp_path, monkeypatch, "KB_ROLES",
                                              "self_care: 豆知識\n", "## 腰痛の豆知識\n\n本文です。\n")
    assert report.analyzed == 1 and report.full
    database = open_db(db_path)
    try:
        assert role_token("self_care") in _fts_row(database, "腰痛の豆知識")[0].split()
    finally:
        database.close()


@pytest.mark.parametrize("variable, name, text", [
    ("KB_ROLES", "roles.txt", "cause: 原因\nsymptom: 頭痛\n"),
    ("KB_CAUSE_KINDS", "cause_kinds.txt", "disease: *病\nweather: 雨\n"),
])
def test_a_bad_rule_file_stops_the_build_naming_its_line_and_keeps_the_index(
        runner, tmp_path, monkeypatch, variable, name, text):
    from kb.cli import cli

    from helpers import sha256

    folder = tmp_path / "articles"
    write_article(folder, "a.md", title="腰痛の原因", body="## 腰痛の原因\n\nストレスが腰痛の原因です。\n")
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path, workers=1)
    before = sha256(db_path)
    rules = tmp_path / name
    rules.write_text(text, encoding="utf-8")
    monkeypatch.setenv(variable, str(rules))
    result = runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(db_path), "--workers", "1"])
    assert result.exit_code != 0 and f"{name}:2" in result.output
    assert sha256(db_path) == before
