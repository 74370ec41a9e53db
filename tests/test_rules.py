"""The rule-file registry (kb/rules.py): the index fingerprint it makes, which an index built
before the registry still matches for every file that was in it, and its cached loads."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from importlib.metadata import version
from pathlib import Path

import pytest

from kb.analysis import ANALYZER_VERSION, load_role_cues
from kb.facts import find_facts
from kb.index import build_index, open_db
from kb.index.store import get_meta, index_fingerprint
from kb.rules import RULE_FILES
from kb.search import search

from helpers import REPO_ROOT, sha256
from web_fixtures import datasette_for

DATA = REPO_ROOT / "kb" / "data"
RULE_VARIABLES = ("KB_NORMALIZE", "KB_ROLES", "KB_CAUSE_KINDS", "KB_SYNONYMS")


def _part(path: Path) -> str:
    """A file's part of the fingerprint: the first 12 hex digits of its sha256, or "none"."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "none"


def _fingerprint_before_the_registry(normalize: Path, roles: Path, cause_kinds: Path,
                                     synonyms: Path) -> str:
    """The index fingerprint as kb stored it before the registry: analysis.analyzer_fingerprint()
    (version, normalize.txt, dictionary), then roles.txt, cause_kinds.txt and synonyms.txt."""
    return (f"{ANALYZER_VERSION}-{_part(normalize)}-{version('sudachidict-core')}"
            f"-{_part(roles)}-{_part(cause_kinds)}-{_part(synonyms)}")


def _stored_fingerprint(db_path: Path) -> str:
    db = open_db(db_path)
    try:
        return get_meta(db)["analyzer_version"]
    finally:
        db.close()


def test_the_registry_holds_every_rule_file_with_its_variable():
    assert [(f.name, f.variable) for f in RULE_FILES] == [
        ("normalize.txt", "KB_NORMALIZE"), ("roles.txt", "KB_ROLES"),
        ("cause_kinds.txt", "KB_CAUSE_KINDS"), ("synonyms.txt", "KB_SYNONYMS"),
        ("departments.txt", None), ("patient_words.txt", "KB_PATIENT_WORDS"),
        ("patient_words_en.txt", "KB_PATIENT_WORDS_EN"), ("bilingual.txt", "KB_BILINGUAL")]
    assert {f.name for f in RULE_FILES} == {p.name for p in DATA.glob("*.txt")}


def test_a_built_index_stores_the_old_fingerprint_with_the_departments_part_after_it(built):
    for variable in RULE_VARIABLES:
        assert variable not in os.environ
    old = _fingerprint_before_the_registry(DATA / "normalize.txt", DATA / "roles.txt",
                                           DATA / "cause_kinds.txt", DATA / "synonyms.txt")
    assert _stored_fingerprint(built) == f"{old}-{_part(DATA / 'departments.txt')}"


def test_the_fingerprint_follows_the_files_the_variables_name(tmp_path, monkeypatch):
    files = {}
    for variable, text in zip(RULE_VARIABLES, ("", "cause: 原因\n", "disease: *病\n", "首, うなじ\n")):
        files[variable] = tmp_path / f"{variable}.txt"
        files[variable].write_text(text, encoding="utf-8")
        monkeypatch.setenv(variable, str(files[variable]))
    old = _fingerprint_before_the_registry(*files.values())
    assert index_fingerprint() == f"{old}-{_part(DATA / 'departments.txt')}"
    files["KB_NORMALIZE"].unlink()  # a missing normalization file is no rules: "none"
    assert index_fingerprint().split("-")[1] == "none"


async def test_an_index_built_before_the_registry_is_served_and_searched_without_a_rebuild(
        built, articles_dir):
    old = _fingerprint_before_the_registry(DATA / "normalize.txt", DATA / "roles.txt",
                                           DATA / "cause_kinds.txt", DATA / "synonyms.txt")
    with sqlite3.connect(built) as conn:  # what kb stored before departments.txt joined
        conn.execute("update kb_meta set value = ? where key = 'analyzer_version'", [old])
    conn.close()
    before = sha256(built)

    db = open_db(built)
    try:
        hits = search(db, "背中が熱い", limit=5).hits
        assert hits and hits[0].article_id in ("hirai-back-heat", "comolab-neck-heat")
        assert find_facts(db, "背中の熱さ")
    finally:
        db.close()
    ds = await datasette_for(built)
    page = await ds.client.get("/-/search?q=%E8%83%8C%E4%B8%AD%E3%81%8C%E7%86%B1%E3%81%84")
    assert page.status_code == 200 and 'class="kb-hit ' in page.text
    data = (await ds.client.get("/-/search.json?q=%E3%81%97%E3%81%B3%E3%82%8C")).json()
    assert "hits" in data
    assert sha256(built) == before and _stored_fingerprint(built) == old

    # the next build cannot know which department names the old one read: it builds once...
    report = build_index(articles_dir, built, workers=1)
    assert report.full and report.analyzed == 3
    assert _stored_fingerprint(built) == f"{old}-{_part(DATA / 'departments.txt')}"
    # ...and never again while nothing changes
    assert build_index(articles_dir, built, workers=1).analyzed == 0


def test_a_rule_file_is_read_again_only_when_it_changes(tmp_path):
    path = tmp_path / "roles.txt"
    path.write_text("cause: 原因\n", encoding="utf-8")
    first = load_role_cues(path)
    assert load_role_cues(path) is first  # unchanged: not read again
    path.write_text("cause: 原因, 要因\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    changed = load_role_cues(path)
    assert changed is not first and "要因" in changed.words
    # a change of size alone counts too (an edit within the clock's resolution)
    stamp = path.stat().st_mtime_ns
    path.write_text("cause: 原因, 要因, 理由\n", encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    assert "理由" in load_role_cues(path).words


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda f: f.name)
def test_every_shipped_rule_file_loads(rule_file):
    assert rule_file.path() == DATA / rule_file.name
    assert rule_file.load(lambda text, source: (len(text), source)) == (
        len((DATA / rule_file.name).read_text(encoding="utf-8")), str(DATA / rule_file.name))
