"""A scraped page (plain text, no markup): the article's body found amid the page chrome.

A page holds the article and its chrome: announcements, booking times, shop information,
navigation, related links, profile boxes. Chrome is made of short lines, lines with phone
numbers, postal codes, times or icon names, and blocks the page repeats; an article is prose
(sentences) with short heading lines between its paragraphs. The body is the stretch of lines
where prose outweighs chrome the most (the idea of body text extraction: maximize text inside,
markup outside), starting after the article's title and its header (dates, category, byline,
table of contents), and without a closing call to action (こちらから / リンクからご覧ください).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from . import meta as page_meta
from .header import find_title, header_end, header_meta, table_of_contents
from .lines import (
    MAX_HEADING, POLITE_END, chrome_kind, clean_lines, heading_shape, is_label, is_prose,
)
from .outline import (
    ANSWER_LABEL, QUESTION_LABEL, Block, Heading, Paragraph, is_conclusion, is_question,
    numbering_style,
)

_CTA_HEADING = re.compile(r"(?:こちら(?:から|より|へ|を)?|はこちら)\s*[!！>＞»]?$")
_CALL_TO_ACTION = re.compile(r"(?:こちら(?:から|より|へ|を)?|一覧|はこちら)\s*[!！>＞»]?$|リンク|クリック|タップ|ご覧ください")
_BULLET_ITEM = re.compile(r"^(?:[・•◦▪※✓✔]|[-*+]\s|[0-9０-９]+[.．)）]\s*\S)")
# the end of a sentence in casual writing: a polite form or a sentence-final particle, then
# perhaps an exclamation, a wave dash or an emoji
_CASUAL_END = re.compile(r"(?:です|ます|でした|ました|ません|ください|でしょう|ましょう|ですね|ますね|ですよ|ますよ|"
                         r"ね|よ|な|わ)[!！?？～〜…♪\U0001F300-\U0001FAFF\u2600-\u27BF]*$")
_FAQ_HEADING = re.compile(r"質問|Q\s*[&＆]\s*A|FAQ|疑問", re.I)
_LIST_LEAD_IN = re.compile(r"次の|以下|下記|例えば|たとえば|など[がは]|[:：]$")
_REFERENCES = re.compile(r"^(?:参考|出典|引用|参照)(?:文献|資料|サイト)?")


@dataclass
class ScrapedPage:
    """What the importer found in a scraped page."""

    meta: dict[str, object]
    blocks: list[Block]
    dropped: list[str] = field(default_factory=list)  # kinds of chrome left out, for the summary
    dropped_lines: int = 0
    notes: list[str] = field(default_factory=list)  # guesses the editor should check


def read_scraped(text: str) -> ScrapedPage:
    """Find the article in a scraped page's text: metadata, headings and paragraphs."""
    lines = clean_lines(text)
    written = _mark_casual_sentences(lines)
    dropped: Counter[str] = Counter()
    toc = table_of_contents(lines)
    repeated = _repeated_lines(lines, toc)
    title, title_at, first_line = find_title(lines, toc, repeated)
    end_of_header = header_end(lines, title_at)
    meta, used = header_meta(lines, title_at, end_of_header, first_line)
    meta["title"] = title
    skip = toc | used | ({title_at} if title_at is not None else set())
    repeated |= _profile_lines(lines, meta.get("author"))
    start, end = _body_range(lines, repeated, skip, title_at)
    end = _end_after_conclusion(lines, start, end, skip)
    body = [i for i in range(start, end + 1) if i not in skip]
    for i in range(len(lines)):
        if lines[i] and (i < start or i > end or i in skip):
            dropped[_why_dropped(lines[i], i, repeated, toc, used)] += 1
    blocks, inner = _blocks(lines, body, written)
    if inner:
        dropped["chrome inside the article (boxes, buttons)"] += inner
    blocks, cta = _without_call_to_action(blocks)
    if cta:
        dropped["call to action"] += cta
    title_note = ""
    if title_at is None and blocks and isinstance(blocks[0], Heading):
        # no title above the article: its first heading is the title when the page's first line
        # says little (BLOG, お知らせ) or the same
        first_heading = blocks[0].text
        if len(title) <= 6 or _overlap(first_heading, title) >= 0.5:
            meta["title"] = first_heading
            blocks = blocks[1:]
            title_note = "the title is the article's first heading (no title line was found)"
    notes = [title_note] if title_note else []
    if "published" not in meta:
        # no date labelled as the article's: the newest date on the page (the day it was saved,
        # when its announcements are dated) is a bound an editor may keep or correct
        dates = [d for line in lines if (d := page_meta.iso_date(line))]
        if dates:
            meta["published"] = max(dates)
            notes.append(f"published {meta['published']} is a guess: no date on the page is "
                         "labelled as the article's; it is the newest date the page shows")
    return ScrapedPage(meta=meta, blocks=blocks,
                       dropped=[f"{kind} ({n} lines)" for kind, n in dropped.most_common()],
                       dropped_lines=sum(dropped.values()), notes=notes)


