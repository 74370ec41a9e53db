"""kb import on pages written for these tests: heading shapes and levels, Q&A, metadata, chrome,
the command's options (--out, --dry-run, --force) and its summary; then the article is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.index import build_index
from kb.cli import cli
from kb.ingest import read_page
from kb.articles import parse_article
from kb.search import search
from kb.index import open_db

from helpers import SEEDS, front_matter

CHROME_TOP = """ホーム
院の紹介
料金
アクセス
ご予約・お問い合わせ 0120-000-111
受付時間 9:00〜19:00
"""
CHROME_BOTTOM = """

この記事を書いた人
みどり整体院 院長 山田花子
整体師として15年、地域の皆さまの腰痛と向き合ってきました。

関連記事
肩こりの原因と対策
ひざ痛の原因と対策
〒123-4567 東京都どこか区1-2-3
TEL 03-0000-0000
"""


def page(body: str, title: str = "腰痛が治らない原因と対策を解説", header: str = "") -> bytes:
    """A scraped page: navigation, the title, a header, the body, a profile and a footer."""
    return (f"{title} | みどり整体院\n{CHROME_TOP}\n{title}\n{header}\n{body}{CHROME_BOTTOM}").encode()


def article_of(data: bytes, name: str = "page.txt"):
    imported = read_page(data, name)
    return imported, parse_article(imported.markdown.encode(), f"{imported.article_id}.md")


def outline(article) -> list[tuple[int, str]]:
    return [(s.level, s.heading) for s in article.sections if s.level]


_SUBJECTS = ("朝の通勤", "家事の合間", "デスクワーク", "買い物", "子育て", "庭仕事", "階段の上り下り",
             "長時間の運転", "旅行", "趣味のゴルフ", "立ち仕事", "寝返り")
_counter = iter(range(10**6))


class _Paragraph:
    """A different paragraph each time it is used (a page repeats no line of its article)."""

    def __str__(self) -> str:
        n = next(_counter)
        subject = _SUBJECTS[n % len(_SUBJECTS)]
        return (f"腰の痛みが続くと、{subject}などさまざまな場面で不便を感じるようになります({n})。\n"
                f"無理をせず、{subject}のときも体の声に耳を傾けることが大切です。\n")


PARAGRAPH = _Paragraph()


def test_a_flat_article_keeps_its_headings_side_by_side():
    body = "".join(f"\n{h}\n\n{PARAGRAPH}\n{PARAGRAPH}" for h in
                   ("筋肉の疲労がたまっている", "姿勢の悪さが続いている", "冷えで血流が悪くなっている",
                    "睡眠の質が下がっている"))
    _, article = article_of(page("腰痛に悩む方は多くいます。この記事では原因をお伝えします。\n" + body))
    assert outline(article) == [(2, "筋肉の疲労がたまっている"), (2, "姿勢の悪さが続いている"),
                                (2, "冷えで血流が悪くなっている"), (2, "睡眠の質が下がっている")]


def test_numbered_headings_take_their_level_from_their_numbering():
    body = (f"\n1. 腰痛の主な原因\n\n{PARAGRAPH}\n(1) 筋肉の疲労\n\n{PARAGRAPH}\n(2) 姿勢の悪さ\n\n{PARAGRAPH}"
            f"\n2. 自宅でできる対策\n\n{PARAGRAPH}\n(1) ストレッチ\n\n{PARAGRAPH}")
    _, article = article_of(page(body))
    assert outline(article) == [(2, "1. 腰痛の主な原因"), (3, "(1) 筋肉の疲労"), (3, "(2) 姿勢の悪さ"),
                                (2, "2. 自宅でできる対策"), (3, "(1) ストレッチ")]


def test_a_count_in_a_heading_opens_a_group_of_that_many():
    subs = "".join(f"\n{h}\n\n{PARAGRAPH}" for h in ("骨盤のゆがみ", "筋力の低下", "長時間の座り仕事"))
    body = (f"\n腰痛の原因として考えられる3つのこと\n\n腰痛には色々な原因があります。\n{subs}"
            f"\n病院を受診すべき腰痛\n\n{PARAGRAPH}\n{PARAGRAPH}")
    _, article = article_of(page(body))
    assert outline(article) == [(2, "腰痛の原因として考えられる3つのこと"), (3, "骨盤のゆがみ"),
                                (3, "筋力の低下"), (3, "長時間の座り仕事"), (2, "病院を受診すべき腰痛")]


def test_lists_quotes_and_rhetorical_questions_are_text_not_headings():
    body = (f"\n腰痛のよくある症状\n\n次のような症状はありませんか。\n朝起きると腰が重い\n長く座ると痛む\n"
            f"前かがみがつらい\n\n「腰が痛くて眠れない」\n「立ち上がるときに痛む」\nこのような声をよく聞きます。\n"
            f"なぜ腰痛は繰り返すのでしょうか?\nそれは原因が残っているからです。\n\n{PARAGRAPH}")
    _, article = article_of(page(body))
    assert outline(article) == [(2, "腰痛のよくある症状")]
    text = article.sections[-1].text
    assert "朝起きると腰が重い" in text and "「腰が痛くて眠れない」" in text and "なぜ腰痛は" in text
    assert article.qa == []


def test_questions_become_qa_pairs_under_their_faq_heading():
    body = (f"\n腰痛の原因\n\n{PARAGRAPH}\n{PARAGRAPH}\nよくあるご質問\n\n"
            "Q. 腰痛のときは温めたほうがいいですか?\n\nA. 慢性的な腰痛なら温めると楽になることが多いです。\n\n"
            "Q2:湿布は効きますか?\n\nA2:痛みを和らげる助けにはなりますが、原因は治りません。\n\n"
            f"まとめ\n\n{PARAGRAPH}")
    _, article = article_of(page(body))
    assert outline(article)[1:4] == [(2, "よくあるご質問"), (3, "Q. 腰痛のときは温めたほうがいいですか?"),
                                     (3, "Q2:湿布は効きますか?")]
    assert outline(article)[-1] == (2, "まとめ")
    assert [(q.question, q.answer) for q in article.qa] == [
        ("腰痛のときは温めたほうがいいですか?", "慢性的な腰痛なら温めると楽になることが多いです。"),
        ("湿布は効きますか?", "痛みを和らげる助けにはなりますが、原因は治りません。")]


@pytest.mark.parametrize("header, expected", [
    ("投稿日 2024/3/5\n最終更新日：2024.04.01\nカテゴリー：腰痛\n執筆者：山田 花子",
     {"published": "2024-03-05", "updated": "2024-04-01", "category": "腰痛", "author": "山田 花子"}),
    ("2023年12月1日\nカテゴリ\n- 腰・背中のお悩み\n- 全身\n監修：整体師 山田花子",
     {"published": "2023-12-01", "category": "腰・背中のお悩み", "author": "山田花子"}),
    ("公開日:2022-07-09 更新日:2023-01-20",
     {"published": "2022-07-09", "updated": "2023-01-20", "author": "山田花子"}),
])
def test_metadata_from_the_header(header, expected):
    imported, article = article_of(page(f"\n腰痛の原因\n\n{PARAGRAPH}\n{PARAGRAPH}", header=header))
    assert {k: article.meta.get(k) for k in expected} == expected
    assert article.title == "腰痛が治らない原因と対策を解説"
    assert article.meta["site"] == "みどり整体院"
    # the header lines are metadata, not the article's text
    assert not any(word in s.text for s in article.sections for word in ("カテゴリ", "執筆", "監修", "更新日"))


def test_chrome_around_the_article_is_left_out_and_summarized():
    imported, article = article_of(page(f"\n腰痛の原因\n\n{PARAGRAPH}\n{PARAGRAPH}"))
    text = "\n".join(s.text for s in article.sections)
    for chrome in ("ホーム", "0120-000-111", "9:00〜19:00", "関連記事", "肩こりの原因と対策",
                   "整体師として15年", "〒123-4567"):
        assert chrome not in text
    summary = imported.summary()
    assert "title 「腰痛が治らない原因と対策を解説」" in summary and "1 headings" in summary
    assert "dropped as chrome" in summary and "not found: published" in summary


def test_an_english_page():
    body = ("\nWhy your back feels hot\n\nMany people notice heat in the upper back after a stressful day at work.\n"
            "It is usually harmless and goes away with rest.\n\nWhen to see a doctor\n\n"
            "See a doctor when the heat comes with fever, weight loss or severe pain in the chest.\n")
    imported, article = article_of(f"Upper back heat | Example Clinic\nHome\nAbout\n\nUpper back heat\n"
                                   f"Posted on 2024-05-01\n{body}\nRelated posts\nHome\n".encode())
    assert article.lang == "en" and article.meta["published"] == "2024-05-01"
    assert outline(article) == [(2, "Why your back feels hot"), (2, "When to see a doctor")]


# --- the command --------------------------------------------------------------------------------


SEED = SEEDS / "001_7221afbe6145a639.txt"


def test_import_writes_the_article_and_summarizes_on_stderr(runner, tmp_path):
    out = tmp_path / "articles"
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = out / "001_7221afbe6145a639.md"
    assert written.exists() and result.stdout == ""
    assert front_matter(written)["title"] == "首の後ろが熱くなる原因|首の後ろの熱感は自律神経失調症"
    assert "14 headings (5 top-level; levels guessed from the article's structure), 0 Q&A" in result.stderr
    assert "dropped as chrome" in result.stderr and str(written) in result.stderr


def test_dry_run_prints_the_article_and_writes_nothing(runner, tmp_path):
    out = tmp_path / "articles"
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(out), "--dry-run"])
    assert result.exit_code == 0
    assert result.stdout.startswith("---\ntitle: 首の後ろが熱くなる原因")
    assert "## 急に首が熱くなる原因について解説します" in result.stdout
    assert not out.exists()


def test_an_existing_article_is_overwritten_only_with_force(runner, tmp_path):
    out = tmp_path / "articles"
    out.mkdir()
    target = out / "001_7221afbe6145a639.md"
    target.write_text("an editor's work\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(out)])
    assert result.exit_code == 1
    assert "exists already" in result.stderr and "--force" in result.stderr
    assert target.read_text(encoding="utf-8") == "an editor's work\n"
    result = runner.invoke(cli, ["import", str(SEED), "--out", str(out), "--force"])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("---\ntitle:")


def test_import_needs_pages(runner):
    result = runner.invoke(cli, ["import"])
    assert result.exit_code == 2 and "PAGE" in result.output


def test_imported_articles_build_and_their_questions_are_found(runner, tmp_path):
    out = tmp_path / "articles"
    html = Path(__file__).parent / "fixtures" / "html" / "clinic-blog.html"
    result = runner.invoke(cli, ["import", str(SEEDS / "000_2032f91832cff632.txt"), str(html),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    db_path = tmp_path / "kb.db"
    report = build_index(out, db_path, workers=1)
    assert report.articles == 2
    db = open_db(db_path)
    try:
        hits = search(db, "着圧ソックス 毎日", kind="qa").hits
        assert hits and hits[0].heading == "着圧ソックスは毎日はいても大丈夫ですか?"
        assert hits[0].article_id == "leg-swelling"
        hits = search(db, "背中 熱い 何科", kind="qa").hits
        assert hits[0].heading == "背中が熱い場合、何科を受診すればよいですか?"
    finally:
        db.close()


def test_numbering_that_starts_again_sits_under_the_plain_headings():
    body = (f"\n肩こりの原因\n\n{PARAGRAPH}\n1. 長時間のスマホ\n\n{PARAGRAPH}\n2. 冷え\n\n{PARAGRAPH}"
            f"\n肩こりの対策\n\n{PARAGRAPH}\n1. 肩甲骨のストレッチ\n\n{PARAGRAPH}\n2. 入浴\n\n{PARAGRAPH}")
    _, article = article_of(page(body))
    assert outline(article) == [(2, "肩こりの原因"), (3, "1. 長時間のスマホ"), (3, "2. 冷え"),
                                (2, "肩こりの対策"), (3, "1. 肩甲骨のストレッチ"), (3, "2. 入浴")]


def test_marker_styles_are_levels_and_the_markers_go():
    body = (f"\n■頭痛の種類\n\n{PARAGRAPH}\n●緊張型頭痛\n\n{PARAGRAPH}\n●片頭痛\n\n{PARAGRAPH}"
            f"\n■頭痛が起きたときの対処\n\n{PARAGRAPH}\n●首を温める\n\n{PARAGRAPH}")
    _, article = article_of(page(body))
    assert outline(article) == [(2, "頭痛の種類"), (3, "緊張型頭痛"), (3, "片頭痛"),
                                (2, "頭痛が起きたときの対処"), (3, "首を温める")]


def test_a_heading_right_above_its_sub_heading_is_kept_and_a_caption_is_text():
    body = (f"\n腰痛の原因\n\nぎっくり腰\n\n{PARAGRAPH}\n椎間板ヘルニア\n\n{PARAGRAPH}\n"
            f"腰に負担をかけない姿勢を心がけましょう\n\n写真は正しい座り方の例です\n\n"
            f"腰痛の予防\n\n{PARAGRAPH}")
    _, article = article_of(page(body))
    headings = [h for _, h in outline(article)]
    assert headings == ["腰痛の原因", "ぎっくり腰", "椎間板ヘルニア", "腰痛の予防"]
    assert "写真は正しい座り方の例です" in article.sections[2].text


def test_a_section_that_only_points_elsewhere_is_left_out():
    body = (f"\n腰痛の原因\n\n{PARAGRAPH}\n\n当院の施術メニューはこちら\n\n料金と内容を紹介しています。\n\n"
            f"腰痛の予防\n\n{PARAGRAPH}")
    imported, article = article_of(page(body))
    assert [h for _, h in outline(article)] == ["腰痛の原因", "腰痛の予防"]
    assert "call to action" in imported.summary()


def test_without_a_title_line_the_first_heading_is_the_title():
    text = (f"BLOG\nホーム\nアクセス\n\n寝違えの原因と早く治す方法\n\n{PARAGRAPH}\n{PARAGRAPH}"
            f"\n寝違えたときの対処\n\n{PARAGRAPH}\n{PARAGRAPH}")
    imported, article = article_of(text.encode())
    assert article.title == "寝違えの原因と早く治す方法"
    assert outline(article) == [(2, "寝違えたときの対処")]


def test_a_question_heading_in_the_middle_of_an_article_is_not_pushed_under_another():
    sub = "".join(f"\n{h}\n\n{PARAGRAPH}" for h in ("首の筋肉のこり", "自律神経の乱れ"))
    body = (f"\n首が熱くなる原因を3つ紹介します\n\nここでは主な原因を紹介します。\n{sub}\n血行不良\n\n{PARAGRAPH}"
            f"\n首の熱さは病院に行くべき?\n\n{PARAGRAPH}\n{PARAGRAPH}")
    _, article = article_of(page(body, title="首の後ろが熱い原因と対処法"))
    assert outline(article)[-1] == (2, "首の熱さは病院に行くべき?")
    assert [q.question for q in article.qa] == ["首の熱さは病院に行くべき?"]


def test_an_html_page_with_bold_paragraphs_for_headings_and_a_dl_faq():
    html = (Path(__file__).parent / "fixtures" / "html" / "bold-headings.html").read_bytes()
    imported, article = article_of(html, "bold-headings.html")
    assert imported.kind == "html"
    assert outline(article) == [(2, "ぎっくり腰の原因"), (2, "まず安静にする"), (2, "よくある質問"),
                                (3, "Q. 温めたほうがいいですか?"), (3, "Q. 何日くらいで治りますか?")]
    assert [(q.question, q.answer) for q in article.qa] == [
        ("温めたほうがいいですか?", "痛めた直後の2〜3日は冷やし、その後は温めるのが一般的です。"),
        ("何日くらいで治りますか?", "多くの場合、1〜2週間ほどで痛みが落ち着きます。")]
    # the date under the title is the page's own (not a guess), and the clinic is the title's
    assert article.meta["published"] == "2024-03-01" and article.meta["site"] == "ひまわり整骨院"
    text = "\n".join(s.text for s in article.sections)
    assert "2024年3月1日" not in text and "最新記事" not in text and "TEL" not in text


def test_the_conclusion_keeps_its_list_and_the_profile_after_it_goes():
    body = (f"\n腰痛の原因\n\n{PARAGRAPH}\n{PARAGRAPH}\nまとめ\n\n腰痛を防ぐポイントをまとめます。\n"
            "・正しい姿勢を保つ\n・適度に体を動かす\n\n毎日の積み重ねが大切です。\n")
    _, article = article_of(page(body))
    conclusion = article.sections[-1]
    assert conclusion.heading == "まとめ"
    assert "・適度に体を動かす" in conclusion.markdown and "毎日の積み重ねが大切です。" in conclusion.text
    assert "山田花子" not in conclusion.text and "関連記事" not in conclusion.text


def test_star_markers_and_an_article_without_headings():
    body = (f"\n★冷え性の原因\n{PARAGRAPH}\n★改善のコツ\n{PARAGRAPH}\n★おわりに\n冷え性はあきらめず、続けてみてください。\n")
    _, article = article_of(page(body, title="冷え性の原因と改善のコツ"))
    assert outline(article) == [(2, "冷え性の原因"), (2, "改善のコツ"), (2, "おわりに")]
    notice = ("年末年始の休診のお知らせ | みなと鍼灸院\nホーム\nお知らせ\n年末年始の休診のお知らせ\n2024.12.20\n"
              "いつもみなと鍼灸院をご利用いただき、誠にありがとうございます。\n"
              "誠に勝手ながら、12月29日から1月3日まで休診とさせていただきます。\n"
              "1月4日からは通常どおり診療いたします。\nみなと鍼灸院\nTEL 03-1111-2222\n")
    imported, article = article_of(notice.encode())
    assert outline(article) == [] and imported.headings == 0
    assert article.meta["published"] == "2024-12-20" and article.meta["site"] == "みなと鍼灸院"
    assert article.sections[0].text.startswith("いつもみなと鍼灸院をご利用いただき")
    assert "TEL" not in article.sections[0].text


@pytest.mark.parametrize("url, expected", [
    ("https://example.jp/blog/leg-swelling/", "leg-swelling"),
    ("https://example.jp/blog/back-heat/index.html", "back-heat"),
    ("https://example.jp/column/123.html", "column-123"),
    ("https://example.jp/?p=123", "my-page"),
    ("https://example.jp/blog/%E8%83%8C%E4%B8%AD/", "my-page"),
])
def test_the_article_id_comes_from_the_url_or_the_file_name(url, expected):
    from kb.ingest.importer import page_article_id

    assert page_article_id("pages/my page.html", {"url": url}) == expected


def test_headings_that_echo_the_title_are_the_top_level_ones():
    # no lead-ins, no counts, intros as long as the rest: only the title echo tells the levels
    sections = [("肩こりの主な原因", 2), ("長時間のデスクワーク", 3), ("運動不足", 3), ("目の疲れ", 3),
                ("肩こりを和らげる対処法", 2), ("肩を温める", 3), ("首と肩のストレッチ", 3)]
    body = "".join(f"\n{h}\n\n{PARAGRAPH}\n{PARAGRAPH}" for h, _ in sections)
    _, article = article_of(page(body, title="肩こりの原因と自分でできる対処法"))
    assert outline(article) == [(level, h) for h, level in sections]
