"""An imported page's body as headings and paragraphs, and the levels of its headings.

Scraped text has no markup, so heading levels are inferred from what articles of this kind do:
a numbered heading's style (1. / (1) / ①) is its level; a heading that announces a count
(3つの病気), an intro that leads into a list (以下, ここでは...紹介します) or a short intro opens a
group of sub-headings; questions sit under the heading that asks for them (よくある質問); a
conclusion (まとめ) closes every group; and a heading that echoes the article's title more than its
siblings do is a top-level one. HTML pages give their levels (h2-h6), which are kept.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

TOP = 2  # the title is the front matter's; the body's top headings are ##


@dataclass
class Heading:
    """A heading of the body; ``level`` 0 means not known yet."""

    text: str
    level: int = 0
    style: str | None = None  # numbering or marker style of the line it came from (1. / ■ ...)
    text_after: list[str] = field(default_factory=list)  # the paragraphs of its own section


@dataclass
class Paragraph:
    """Lines of text that belong together."""

    lines: list[str]


Block = Heading | Paragraph

QUESTION_LABEL = re.compile(
    r"^\s*(?:(?:Q|Ｑ|問)\s*[0-9０-９]*\s*[.．:：、)）]|(?:Q|Ｑ|問)\s*[0-9０-９]+|質問\s*[0-9０-９]*\s*[.．:：、)）]?)"
    r"\s*(?=\S)", re.I)
QUESTION_END = re.compile(r"[?？]\s*$")
ANSWER_LABEL = re.compile(r"^\s*(?:A|Ａ|答え?|回答)\s*[0-9０-９]*\s*[.．:：、)）]\s*", re.I)
_FAQ = re.compile(r"よくある(?:ご)?質問|よくいただく(?:ご)?質問|Q\s*[&＆]\s*A|FAQ|質問と回答|疑問", re.I)
_CONCLUSION = re.compile(r"^(?:[0-9０-９]+[.．、]?\s*)?(?:まとめ|最後に|さいごに|おわりに|終わりに|結論|総括)|まとめ$|^(?:summary|conclusion)\b", re.I)
_COUNT = re.compile(r"(?<![0-9０-９])[0-9０-９一二三四五六七八九十]+\s*(?:つ|選|個|種類?|点|項目|大|ステップ|段階|パターン|タイプ|カ条|ヶ条|箇条)(?!目)")
_LEAD_IN = re.compile(
    r"以下|下記|次の|次に挙げ|ここでは|紹介します|ご紹介|解説します|ご説明|説明します|見ていきましょう|"
    r"まとめました|挙げられ|お伝えします|みていきます|見ていきます|following|below|here are", re.I)
# Numbering styles: each is a level, the first seen is the higher one.
_NUMBERING = (
    ("chapter", re.compile(r"^第\s*[0-9０-９一二三四五六七八九十]+\s*[章節部]")),
    ("step", re.compile(r"^(?:STEP|ステップ|Step|POINT|ポイント)\s*[0-9０-９]+", re.I)),
    ("paren", re.compile(r"^[(（]\s*[0-9０-９]+\s*[)）]")),
    ("circled", re.compile(r"^[①-⑳]")),
    ("dotted", re.compile(r"^[0-9０-９]+\s*[-.－][0-9０-９]+")),
    ("number", re.compile(r"^[0-9０-９]+\s*[.．、)）:]\s*(?=\D)")),
    ("square", re.compile(r"^[■□]")),
    ("diamond", re.compile(r"^[◆◇]")),
    ("circle", re.compile(r"^[●○◎]")),
    ("triangle", re.compile(r"^[▼▽▶▷►▲△]")),
    ("star", re.compile(r"^[★☆✦✧♦]")),
    ("bracket", re.compile(r"^【[^】]+】$")),
)


def is_question(text: str) -> bool:
    """A heading that asks a question (Q1. ..., 質問: ..., or ending with ?)."""
    return bool(QUESTION_LABEL.match(text) or QUESTION_END.search(text))


def is_conclusion(text: str) -> bool:
    """A closing heading (まとめ, 最後に, summary...)."""
    return bool(_CONCLUSION.search(text))


def numbering_style(text: str) -> str | None:
    """The numbering or marker style a heading starts with (1. / (1) / ① / ■ ...), if any."""
    for name, pattern in _NUMBERING:
        if pattern.match(text):
            return name
    return None


def assign_levels(blocks: list[Block], title: str) -> str:
    """Give every heading whose level is 0 a level (2 for top-level ones, 3, 4 below); returns
    where the levels came from (for the import summary)."""
    headings = [b for b in blocks if isinstance(b, Heading)]
    _attach_text(blocks)
    if not headings:
        return "no headings"
    if all(h.level for h in headings):
        return "levels from the page's h2-h6"
    if _levels_from_numbering(headings):
        return "levels from the headings' numbering"
    _levels_from_shape(headings, title)
    return "levels guessed from the article's structure"


def _attach_text(blocks: list[Block]) -> None:
    """Give each heading the paragraphs of its own section (the level rules read them)."""
    current: Heading | None = None
    for block in blocks:
        if isinstance(block, Heading):
            current = block
            current.text_after = []
        elif current is not None:
            current.text_after.append("\n".join(block.lines))


def _levels_from_numbering(headings: list[Heading]) -> bool:
    """Levels from numbering styles (1. / (1) / ① / ■ ...) used by two headings or more.

    Styles rank by first appearance. A style whose numbers start again (1, 2, 1, 2) after plain
    headings sits under those plain headings; otherwise plain headings sit under the numbered
    heading above them. Returns False when no style is used twice."""
    styles = [heading.style for heading in headings]
    counts = Counter(s for s in styles if s)
    order = [s for s in dict.fromkeys(styles) if s and counts[s] >= 2]
    if not order:
        return False
    plain_parents = any(_restarts_after_plain(headings, style) or _opened_by_plain(headings, style)
                        for style in order)
    base = TOP + 1 if plain_parents else TOP
    rank = {style: min(base + n, 4) for n, style in enumerate(order)}
    last = TOP  # the level of the last heading that is not a question
    for heading in headings:
        if heading.level:
            last = heading.level
            continue
        if heading.style in rank:
            heading.level = rank[heading.style]
        elif _CONCLUSION.search(heading.text) or _FAQ.search(heading.text):
            heading.level = TOP
        elif _is_listed_question(heading, last):
            heading.level = min(last + 1, 4)
            continue
        elif plain_parents or last == TOP and heading is headings[0]:
            heading.level = TOP
        else:
            heading.level = min(last + 1, 4) if last < base + len(order) else last
        last = heading.level
    return True


def _is_listed_question(heading: Heading, last: int) -> bool:
    """A question among numbered headings: it goes under the heading above it."""
    return bool(QUESTION_LABEL.match(heading.text)) or (is_question(heading.text) and last > 0)


def _restarts_after_plain(headings: list[Heading], style: str) -> bool:
    """Whether a numbered style's numbers start again after a plain heading (1, 2, 3 then a
    heading without numbering, then 1, 2 again)."""
    previous: int | None = None
    plain_between = False
    for heading in headings:
        if heading.style == style:
            number = _number(heading.text)
            if previous is not None and number is not None and number <= previous and plain_between:
                return True
            previous, plain_between = number, False
        elif heading.style is None and not is_question(heading.text):
            plain_between = True
    return False


def _opened_by_plain(headings: list[Heading], style: str) -> bool:
    """Whether a numbered style's first heading (number 1) comes right under a plain heading
    that opens a group (おすすめのセルフケア with no text, or a lead-in: ここでは3つ紹介します)."""
    for n, heading in enumerate(headings):
        if heading.style != style:
            continue
        if n == 0 or _number(heading.text) not in (1, None):
            return False
        parent = headings[n - 1]
        return parent.style is None and not is_question(parent.text) and (
            not parent.text_after or _leads_in(parent) or _announced_count(parent) > 0)
    return False


def _number(text: str) -> int | None:
    """The number a numbered heading starts with (1., (2), ③, 第4章), if any."""
    circled = re.match(r"[①-⑳]", text)
    if circled:
        return ord(circled.group(0)) - ord("①") + 1
    digits = re.search(r"[0-9０-９]+", text[:8])
    if not digits:
        return None
    return int(digits.group(0).translate(str.maketrans("０１２３４５６７８９", "0123456789")))


ECHO = 0.35  # a heading that shares this much of its bigrams with the title echoes it


@dataclass
class _Shape:
    """What the level rules know of the whole article."""

    title_grams: set[str]
    short: float  # an intro shorter than this is short (0.7 of the median section)
    echoes: list[float]  # how much each heading echoes the title (share of its bigrams)
    # the article marks its top-level headings by echoing the title (SEO-written articles: 背中が
    # 熱く感じる原因 / 背中の熱さから考えられる病気 above ストレスの蓄積 / 猫背): two headings or more
    # echo it, two or more do not
    echo_tops: bool


@dataclass
class _Group:
    """The top-level heading whose group the walk is in."""

    major: Heading | None = None
    expected: int = 0  # sub-headings it announced and not yet seen
    children: int = 0
    after_questions: bool = False
    has_groups: bool = False  # some top-level heading already had sub-headings


def _levels_from_shape(headings: list[Heading], title: str) -> None:
    """Levels from how articles are built, heading by heading: each is top-level or under the
    top-level heading above it (see ``_starts_group``); questions go under their FAQ heading."""
    title_grams = _bigrams(title)
    lengths = [len("".join(h.text_after)) for h in headings
               if h.text_after and not (QUESTION_LABEL.match(h.text) or _FAQ.search(h.text))]
    echoes = [_title_overlap(h.text, title_grams) for h in headings]
    plain = [e for h, e in zip(headings, echoes) if not (is_question(h.text) or _FAQ.search(h.text)
                                                         or _CONCLUSION.search(h.text))]
    shape = _Shape(title_grams=title_grams,
                   short=0.7 * statistics.median(lengths) if lengths else 0, echoes=echoes,
                   echo_tops=sum(e >= ECHO for e in plain) >= 2 and sum(e < 0.2 for e in plain) >= 2)
    group = _Group()
    for n, heading in enumerate(headings):
        if heading.level:
            group.major = heading if heading.level <= TOP else group.major
            continue
        text = heading.text
        if group.major is not None and (QUESTION_LABEL.match(text) or (
                is_question(text) and (_FAQ.search(group.major.text) or group.after_questions))):
            heading.level = min((group.major.level or TOP) + 1, 4)
            group.after_questions = True
            continue
        if _starts_group(headings, n, group, shape):
            group.has_groups = group.has_groups or group.children > 0
            heading.level = TOP
            group.major, group.children, group.after_questions = heading, 0, False
            group.expected = _announced_count(heading)
        else:
            heading.level = TOP + 1
            group.children += 1
            group.expected = max(group.expected - 1, 0)


def _starts_group(headings: list[Heading], n: int, group: _Group, shape: _Shape) -> bool:
    """Whether heading ``n`` is a top-level one (rather than under the current top-level one)."""
    heading, major = headings[n], group.major
    text = heading.text
    if major is None or group.after_questions or _CONCLUSION.search(text) or _FAQ.search(text):
        return True
    if group.expected > 0:
        return False  # the top-level heading said how many follow
    if _announced_count(major) and group.children >= _announced_count(major):
        return True  # its announced sub-headings are all here
    echo = shape.echoes[n]
    major_echo = _title_overlap(major.text, shape.title_grams)
    if shape.echo_tops and echo >= max(ECHO, major_echo - 0.05):
        return True  # it echoes the title as much as the top-level headings do
    evidence = (2.0 * echo
                + (1.0 if _leads_in(heading) else 0.0)
                + (2.0 if _announced_count(heading) else 0.0)
                + _intro_weight(heading, shape)
                + (0.7 if n == len(headings) - 1 else 0.0))
    if group.children == 0:
        # right under a top-level heading: its sub-heading when that heading opens a group (a
        # lead-in, a count, a short intro or none, the article nests its headings already, or
        # it echoes the title where this one does not), unless this one is clearly top-level
        # itself; otherwise its sibling
        opens = (group.has_groups or _leads_in(major) or _announced_count(major) > 0
                 or _own_length(major) < shape.short or not major.text_after
                 or (shape.echo_tops and major_echo >= ECHO and echo < 0.2))
        return evidence >= 1.2 if opens else True
    return evidence >= 1.0


def _intro_weight(heading: Heading, shape: _Shape) -> float:
    """A heading whose own text is short, like an intro to sub-headings, is likely top-level;
    one line or two (under half the usual section) all the more."""
    length = _own_length(heading)
    if not shape.short or length >= shape.short:
        return 0.0
    return 1.0 if length < shape.short * 5 / 7 else 0.5  # half the median section


def _announced_count(heading: Heading) -> int:
    """How many sub-headings a heading announces: 3つの病気 in the heading, or a lead-in of its
    intro that counts them (原因を3つ紹介します)."""
    m = _COUNT.search(heading.text)
    if not m:
        for sentence in re.split(r"(?<=[。!！?？])", "".join(heading.text_after)):
            if _LEAD_IN.search(sentence):
                m = _COUNT.search(sentence)
                if m:
                    break
    if not m:
        return 0
    digits = re.match(r"[0-9０-９]+", m.group(0))
    if digits:
        return int(digits.group(0).translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    return "一二三四五六七八九十".index(m.group(0)[0]) + 1


def _leads_in(heading: Heading) -> bool:
    return any(_LEAD_IN.search(p) for p in heading.text_after)


def _own_length(heading: Heading) -> int:
    return len("".join(heading.text_after))


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[\s|｜!！?？、。・()（）「」『』:：]", "", text)
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _title_overlap(text: str, title_grams: set[str]) -> float:
    grams = _bigrams(text)
    return len(grams & title_grams) / len(grams) if grams else 0.0