def _mark_casual_sentences(lines: list[str]) -> dict[int, str]:
    """A casual blog may end its sentences without 。 (…増えています / …してください😊). When few of
    a page's long lines have one, lines ending like a sentence are read as if they did (a 。 is
    added in ``lines``); returns the page's own text of the lines changed."""
    long_lines = [line for line in lines if len(line) >= 15 and not chrome_kind(line)]
    with_mark = sum(1 for line in long_lines if is_prose(line))
    if len(long_lines) < 5 or with_mark >= 0.3 * len(long_lines):
        return {}
    changed = {}
    for i, line in enumerate(lines):
        if len(line) >= 8 and not is_prose(line) and _CASUAL_END.search(line):
            changed[i] = line
            lines[i] = line + "。"
    return changed


def _profile_lines(lines: list[str], author: object) -> set[int]:
    """Short lines that name the author (a profile box: 院長 名前, 名前 プロフィール)."""
    if not author:
        return set()
    name = str(author).replace(" ", "")
    return {i for i, line in enumerate(lines)
            if line and len(line) <= 40 and "。" not in line and name in line.replace(" ", "")}


def _end_after_conclusion(lines: list[str], start: int, end: int, skip: set[int]) -> int:
    """An article ends with its conclusion (まとめ): after that section's text, the first line
    that is not running text (a tag line, a profile, related articles) ends the body, unless it
    is a question, an FAQ or a list of references."""
    conclusion = next((i for i in range(start, end + 1) if i not in skip and lines[i]
                       and heading_shape(lines[i]) and is_conclusion(lines[i])), None)
    if conclusion is None:
        return end
    seen_text = False
    for i in range(conclusion + 1, end + 1):
        line = lines[i]
        if not line:
            continue
        if is_prose(line) or (seen_text and (lines[i - 1] or _BULLET_ITEM.match(line))):
            seen_text = True  # running text, or a list or line within its paragraph
            continue
        if seen_text:
            if is_question(line) or _REFERENCES.match(line) or re.search(r"質問|Q\s*[&＆]\s*A|FAQ", line, re.I):
                return end
            last = i - 1
            while last > conclusion and not lines[last]:
                last -= 1
            return last
    return end


def _why_dropped(line: str, i: int, repeated: set[int], toc: set[int], used: set[int]) -> str:
    if i in used:
        return "header (title, dates, category, byline)"
    if i in toc:
        return "table of contents"
    if i in repeated:
        return "repeated blocks (announcements, navigation)"
    kind = chrome_kind(line) or ("labels" if is_label(line) else None)
    if kind:
        return kind
    return "other text outside the article (navigation, profile, related links)"


def _repeated_lines(lines: list[str], toc: set[int]) -> set[int]:
    """Lines the page shows more than once (announcements, shop boxes, menus): chrome."""
    counts = Counter(line for i, line in enumerate(lines) if line and i not in toc)
    return {i for i, line in enumerate(lines)
            if line and i not in toc and counts[line] > 1 and len(line) > 1}


def _introduces(lines: list[str], i: int) -> bool:
    """Whether a line is followed by running text or a heading (so it may head something)."""
    nxt = next((line for line in lines[i + 1 : i + 4] if line), "")
    return bool(nxt) and (is_prose(nxt) or heading_shape(nxt))


def _gap_penalty(lines: list[str]) -> int:
    """What a gap of two or more blank lines costs: a block boundary, unless the page puts such
    gaps between its paragraphs anyway."""
    lengths = _blank_runs(lines)
    if not lengths:
        return 0
    return -10 if sum(1 for n in lengths if n >= 2) > 0.3 * len(lengths) else -60


