"""What a line of a scraped page is: running text, chrome, or a line that may be a heading.

Scraped pages have no markup, so the importer reads line shapes: a sentence ends with 。 (or is
a line of several English words ending with a full stop); chrome has phone numbers, postal codes,
opening hours, icon names, links, box labels (関連記事, プロフィール) or buttons (シェア, 予約する);
a heading is short and is no sentence, quote or list item.
"""

from __future__ import annotations

import re

from . import meta as page_meta
from .outline import numbering_style

_SENTENCE_END = re.compile(r"[。．！!]\s*$|[。．]\s*[」』)）]\s*$")
_ICON = re.compile(r"^[a-z]+(?:_[a-z]+)+")  # icon font ligatures left in scraped text
_PHONE = re.compile(r"(?:\d{2,4}-\d{2,4}-\d{3,4}|\(\d{2,4}\)\s*\d{2,4}-\d{4})")
_POSTAL = re.compile(r"〒\s*\d{3}-?\d{4}")
_TIMES = re.compile(r"\d{1,2}[:：]\d{2}\s*[~〜～\-－–]\s*\d{1,2}[:：]\d{2}")
_URL = re.compile(r"https?://|www\.")
_SNS = re.compile(r"(?:youtube|instagram|twitter|facebook|tiktok|line|x)\b.*[,、/|].*\b\w+", re.I)
_BULLET = re.compile(r"^(?:[・•●○◦▪■□◆◇※→⇒✓✔]|[-*+]\s)")
# Buttons and widgets: share buttons, pagination, booking buttons
_UI = re.compile(r"ツイート|シェア(?:する)?|いいね!?|LINEで送る|ブックマーク|はてブ|Pocket|印刷する|"
                 r"前の記事|次の記事|記事一覧|一覧(?:へ|に)戻る|ページ(?:トップ|の先頭)へ?|TOPへ|続きを読む|"
                 r"もっと見る|詳しく見る|(?:LINE|WEB|ネット|電話)?(?:で|から)?予約する|ご予約はこちら|お問い合わせはこちら|"
                 r"(?:メイン)?コンテンツへ(?:移動|スキップ)?|本文へ(?:移動|スキップ)?|スキップして|"
                 r"\b(?:tweet|share|pin it|print|skip to (?:main )?content)\b", re.I)
# Labels of the boxes around an article: tags, related and popular articles, profiles, archives
_BOX_LABEL = re.compile(r"^(?:タグ|tags?\b|関連(?:する)?記事|人気(?:の)?記事|おすすめ(?:の)?記事|新着記事|"
                        r"最新(?:の)?記事|この記事を書いた人|(?:\S{0,6})?プロフィール|著者情報|執筆者情報|"
                        r"アーカイブ|コメント|related (?:posts|articles)|popular posts|recent posts)", re.I)
# the end of a sentence written without its 。 (a caption, a remark), which headings rarely have
POLITE_END = re.compile(r"(?:です|ます|でした|ました|ません|ください|でしょう|ましょう|だ|である)[ 。!！]*$")
MAX_HEADING = 60


def clean_lines(text: str) -> list[str]:
    """The page's lines, with no-break and ideographic spaces as plain spaces, stripped."""
    return [line.replace("\u00a0", " ").replace("\u3000", " ").strip() for line in text.split("\n")]


def is_prose(line: str) -> bool:
    """A line of running text: a sentence (ending with 。, or with ! or a closing quote after one)."""
    if len(line) < 8:
        return False
    if "。" in line or _SENTENCE_END.search(line):
        return True
    # English: a line of several words ending a sentence
    return len(line.split()) >= 6 and bool(re.search(r"[.?!:;]\s*$", line))


def is_label(line: str) -> bool:
    """A line that is only a bracketed label (【資格】, 【よくある質問】): a heading when text
    follows it, a box label in a profile or shop box."""
    return bool(re.fullmatch(r"【[^】]{1,30}】", line))


def chrome_kind(line: str) -> str | None:
    """What kind of page chrome a line is, by its shape alone, or None."""
    if _ICON.match(line):
        return "icons"
    if _PHONE.search(line) or _POSTAL.search(line):
        return "shop information"
    if _TIMES.search(line):
        return "opening hours"
    if _URL.search(line) or (len(line) < 80 and not is_prose(line) and _SNS.search(line)):
        return "links"
    if page_meta.DATE.fullmatch(line.strip()):
        return "dates"
    if _BOX_LABEL.match(line) and len(line) <= 40:
        return "navigation and boxes"
    if len(line) <= 40 and len(re.sub(r"[\W_]", "", _UI.sub("", line))) <= 3 and _UI.search(line):
        return "buttons"
    return None


def heading_shape(line: str) -> bool:
    """A line that may be a heading: short, not a sentence, not a list item or a quote."""
    if not line or len(line) > MAX_HEADING or "。" in line or is_prose(line):
        return False
    if _BULLET.match(line) and not numbering_style(line):
        return False
    if line.startswith(("「", "『", "“", "\"")) and line.endswith(("」", "』", "”", "\"")):
        return False
    if line.endswith(("、", ",", ":", "：", "!", "！", "…", "・")):
        return False
    return bool(re.search(r"[぀-ヿ一-鿿A-Za-z]", line)) and not chrome_kind(line)
