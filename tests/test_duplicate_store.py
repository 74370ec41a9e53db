"""Duplicates with the index: built with it, listed by kb duplicates, checked by kb check."""

from __future__ import annotations

import json

import pytest

from kb.duplicates import check_file
from kb.index import build_index
from kb.cli import cli
from kb.search import search
from kb.index import open_db

from helpers import article_text, write_article
from test_duplicates import INDEPENDENT, ORIGINAL, REWRITES

BOOKING = ("ご予約はお電話またはLINEで承っております。受付時間は平日9時から19時、土曜は17時までです。"
           "日曜・祝日は休診となります。駐車場は院の裏に3台分ございます。背中の熱さのご相談もどうぞ。")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dups") / "articles"
    write_article(folder, "a.md", title="背中が熱いのはなぜ",
                  body=f"## 背中が熱い原因\n\n{ORIGINAL}\n\n## ご予約\n\n{BOOKING}\n")
    write_article(folder, "b.md", title="背中の熱さと自律神経",
                  body=f"## 自律神経と背中の熱\n\n{REWRITES['reordered']}\n\n## ご予約\n\n{BOOKING}\n")
    write_article(folder, "c.md", title="交感神経のはなし",
                  body=f"## 交感神経と副交感神経\n\n{INDEPENDENT}\n\n## ご予約\n\n{BOOKING}\n")
    db_path = folder.parent / "kb.db"
    report = build_index(folder, db_path, workers=1)
    return folder, db_path, report