def _blank_runs(lines: list[str]) -> list[int]:
    """The lengths of the runs of blank lines."""
    lengths: list[int] = []
    current = 0
    for line in lines:
        if not line:
            current += 1
        elif current:
            lengths.append(current)
            current = 0
    if current:
        lengths.append(current)
    return lengths


def _line_score(lines: list[str], i: int, repeated: set[int], skip: set[int], gap: int) -> int:
    """How much a line counts for the body: running text by its length, chrome against it."""
    line = lines[i]
    if i in skip:
        return 0
    if not line:
        return gap if i > 0 and not lines[i - 1] else 0  # a gap of blank lines ends a block
    if i in repeated or chrome_kind(line) or (is_label(line) and not _introduces(lines, i)):
        return -30
    if is_prose(line):
        return min(len(line), 200)
    return -6 if len(line) <= MAX_HEADING else -20


def _body_range(lines: list[str], repeated: set[int], skip: set[int],
                title_at: int | None) -> tuple[int, int]:
    """The stretch of lines where prose outweighs chrome the most (maximum-sum subarray)."""
    best, best_range = 0, (0, -1)
    total, start = 0, 0
    first = title_at + 1 if title_at is not None else 0
    gap = _gap_penalty(lines)
    for i in range(first, len(lines)):
        score = _line_score(lines, i, repeated, skip, gap)
        if total <= 0:
            total, start = score, i
        else:
            total += score
        if total > best:
            best, best_range = total, (start, i)
    start, end = best_range
    # headings, quotes and short lines just above the first paragraph belong to the body, up to
    # the title, chrome or a gap of blank lines
    extended = 0
    while start - 1 >= first and extended < 12:
        i = start - 1
        line = lines[i]
        if i in skip or (not line and not lines[i - 1] and i - 1 >= first):
            break
        if line and (i in repeated or chrome_kind(line) or len(line) > MAX_HEADING):
            break
        start, extended = i, extended + 1
    while start <= end and (start in skip or not lines[start]):
        start += 1
    # a run of three or more short lines at the very start is a menu, not the article
    run = start
    while run <= end and lines[run] and heading_shape(lines[run]) and run not in skip:
        run += 1
    if run - start >= 3 and run <= end:
        start = run
        while start <= end and (start in skip or not lines[start]):
            start += 1
    return start, end


def _blocks(lines: list[str], body: list[int],
            written: dict[int, str] | None = None) -> tuple[list[Block], int]:
    """Headings and paragraphs of the body lines (indices into ``lines``, in order), and how
    many lines were left out as chrome inside the article (a booking box, buttons, captions).
    ``written`` holds the page's own text of lines that were read with a 。 added."""
    written = written or {}
    blocks: list[Block] = []
    paragraph: list[str] = []
    dropped = 0

    def flush() -> None:
        if paragraph:
            blocks.append(Paragraph(list(paragraph)))
            paragraph.clear()

    texts = [lines[i] for i in body]
    runs = _short_runs(texts)
    in_faq = False  # under an FAQ heading, a line that asks is a question, not a rhetorical one
    for k, line in enumerate(texts):
        if not line:
            flush()
            continue
        nxt = _next_line(texts, k)
        if _CTA_HEADING.search(line) and len(line) <= 30 and nxt:
            flush()  # a button or line that sends the reader elsewhere heads a call to action
            blocks.append(Heading(line))
            continue
        if chrome_kind(line) or (heading_shape(line) and nxt and chrome_kind(nxt)) or (
                is_label(line) and not (is_prose(nxt) or heading_shape(nxt))):
            dropped += 1  # chrome inside the article, or the title of a box of chrome
            continue
        if _is_heading(texts, k, runs, in_faq):
            flush()
            blocks.append(Heading(_strip_marker(line), style=numbering_style(line)))
            if not is_question(line):
                in_faq = bool(_FAQ_HEADING.search(line))
            continue
        line = written.get(body[k], line)  # the page's own text (not its marked-up reading)
        if paragraph == [] and blocks and isinstance(blocks[-1], Heading) and is_question(blocks[-1].text):
            line = ANSWER_LABEL.sub("", line) or line
        paragraph.append(line)
    flush()
    while blocks and isinstance(blocks[-1], Heading):  # a heading with nothing under it
        blocks.pop()
    return blocks, dropped


