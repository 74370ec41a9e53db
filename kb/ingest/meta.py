"""Metadata of a scraped page: title, dates, category, author (or supervisor) and site.

Pages put these in a header around the title (公開日/更新日 lines, a category list, a byline) and
in chrome (a profile box, shop information). Each finder reads lines and says which it used, so
the importer can leave them out of the article's body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

# 2025年4月16日, 2025/04/16, 2025.04.16, 2025-04-16
DATE = re.compile(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?")
_PUBLISHED = re.compile(r"公開日?|投稿日?|作成日|掲載日|初回公開|published|posted", re.I)
_UPDATED = re.compile(r"(?:最終)?更新日?|改訂日|updated|modified|last update", re.I)
CATEGORY_LABEL = re.compile(r"^[-・*•\s]*(?:カテゴリー?|category|categories|分類|ジャンル|テーマ)\s*[:：]?\s*(.*)$", re.I)
_TAGS = re.compile(r"^[-・*•\s]*(?:タグ|tags?)\s*[:：]\s*(.+)$", re.I)
_BYLINE = re.compile(r"監修|執筆|著者|筆者|文責|投稿者|記事を書いた|written by|reviewed by|author|\bby\s+[A-Z]", re.I)
_ROLE_WORDS = re.compile(
    r"^(?:(?:当院|当クリニック)?(?:副?院長|理事長|代表(?:取締役)?|医師|歯科医師|鍼灸師|柔道整復師|薬剤師|"
    r"看護師|管理栄養士|整体師|施術者|ドクター|Dr\.?|総院長|所長|監修者?|執筆者?|著者|筆者|文責)[\s　:：・]*)+"
)
_TRAILING_ROLE = re.compile(r"[\s　]*(?:副?院長|先生|医師|代表|理事長|鍼灸師|氏)$")
_NAME = re.compile(r"[一-龥々ヶ]{1,4}[\s　]?[一-龥々ぁ-んァ-ヶー]{1,5}")
_NAME_END = re.compile(r"[はがのにをと、。,（(【\[「『|｜/]|\s{2,}")
# A clinic or shop name: kanji/katakana/Latin words ending in a facility word, or the facility
# word followed by a katakana name (鍼灸院コモラボ).
# hiragana in a clinic's name (さくら通り整骨院), but not the particles that join words
_KANA_IN_NAMES = "".join(chr(c) for c in range(ord("ぁ"), ord("ん") + 1) if chr(c) not in "のはがをにでともへやか")
_NAME_CHARS = f"一-龥ァ-ヶーA-Za-z0-9・{_KANA_IN_NAMES}"
_FACILITY = r"(?:鍼灸整骨院|鍼灸院|整骨院|接骨院|治療院|整体院|クリニック|医院|病院|歯科医院|歯科|薬局|サロン|はり灸院|鍼灸治療院)"
_SITE_NAME = re.compile(
    rf"(?<![{_NAME_CHARS}])((?:[{_NAME_CHARS}]{{1,12}}?{_FACILITY})|{_FACILITY}[ァ-ヶーA-Za-z]{{2,12}})"
)
_SITE_WORD = re.compile(rf"(?:^|(?<=[\s|｜:：】©、。,「」()（）]))([^\s|｜:：【】©、。,「」『』()（）!！?？]{{1,10}}?{_FACILITY})(?=$|[\s|｜【（(、。,])")
_SITE_LABEL = re.compile(r"^(?:店舗名|院名|医院名|クリニック名|施設名|会社名|サイト名|運営(?:者|会社)?|屋号)\s*[:：]?\s*(.*)$")
_COPYRIGHT = re.compile(r"(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(.+?)(?:\.?\s*all rights reserved.*)?$", re.I)
TITLE_SEPARATORS = re.compile(r"\s+[|｜\-–—]\s+|[|｜]")


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# May 10, 2024 / 10 May 2024
ENGLISH_DATE = re.compile(
    r"\b(?:(?P<m1>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<d1>\d{1,2}),?\s+(?P<y1>\d{4})"
    r"|(?P<d2>\d{1,2})\s+(?P<m2>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+(?P<y2>\d{4}))\b",
    re.I)


_TIME = re.compile(r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?")


def iso_date(text: str) -> str | None:
    """The first date in a text (2025年4月16日, 2025/04/16, May 10, 2024...) as YYYY-MM-DD."""
    m = DATE.search(text)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        e = ENGLISH_DATE.search(text)
        if e:
            month = _MONTHS.index((e.group("m1") or e.group("m2")).lower()[:3]) + 1
            return dt.date(int(e.group("y1") or e.group("y2")), month,
                           int(e.group("d1") or e.group("d2"))).isoformat()
    except ValueError:
        return None
    return None


def _date_match(text: str) -> re.Match | None:
    return DATE.search(text) or ENGLISH_DATE.search(text)


def find_dates(lines: list[str], start: int, end: int) -> tuple[dict[str, str], set[int]]:
    """Labelled dates (公開日, 更新日, 投稿日...) in ``lines[start:end]``; an unlabelled date
    line there counts as the publication date."""
    found: dict[str, str] = {}
    used: set[int] = set()
    for i in range(max(start, 0), min(end, len(lines))):
        line = lines[i]
        date = iso_date(line)
        if not date:
            continue
        label = line[: _date_match(line).start()]
        rest = _TIME.sub("", ENGLISH_DATE.sub("", DATE.sub("", line)))
        if _UPDATED.search(label) and "updated" not in found:
            found["updated"] = date
        elif _PUBLISHED.search(label) and "published" not in found:
            found["published"] = date
        elif len(rest.strip(" :：・|　")) <= 2 and "published" not in found:
            found["published"] = date  # a bare date under a title is its publication date
        else:
            continue
        used.add(i)
        # a second date on the same line: 公開日 2025/1/1 更新日 2025/2/1
        first = _date_match(line)
        for m in [*DATE.finditer(line), *ENGLISH_DATE.finditer(line)]:
            if m.start() > first.start() and _UPDATED.search(line[first.end() : m.start()]) \
                    and "updated" not in found:
                found["updated"] = iso_date(m.group(0)) or ""
    return found, used


def find_category(lines: list[str], start: int, end: int) -> tuple[str | None, set[int]]:
    """A category label (カテゴリ: X, or X on the lines below it) in ``lines[start:end]``."""
    for i in range(max(start, 0), min(end, len(lines))):
        m = CATEGORY_LABEL.match(lines[i])
        if not m:
            continue
        used = {i}
        value = m.group(1).strip(" -・*•:：")
        j = i + 1
        while not value and j < min(len(lines), i + 4):
            candidate = lines[j].strip().lstrip("-・*• ").strip()
            used.add(j)
            if candidate:
                value = candidate
            j += 1
        if value:
            # the rest of a list of categories under the label
            while j < len(lines) and lines[j].lstrip().startswith(("- ", "・", "* ")):
                used.add(j)
                j += 1
            values = re.split(r"\s*[,、/|｜]\s*", value)
            named = [v for v in values if v and not _GENERIC_CRUMBS.match(v)]
            return (named or values)[0], used
    return None, set()


def find_tags(lines: list[str], start: int, end: int) -> tuple[list[str], set[int]]:
    """A tag line (タグ: a, b) in ``lines[start:end]``."""
    for i in range(max(start, 0), min(end, len(lines))):
        m = _TAGS.match(lines[i])
        if m:
            tags = [t.strip("#＃ ") for t in re.split(r"[,、/|｜\s]+", m.group(1)) if t.strip("#＃ ")]
            return tags, {i}
    return [], set()


def is_byline(line: str) -> bool:
    """A line that names an author or supervisor (監修, 執筆, 著者, written by...)."""
    return bool(_BYLINE.search(line))


def find_author(lines: list[str], order: list[int]) -> tuple[str | None, int | None]:
    """The author or supervising practitioner named in a byline (監修, 執筆, 著者...), looking at
    the lines in ``order``; returns the name and the line it came from."""
    for i in order:
        line = lines[i]
        if not _BYLINE.search(line) or len(line) > 160:
            continue
        name = _name_in_byline(line)
        if name:
            return name, i
        if len(line) <= 15 and i + 1 < len(lines):
            # a label on its own line (この記事を書いた人, 監修者): the name is on the next one
            name = _name_on_line(lines[i + 1])
            if name:
                return name, i
    return None, None


def _name_on_line(line: str) -> str | None:
    words = line.split()
    for option in (line, " ".join(words[-2:]), *(words[::-1])):
        name = _clean_name(option)
        if name:
            return name
    return None


_LATIN_NAME = re.compile(r"(?:\b[Bb]y|[Aa]uthor|[Ww]ritten by|[Rr]eviewed by)\s*:?\s+((?:Dr\.?\s+)?[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3})")


def _name_in_byline(line: str) -> str | None:
    latin = _LATIN_NAME.search(line)
    if latin:
        return latin.group(1).strip()
    # 監修: 名前 / 監修している名前は...
    for m in re.finditer(r"(?:監修|執筆|著者|筆者|文責|投稿者)者?(?:している|した|[\s　:：])*", line):
        rest = _ROLE_WORDS.sub("", line[m.end():].strip(" 　:："))
        head = _NAME_END.split(rest, maxsplit=1)[0].strip()
        words = head.split()
        options = (head, " ".join(words[:2]), " ".join(words[-2:]), *(words[::-1]))
        for option in options:
            name = _clean_name(option)
            if name:
                return name
    # 院長 名前【監修】: the name stands right before the label
    for m in re.finditer(r"[【\[(（](?:監修|執筆|著者)者?[】\])）]", line):
        before = line[: m.start()].strip()
        name = _clean_name(before) or _clean_name(re.split(r"[\s　]", before)[-1])
        if name:
            return name
    return None


def _clean_name(text: str) -> str | None:
    text = text.strip(" 　:：・")
    for _ in range(3):  # 平井鍼灸院 院長 梅田俊: drop the clinic and role words in front
        text = _SITE_NAME.sub("", text, count=1) if _SITE_NAME.match(text) else text
        text = _ROLE_WORDS.sub("", text).strip(" 　:：・")
        text = _TRAILING_ROLE.sub("", text)
    m = _NAME.fullmatch(text) or _NAME.fullmatch(text.replace("　", " "))
    if not m or len(text.replace(" ", "")) < 2:
        return None
    return text


def find_site(lines: list[str], first_line: str | None) -> str | None:
    """The clinic or site: a labelled name (店舗名, 院名...), else the clinic name the page
    repeats most, else a copyright holder, else the short part of the page title after its
    separator."""
    for i, line in enumerate(lines):
        m = _SITE_LABEL.match(line)
        if m:
            value = m.group(1).strip() or (lines[i + 1].strip() if i + 1 < len(lines) else "")
            if 1 < len(value) <= 40:
                return value
    names = Counter(m.group(1) for line in lines for m in _SITE_NAME.finditer(line))
    # a whole word ending in a facility word may hold particles (たけのこ整体院, 森の鍼灸院)
    names.update(m.group(1) for line in lines for m in _SITE_WORD.finditer(line))
    names = Counter({n: c for n, c in names.items() if len(n) > 3})
    for name in list(names):  # こ整体院 is part of たけのこ整体院: count it for the whole name
        longer = [other for other in names if other != name and other.endswith(name)]
        if longer:
            names[max(longer, key=lambda o: names[o])] += names.pop(name)
    if names:
        return names.most_common(1)[0][0]
    for line in reversed(lines):
        m = _COPYRIGHT.search(line)
        if m and 1 < len(m.group(1).strip()) <= 40:
            return m.group(1).strip(" .")
    if first_line:
        parts = TITLE_SEPARATORS.split(first_line)
        if len(parts) > 1 and len(parts[-1].strip()) <= 30:
            return parts[-1].strip()
    return None


_CRUMB_SEPARATOR = re.compile(r"\s*(?:>|＞|›|»|≫|/)\s*")
_GENERIC_CRUMBS = re.compile(r"^(?:ホーム|home|top|トップ(?:ページ)?|ブログ|blog|コラム|column|記事一覧|"
                             r"お知らせ|news|院長ブログ|スタッフブログ)$", re.I)


def find_breadcrumb_category(lines: list[str], title: str, end: int) -> tuple[str | None, int | None]:
    """The category in a breadcrumb trail above the article (ホーム > ブログ > 肩こり > title):
    the last crumb before the article's own that is not a generic one."""
    for i in range(min(end, len(lines))):
        parts = [p for p in _CRUMB_SEPARATOR.split(lines[i]) if p]
        if len(parts) < 3 or len(lines[i]) > 200 or not _GENERIC_CRUMBS.match(parts[0]):
            continue
        if title and (title.startswith(parts[-1].rstrip("…. ")) or parts[-1] in title):
            parts = parts[:-1]
        named = [p for p in parts if not _GENERIC_CRUMBS.match(p)]
        if named and len(named[-1]) <= 40:
            return named[-1], i
    return None, None