def rows(runner, db_path, *args):
    result = runner.invoke(cli, ["duplicates", "--db", str(db_path), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_build_finds_the_copy_and_the_boilerplate(runner, corpus):
    _, db_path, report = corpus
    assert report.duplicates >= 2
    found = rows(runner, db_path)
    kinds = {r["kind"] for r in found}
    assert {"near", "boilerplate"} <= kinds
    near = next(r for r in found if r["kind"] == "near")
    assert {near["a"]["article_id"], near["b"]["article_id"]} == {"a", "b"}
    for row in found:  # the DESIGN contract
        assert {"kind", "similarity", "a", "b"} <= set(row)
        assert {"article_id", "heading", "text"} <= set(row["a"]) and {"article_id", "heading", "text"} <= set(row["b"])
    similarities = [r["similarity"] for r in found]
    assert similarities == sorted(similarities, reverse=True)


def test_boilerplate_is_one_entry_with_all_its_places(runner, corpus):
    _, db_path, _ = corpus
    blocks = rows(runner, db_path, "--kind", "boilerplate")
    assert len(blocks) == 1
    assert {p["article_id"] for p in blocks[0]["places"]} == {"a", "b", "c"}


def test_independent_articles_on_one_topic_are_not_paired(runner, corpus):
    _, db_path, _ = corpus
    for row in rows(runner, db_path, "--kind", "near"):
        assert "c" not in (row["a"]["article_id"], row["b"]["article_id"])


def test_filters(runner, corpus):
    """Each filter (done in SQL) keeps exactly the entries of the whole list it should."""
    _, db_path, _ = corpus
    everything = rows(runner, db_path)

    def involves(entry, article):
        return article in ({entry["a"]["article_id"], entry["b"]["article_id"]}
                           | {p["article_id"] for p in entry.get("places", [])})

    for article in ("a", "b", "c"):
        expected = [e for e in everything if involves(e, article)]
        assert expected and rows(runner, db_path, "--article", article) == expected
    for kind in ("near", "boilerplate"):
        expected = [e for e in everything if e["kind"] == kind]
        assert expected and rows(runner, db_path, "--kind", kind) == expected
    expected = [e for e in everything if e["similarity"] >= 0.9]
    assert rows(runner, db_path, "--min-similarity", "0.9") == expected
    assert rows(runner, db_path, "--min-similarity", "0.99", "--kind", "near") == []


def test_boilerplate_never_outranks_content(corpus):
    _, db_path, _ = corpus
    db = open_db(db_path)
    try:
        hits = search(db, "背中の熱さ 予約", limit=20).hits
        booking = [i for i, h in enumerate(hits) if h.heading == "ご予約"]
        content = [i for i, h in enumerate(hits) if h.heading != "ご予約" and h.kind != "fact"]
        assert booking and content and max(content) < min(booking)
    finally:
        db.close()


def test_kb_check_exit_status(runner, corpus, tmp_path):
    _, db_path, _ = corpus
    copied = tmp_path / "copied.md"
    copied.write_text(article_text(title="下書き", body=f"## 下書き\n\n{REWRITES['words swapped']}\n"), "utf-8")
    fresh = tmp_path / "fresh.md"
    fresh.write_text(article_text(title="下書き", body="## 新しい話題\n\n膝の痛みには太ももの筋肉を鍛える運動が役立ちます。"
                                  "階段の上り下りで痛む場合は整形外科で相談しましょう。\n"), "utf-8")
    result = runner.invoke(cli, ["check", str(copied), "--db", str(db_path), "--json"])
    assert result.exit_code == 1, result.output
    found = json.loads(result.stdout)
    assert found[0]["published"]["article_id"] == "a" and found[0]["similarity"] >= 0.5
    clean = runner.invoke(cli, ["check", str(fresh), "--db", str(db_path)])
    assert clean.exit_code == 0 and "repeats nothing" in clean.output
    # a Python caller gets what the command prints
    assert check_file(copied, db_path, 0.5) == found and check_file(fresh, db_path) == []


def test_a_changed_article_is_signed_again_and_the_rest_are_kept(corpus, tmp_path):
    import shutil

    folder, db_path, _ = corpus
    work = tmp_path / "articles"
    shutil.copytree(folder, work)
    db_copy = tmp_path / "kb.db"
    shutil.copy(db_path, db_copy)
    db = open_db(db_copy)
    before = dict(db.execute("select unit, signature from dup_signatures").fetchall())
    db.close()
    (work / "b.md").write_text(article_text(title="背中の熱さと自律神経",
                                            body=f"## 自律神経と背中の熱\n\n{INDEPENDENT}\n"), "utf-8")
    report = build_index(work, db_copy, workers=1)
    assert report.analyzed == 1
    db = open_db(db_copy)
    try:
        after = dict(db.execute("select unit, signature from dup_signatures").fetchall())
        kept = {u for u in before if u in after and after[u] == before[u]}
        assert kept and all(db.execute("select article_id from dup_signatures where unit = ?", [u]).fetchone()[0] != "b"
                            for u in kept)
        pairs = db.execute("select a_article_id, b_article_id, kind from duplicates").fetchall()
        assert ("a", "b", "near") not in pairs  # the copy is gone with the rewrite
    finally:
        db.close()


def test_kb_check_names_a_bad_draft_or_index_with_status_2(runner, corpus, tmp_path):
    from helpers import sha256

    _, db_path, _ = corpus
    before = sha256(db_path)
    untitled = tmp_path / "untitled.md"
    untitled.write_text("---\nlang: ja\n---\n本文です。\n", "utf-8")
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x00\x01\x02\xff" * 50)
    for draft in (untitled, binary):
        result = runner.invoke(cli, ["check", str(draft), "--db", str(db_path)])
        assert result.exit_code == 2 and draft.name in result.output
    missing = runner.invoke(cli, ["check", str(untitled), "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "untitled.md" in missing.output  # the draft is read first
    fine = tmp_path / "fine.md"
    fine.write_text(article_text(title="下書き", body="膝の話です。\n"), "utf-8")
    no_index = runner.invoke(cli, ["check", str(fine), "--db", str(tmp_path / "none.db")])
    assert no_index.exit_code == 2 and "none.db" in no_index.output
    assert sha256(db_path) == before


def _clusters(db_path) -> set[tuple[str, frozenset]]:
    """Each cluster as its kind and its places, and each loose pair (in no cluster) as its two
    places, named by article, section position and paragraph (section ids differ between
    builds)."""
    db = open_db(db_path)
    try:
        groups: dict[int, set] = {}
        kinds = dict(db.execute("select id, kind from duplicate_clusters").fetchall())
        for cluster_id, article_id, position, paragraph in db.execute(
            "select p.cluster_id, p.article_id, s.position, p.paragraph from duplicate_places p "
            "join sections s on s.id = p.section_id"
        ):
            groups.setdefault(cluster_id, set()).add((article_id, position, paragraph))
        flags = db.execute("select article_id, position from sections where boilerplate").fetchall()
        assert set(kinds) == set(groups)
        pairs = {("pair", frozenset(((a, pa, ppa), (b, pb, ppb)))) for a, pa, ppa, b, pb, ppb in db.execute(
            "select d.a_article_id, sa.position, d.a_paragraph, d.b_article_id, sb.position, "
            "d.b_paragraph from duplicates d join sections sa on sa.id = d.a_section_id "
            "join sections sb on sb.id = d.b_section_id where d.cluster_id is null")}
        return ({(kinds[c], frozenset(g)) for c, g in groups.items()} | {("flag", frozenset(flags))}
                | pairs)
    finally:
        db.close()


def test_incremental_clusters_equal_a_full_build_after_each_change(corpus, tmp_path):
    """Only the clusters a change touches are regrouped; the result must be what a full build
    gives: after an edit that breaks a copy, a removal that leaves boilerplate in two articles
    (so no longer boilerplate), an added copy that joins an existing group, a partial copy (a
    loose pair with that group), the removal of the article whose places every other copy and
    the partial copy were linked to, and an article left with no text."""
    import shutil

    folder, db_path, _ = corpus
    work = tmp_path / "articles"
    shutil.copytree(folder, work)
    incremental = tmp_path / "kb.db"
    shutil.copy(db_path, incremental)
    steps = [
        lambda: (work / "b.md").write_text(article_text(
            title="背中の熱さと自律神経",
            body=f"## 自律神経と背中の熱\n\n{INDEPENDENT}\n\n## ご予約\n\n{BOOKING}\n"), "utf-8"),
        lambda: (work / "c.md").unlink(),
        lambda: write_article(work, "d.md", title="背中の熱(転載)",
                              body=f"## 転載\n\n{ORIGINAL}\n\n## ご予約\n\n{BOOKING}\n"),
        # a partial copy: a loose match (a pair of its own) with the group of a and d
        lambda: write_article(work, "e.md", title="背中の熱(抜粋)", body=(
            "## 抜粋\n\n" + "".join(ORIGINAL.split("。")[:3]) + "。膝の痛みには別の理由もあります。\n")),
        lambda: (work / "a.md").unlink(),  # the first article: its places held the groups together
        lambda: write_article(work, "d.md", title="見出しだけ", body="## 見出し\n"),  # no text left
    ]
    seen = set()
    for n, step in enumerate(steps):
        step()
        build_index(work, incremental, workers=1)
        full = tmp_path / f"full-{n}.db"
        build_index(work, full, full=True, workers=1)
        got = _clusters(incremental)
        assert got == _clusters(full)
        seen.add(frozenset(got))
    assert len(seen) == len(steps)  # each step changed the clusters
    kinds = {entry[0] for state in seen for entry in state}
    assert {"pair", "boilerplate"} <= kinds  # loose pairs and clusters were both compared


def test_articles_written_independently_on_one_topic_are_never_paired(tmp_path):
    """tests/fixtures/independent/: eight topics, each written twice independently (交感神経,
    肩こり, 頭痛...). They share the topic's words, and no match may link two of them."""
    from helpers import REPO_ROOT

    folder = REPO_ROOT / "tests" / "fixtures" / "independent"
    report = build_index(folder, tmp_path / "kb.db", workers=1)
    assert report.articles == 16
    db = open_db(tmp_path / "kb.db")
    try:
        from kb.duplicates import list_duplicates

        # the pairs do share words: the test would notice a detector that compares nothing
        shared = db.execute(
            "select count(*) from sections_fts a join sections_fts b on a.rowid < b.rowid "
            "where a.body like '%神経%' and b.body like '%神経%'").fetchone()[0]
        assert shared > 0
        pairs = [(d["a"]["article_id"], d["b"]["article_id"], d["similarity"])
                 for d in list_duplicates(db) if d["a"]["article_id"] != d["b"]["article_id"]]
        assert pairs == []
    finally:
        db.close()


def test_a_near_match_shows_the_passages_both_hold_not_what_differs(tmp_path):
    first = ("肩こりは長時間のデスクワークで首や肩の筋肉が緊張し続けることで起こります。"
             "画面をのぞき込む姿勢が続くと、頭の重さを首の後ろの筋肉だけで支えることになります。"
             "血流が悪くなると疲労物質がたまり、重だるさや痛みにつながります。"
             "一時間に一度は立ち上がり、肩を大きく回すストレッチを習慣にしましょう。"
             "湯船につかって体を温めることも、筋肉の緊張をほぐすのに役立ちます。"
             "枕の高さが合っていないと、寝ている間にも首に負担がかかります。")
    changed = first.replace("血流が悪くなると疲労物質がたまり、重だるさや痛みにつながります。",
                            "睡眠不足や冷房による冷えも筋肉のこわばりを強めます。")
    folder = tmp_path / "articles"
    write_article(folder, "x.md", title="肩こりの原因", body=f"## 原因\n\n{first}\n")
    write_article(folder, "y.md", title="肩こりの対策", body=f"## なぜ起こるか\n\n{changed}\n")
    build_index(folder, tmp_path / "kb.db", workers=1)
    db = open_db(tmp_path / "kb.db")
    try:
        from kb.duplicates import list_duplicates

        [match] = [d for d in list_duplicates(db) if d["kind"] == "near"]
    finally:
        db.close()
    assert "デスクワーク" in match["shared"] and "枕の高さ" in match["shared"]
    assert "疲労物質" not in match["shared"] and "冷房" not in match["shared"]
    assert " … " in match["shared"]  # two passages, the changed sentence left out between them


def test_signing_gives_each_unit_the_shingles_its_own_words_give(tmp_path):
    """A paragraph's shingles are cut from its section's when signed; read back from the index
    words (as for a unit signed in an earlier build) they must be the same."""
    from kb.duplicates import sign_sections
    from kb.duplicates.stored import StoredTexts, load_units

    folder = tmp_path / "articles"
    write_article(folder, "p.md", title="段落の多い記事", body=(
        f"## 原因\n\n{ORIGINAL}\n\n{BOOKING}\n\n{INDEPENDENT}\n\n短い段落。\n\n"
        f"## 対策\n\n{REWRITES['reordered']}\n"))
    build_index(folder, tmp_path / "kb.db", workers=1)
    db = open_db(tmp_path / "kb.db")
    try:
        rows = db.execute(
            "select s.id, s.text, f.body, t.spans from sections s join sections_fts f on f.rowid = s.id "
            "left join term_spans t on t.section_id = s.id").fetchall()
        signed = sign_sections(rows)
        stored = {u.key: u for u in load_units(db)}
        texts = StoredTexts(db)
        paragraphs = 0
        for (section_id, paragraph, *_), items in zip(signed.rows, signed.shingles):
            unit = stored[f"{section_id}:{'' if paragraph is None else paragraph}"]
            assert texts.positions([unit])[0].tolist() == items.tolist()
            paragraphs += paragraph is not None
        assert paragraphs == 3  # the short one is not a unit
    finally:
        db.close()


def test_the_boilerplate_threshold_is_set_at_build_time_and_applies_to_every_cluster(
        runner, corpus, tmp_path):
    """--boilerplate-articles: with 4, the booking block of three articles is no longer
    boilerplate (nor its sections marked), on an incremental build as on a full one; back to
    3, it is again; a later build without the option keeps the index's setting."""
    import shutil

    folder, db_path, _ = corpus
    work = tmp_path / "kb.db"
    shutil.copy(db_path, work)
    for n, expected in ((4, set()), (3, {"a", "b", "c"})):
        result = runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(work),
                                     "--boilerplate-articles", str(n), "--quiet"])
        assert result.exit_code == 0, result.output
        full = tmp_path / f"full-{n}.db"
        runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(full), "--full",
                            "--boilerplate-articles", str(n), "--quiet"])
        assert _clusters(work) == _clusters(full)
        places = {p["article_id"] for b in rows(runner, work, "--kind", "boilerplate")
                  for p in b["places"]}
        assert places == expected
        db = open_db(work)
        marked = {r[0] for r in db.execute("select article_id from sections where boilerplate")}
        db.close()
        assert marked == expected
    runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(work), "--quiet",
                        "--boilerplate-articles", "4"])
    again = runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(work), "--json"])
    assert json.loads(again.stdout)["analyzed"] == 0  # the setting stays: nothing to do
    assert rows(runner, work, "--kind", "boilerplate") == []
    bad = runner.invoke(cli, ["build", "--articles", str(folder), "--db", str(work),
                              "--boilerplate-articles", "1"])
    assert bad.exit_code == 2 and "--boilerplate-articles" in bad.output


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_articles_added_in_steps_give_what_a_build_from_scratch_gives(tmp_path, seed):
    """Articles recombining a few sentences (so copies, light rewrites and loose matches abound,
    and groups that stored loose matches link are joined by later articles), added in three
    steps: the matches and clusters must be those of a build from scratch."""
    import random
    import re
    import shutil

    from helpers import ARTICLES

    text = (ARTICLES / "hirai-back-heat.md").read_text("utf-8")
    sentences = sorted({s for s in re.findall(r"[^。\n#>*|-]{12,80}。", text)})[:14]
    assert len(sentences) >= 12
    rng = random.Random(seed)
    folder = tmp_path / "articles"
    incremental = tmp_path / "kb.db"
    names = [f"r{n:02d}.md" for n in range(15)]
    for step in range(3):
        for name in names[step * 5 : step * 5 + 5]:
            start = rng.randrange(0, 6)
            chosen = sentences[start : start + rng.randrange(4, 8)]
            if rng.random() < 0.5:
                chosen = chosen[:-1] + [rng.choice(sentences)]
            write_article(folder, name, title=name, body=f"## 本文\n\n{''.join(chosen)}\n")
        build_index(folder, incremental, workers=1)
    full = tmp_path / "full.db"
    build_index(folder, full, full=True, workers=1)
    got, expected = _clusters(incremental), _clusters(full)
    assert got == expected
    assert {entry[0] for entry in expected} >= {"pair", "flag"}
    shutil.rmtree(folder)


