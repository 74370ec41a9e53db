"""The site's words in Japanese and English, and which of the two a request asks for.

Japanese is the default: the articles and most of their readers are Japanese. English is chosen
by ``?lang=en`` or by a browser whose ``Accept-Language`` prefers English to Japanese.
"""

from __future__ import annotations

from ..model import RELATION_WORDS

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"


def _relation_strings(lang: str) -> dict[str, str]:
    """Each relation's heading (``t[relation]``) and its word (``t["relation_" + relation]``),
    from kb.model's vocabulary."""
    strings = {relation: words.heading[lang] for relation, words in RELATION_WORDS.items()}
    strings.update({f"relation_{relation}": words.label[lang]
                    for relation, words in RELATION_WORDS.items()})
    return strings


STRINGS: dict[str, dict[str, str]] = {
    "ja": {
        "site": "kb 健康記事ナレッジベース",
        "search_title": "症状から探す",
        "search_intro": "気になる症状や質問を、話すように入力してください(例: 背中が熱くて眠れない、しびれ 何科)。",
        "search_label": "症状・質問",
        "search_placeholder": "例: 背中が熱い",
        "search_button": "検索",
        "all_languages": "すべての言語",
        "all_sites": "すべてのサイト",
        "filter_language": "記事の言語",
        "filter_site": "サイト",
        "results": "「{query}」の検索結果 {total} 件",
        "no_results": "「{query}」に一致する記事は見つかりませんでした。言葉を短くするか、別の言い方で試してください。",
        "empty_query": "症状や質問を入力してください。",
        "truncated": "検索語が長すぎるため、最初の {limit} 文字だけで検索しました。",
        "page": "{page} / {pages} ページ",
        "previous": "← 前へ",
        "next": "次へ →",
        "kind_section": "記事",
        "kind_qa": "Q&A",
        "kind_fact": "事実",
        "outline": "この項目の内容",
        "article_in_ja": "日本語の記事",
        "article_in_en": "英語の記事",
        "panel_title": "「{symptom}」について({articles} 件の記事から)",
        "warning_note": "次のような場合は、自己判断せず早めに医療機関を受診してください。",
        "suggested": "可能性",
        "sources": "出典",
        "more": "ほか {count} 件",
        "disclaimer": "このサイトの情報は一般的な健康情報であり、診断に代わるものではありません。症状が強いとき、続くときは医療機関にご相談ください。",
        "switch_language": "English",
        "analyze_title": "テキストの解析",
        "analyze_intro": "テキストが索引と検索でどのように解析されるかを表示します(編集者向け)。",
        "analyze_label": "テキスト",
        "analyze_button": "解析",
        "surface": "表層形",
        "term": "索引語",
        "alts": "他の形",
        "reading": "読み",
        "index_terms": "索引語の並び",
        "no_tokens": "意味のある語が見つかりませんでした。",
        "article_not_found": "記事「{article_id}」は見つかりませんでした。",
        "published": "公開",
        "updated": "更新",
        "author": "著者",
        "category": "カテゴリ",
        "tags": "タグ",
        "original": "元の記事",
        "contents": "目次",
        "facts": "この記事から取り出した事実",
        "duplicates": "重複",
        "duplicates_title": "重複する文章",
        "duplicates_of": "「{title}」と重複する文章",
        "duplicates_intro": "同じ文章(exact)や書き換え(near)を左右に並べて表示します。色のついた部分が両者で異なる文章です。",
        "duplicates_count": "重複 {count} 件",
        "no_duplicates": "重複は見つかりませんでした。",
        "groups_title": "3 か所以上にある文章({count} 件)",
        "boilerplate": "定型文",
        "boilerplate_title": "定型文({n} つ以上の記事にある文章)",
        "boilerplate_intro": "多くの記事に繰り返し現れる文章です。検索では最後に表示されます。",
        "no_boilerplate": "定型文は見つかりませんでした。",
        "places": "{places} か所・{articles} 記事",
        "similarity": "類似度",
        "copied_elsewhere": "他の記事と重複",
        "question": "質問",
        "answer": "回答",
        "no_index": "kb の索引が見つかりません。kb build で作成してください。",
        "all_kinds": "すべての種類",
        "kind_filter": "種類",
        "row": "行",
        "ranked_title": "関連度の高い順(上位 {count} 件)",
        "ranked_note": "下の表は Datasette の並び順です。患者向けの検索ページ:",
        **_relation_strings("ja"),
    },
    "en": {
        "site": "kb health knowledge base",
        "search_title": "Search by symptom",
        "search_intro": "Type a symptom or a question the way you would say it (e.g. upper back feels hot, numbness which doctor).",
        "search_label": "Symptom or question",
        "search_placeholder": "e.g. back feels hot",
        "search_button": "Search",
        "all_languages": "All languages",
        "all_sites": "All sites",
        "filter_language": "Article language",
        "filter_site": "Site",
        "results": "{total} results for “{query}”",
        "no_results": "Nothing matched “{query}”. Try fewer words or other words.",
        "empty_query": "Type a symptom or a question.",
        "truncated": "The query was too long: only its first {limit} characters were searched.",
        "page": "Page {page} of {pages}",
        "previous": "← Previous",
        "next": "Next →",
        "kind_section": "Article",
        "kind_qa": "Q&A",
        "kind_fact": "Fact",
        "outline": "In this section",
        "article_in_ja": "Japanese article",
        "article_in_en": "English article",
        "panel_title": "About “{symptom}” (articles: {articles})",
        "warning_note": "If any of these apply, do not wait: see a doctor or call for help.",
        "suggested": "possible",
        "sources": "Sources",
        "more": "and {count} more",
        "disclaimer": "This site gives general health information, not a diagnosis. If a symptom is strong or does not go away, see a doctor.",
        "switch_language": "日本語",
        "analyze_title": "Text analysis",
        "analyze_intro": "How a text is analyzed for the index and for search (for editors).",
        "analyze_label": "Text",
        "analyze_button": "Analyze",
        "surface": "Surface",
        "term": "Index term",
        "alts": "Other forms",
        "reading": "Reading",
        "index_terms": "Index terms",
        "no_tokens": "No meaningful words found.",
        "article_not_found": "There is no article “{article_id}”.",
        "published": "Published",
        "updated": "Updated",
        "author": "Author",
        "category": "Category",
        "tags": "Tags",
        "original": "Original page",
        "contents": "Contents",
        "facts": "Facts taken from this article",
        "duplicates": "Duplicates",
        "duplicates_title": "Duplicated text",
        "duplicates_of": "Text that “{title}” shares with other articles",
        "duplicates_intro": "Copies (exact) and light rewrites (near), side by side. Highlighted text differs between the two.",
        "duplicates_count": "{count} duplicates",
        "no_duplicates": "No duplicates found.",
        "groups_title": "Text found in 3 places or more ({count})",
        "boilerplate": "Boilerplate",
        "boilerplate_title": "Boilerplate (text found in {n} or more articles)",
        "boilerplate_intro": "Blocks repeated across many articles. Search ranks them last.",
        "no_boilerplate": "No boilerplate found.",
        "places": "{places} places in {articles} articles",
        "similarity": "Similarity",
        "copied_elsewhere": "Shared with another article",
        "question": "Question",
        "answer": "Answer",
        "no_index": "No kb index found. Build one with kb build.",
        "all_kinds": "All kinds",
        "kind_filter": "Kind",
        "row": "row",
        "ranked_title": "Best matches first (top {count})",
        "ranked_note": "The table below is in Datasette's order. The search page for patients:",
        **_relation_strings("en"),
    },
}


def choose_language(requested: str | None, accept_language: str | None) -> str:
    """``requested`` (``?lang=``) when it is ja or en, else the browser's preference between ja
    and en (by q-value, then order), else Japanese."""
    if requested in LANGUAGES:
        return requested  # type: ignore[return-value]
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = _q_value(params)
        # strictly better only: on a tie the earlier one, the browser's own order, wins
        if q > best_q:
            best, best_q = primary, q
    return best


def _q_value(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def strings(lang: str) -> dict[str, str]:
    """The words of the site in a language (Japanese for any other)."""
    return STRINGS.get(lang, STRINGS[DEFAULT_LANGUAGE])