def _next_line(texts: list[str], k: int) -> str:
    return next((t for t in texts[k + 1 :] if t), "")


def _short_runs(texts: list[str]) -> list[int]:
    """For each line, the length of the run of heading-shaped lines (no blank between) it is in."""
    runs = [0] * len(texts)
    k = 0
    while k < len(texts):
        if not heading_shape(texts[k]):
            k += 1
            continue
        j = k
        while j < len(texts) and heading_shape(texts[j]):
            j += 1
        for m in range(k, j):
            runs[m] = j - k
        k = j
    return runs


def _is_heading(texts: list[str], k: int, runs: list[int], in_faq: bool = False) -> bool:
    line = texts[k]
    if not heading_shape(line):
        return False
    if not any(texts[k + 1 :]):
        return False  # nothing follows
    if _has_question_label(line) or (in_faq and is_question(line)):
        return True
    previous = texts[k - 1] if k > 0 else ""
    nxt_line = texts[k + 1] if k + 1 < len(texts) else ""
    if len(line) <= 8 and previous and is_prose(previous) and _BULLET_ITEM.match(nxt_line):
        return False  # a label within a paragraph above its list (ポイント, 注意点)
    if runs[k] >= 3:
        return False  # a list of short lines, or lines of a quote
    if runs[k] == 2 and previous and heading_shape(previous):
        # the second of two short lines: a sub-heading right under a marked heading (【…】, ■,
        # 1.), else the second item of a short list
        return bool(numbering_style(line) or is_question(line) or numbering_style(previous))
    if runs[k] == 2 and previous and _LIST_LEAD_IN.search(previous):
        return False  # 次のような症状があります。 then two short items
    if previous and not (is_prose(previous) or heading_shape(previous) or _BULLET_ITEM.match(previous)):
        return False  # right after a quote or a long line that is not a sentence
    # a short line right before another heading is a caption or a label (写真の説明です), unless
    # it opens a group: an FAQ or a numbered list follows, or it reads as a heading, not a remark
    nxt = _next_line(texts, k)
    if nxt and heading_shape(nxt) and not is_prose(nxt) and _next_line(texts, texts.index(nxt, k + 1)):
        opens = (is_question(nxt) or numbering_style(nxt) or is_question(line)
                 or is_conclusion(line) or numbering_style(line))
        if not opens and POLITE_END.search(line):
            return False
    # a question inside a paragraph is a rhetorical one
    if is_question(line) and previous and is_prose(previous):
        nxt = texts[k + 1] if k + 1 < len(texts) else ""
        return not nxt
    return True


def _has_question_label(line: str) -> bool:
    return bool(QUESTION_LABEL.match(line))


def _strip_marker(line: str) -> str:
    """Decorative markers (■, ●, 【...】) go; numbering (1., (1), Q1.) stays, as editors write it."""
    stripped = re.sub(r"^[■□◆◇●○◎▼▽▶▷►▲△★☆✦✧♦]\s*", "", line)
    if re.fullmatch(r"【[^】]+】", stripped):
        stripped = stripped[1:-1]
    return stripped.strip() or line


def _without_call_to_action(blocks: list[Block]) -> tuple[list[Block], int]:
    """Drop sections that only send the reader elsewhere (実績はこちらから; a last section ending
    with 下記のリンクからご覧ください): they are the site's, not the article's."""
    headings = [n for n, b in enumerate(blocks) if isinstance(b, Heading)]
    if len(headings) < 2:
        return blocks, 0
    kept: list[Block] = []
    dropped = 0
    for n, start in enumerate(headings):
        end = headings[n + 1] if n + 1 < len(headings) else len(blocks)
        heading = blocks[start]
        assert isinstance(heading, Heading)
        text = [line for b in blocks[start + 1 : end] if isinstance(b, Paragraph) for line in b.lines]
        last = n == len(headings) - 1
        if not is_conclusion(heading.text) and (
                _CTA_HEADING.search(heading.text)
                or (last and text and _CALL_TO_ACTION.search(text[-1]) and len(text) <= 6)):
            dropped += 1 + len(text)
            continue
        kept.extend(blocks[start:end])
    return blocks[: headings[0]] + kept, dropped


def _overlap(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    return len(grams_a & grams_b) / len(grams_a) if grams_a else 0.0