STUBS = {
    "front matter only": article_text(title="下書き", body=""),
    "front matter and blank lines": article_text(title="下書き", body="\n\n\n"),
    "a body of one word": article_text(title="下書き", body="背中\n"),
    "a heading with one sentence": article_text(title="下書き", body="## 背中\n\n背中が熱い。\n"),
    "a heading and no body": article_text(title="下書き", body="## 背中が熱い原因\n"),
    "one short paragraph in each of two sections": article_text(
        title="下書き", body="## 一\n\n熱い。\n\n## 二\n\n痛い。\n"),
}


@pytest.mark.parametrize("stub", list(STUBS))
def test_kb_check_of_a_stub_draft_repeats_nothing_and_exits_0(runner, corpus, tmp_path, stub):
    _, db_path, _ = corpus
    draft = tmp_path / "draft.md"
    draft.write_text(STUBS[stub], "utf-8")
    for args in ([], ["--json"]):
        result = runner.invoke(cli, ["check", str(draft), "--db", str(db_path), *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_kb_check_of_a_stub_that_copies_a_published_stub_exits_1(runner, tmp_path):
    folder = tmp_path / "articles"
    write_article(folder, "a.md", title="短い記事", body="## 背中\n\n背中が熱い。\n")
    db_path = tmp_path / "kb.db"
    build_index(folder, db_path, workers=1)
    draft = tmp_path / "draft.md"
    draft.write_text(article_text(title="下書き", body="## 背中\n\n背中が熱い。\n"), "utf-8")
    result = runner.invoke(cli, ["check", str(draft), "--db", str(db_path), "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)[0]["kind"] == "exact"


@pytest.mark.parametrize("case", ["empty file", "no title", "missing draft", "a folder as draft",
                                  "missing index", "a folder as index", "not an index"])
def test_kb_check_exits_2_when_the_draft_or_the_index_cannot_be_read(runner, corpus, tmp_path,
                                                                      case):
    _, db_path, _ = corpus
    draft = tmp_path / "draft.md"
    draft.write_text(article_text(title="下書き", body="背中\n"), "utf-8")
    if case == "empty file":
        draft.write_bytes(b"")
    elif case == "no title":
        draft.write_text("# 見出しだけ\n", "utf-8")
    elif case == "missing draft":
        draft = tmp_path / "nope.md"
    elif case == "a folder as draft":
        draft = tmp_path
    elif case == "missing index":
        db_path = tmp_path / "none.db"
    elif case == "a folder as index":
        db_path = tmp_path
    elif case == "not an index":
        db_path = tmp_path / "other.db"
        db_path.write_text("not sqlite at all\n" * 100, "utf-8")
    result = runner.invoke(cli, ["check", str(draft), "--db", str(db_path)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "Error:" in result.output


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-0.1", "1.5", "abc"])
@pytest.mark.parametrize("command, option", [("duplicates", "--min-similarity"),
                                             ("check", "--threshold")])
def test_a_similarity_that_is_not_a_number_from_0_to_1_is_refused_by_name(
        runner, corpus, tmp_path, command, option, value):
    _, db_path, _ = corpus
    draft = tmp_path / "draft.md"
    draft.write_text(article_text(title="下書き", body="背中\n"), "utf-8")
    args = [command, *([str(draft)] if command == "check" else []), "--db", str(db_path)]
    result = runner.invoke(cli, [*args, option, value])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output and value in result.output
