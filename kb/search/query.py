"""Query parsing: a string as a patient types it into groups of alternative index terms.

Plain text just works: it is analyzed like the documents and each meaningful word becomes a
*group*, the forms that word may take in the index (its term, its other forms, its synonyms, and
for kana its reading); a patient's expression (ガンガン, tummy ache) adds the words articles use
(頭痛, stomach pain), and a word of one language its translations (headache <-> 頭痛), each at a
lower weight (:class:`Lexicon`, kb/analysis/lexicon.py). ``"quoted words"`` must appear as a phrase, ``-word`` excludes, and ``OR``
between two words makes them one group. Every other character is taken literally: the FTS5
expression is built only from quoted terms, so no input is FTS5 syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..analysis import SYNONYM_GROUP_PREFIX, Token, get_analyzer, to_katakana
from ..analysis import detect_language
from ..analysis import RoleCues, load_role_cues, role_token
from ..analysis import Synonyms, load_bilingual, load_patient_words, load_synonyms

MAX_QUERY_CHARS = 1000
MAX_GROUPS = 32
# How much a match through each kind of alternative counts, against the word as typed.
WEIGHT_TYPED = 1.0
WEIGHT_SYNONYM = 0.8
WEIGHT_READING = 0.6
WEIGHT_PART = 0.5  # a part of a compound the patient typed (耳 for 耳鳴り)
WEIGHT_ROLE = 0.8  # a section of the role a query word asks for (病院: which department to see)
# The query-time lexicons (kb/analysis/lexicon.py): a patient's word (ガンガン) found as the
# article's word (頭痛) counts less than a synonym, and less than the patient's word as written;
# a word of the other language (headache -> 頭痛) counts as much, the other language's own
# factor (OTHER_LANGUAGE in kb/search/rank.py) putting such units after the query's language.
# Named so that a ranking fit can tune them.
WEIGHT_LEXICON = 0.7
WEIGHT_BILINGUAL = 0.7

_KANA_ONLY = re.compile(r"^[\u3041-\u30ff\uff66-\uff9fー]+$")
_HAS_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々]")
_SYNTAX = re.compile(
    r'"(?P<quoted>[^"]*)"?'  # "a phrase" (an unclosed quote runs to the end)
    r"|[“「](?P<jquoted>[^”」]*)[”」]?"  # “a phrase” or 「a phrase」
    r"|(?:(?<=\s)|^)-(?P<excluded>[^\s\"“「]+)"  # -word
    r"|(?:(?<=\s)|^)(?P<or>OR)(?=\s|$)"  # OR between words
)


@dataclass(frozen=True)
class Alternative:
    """One way a query word may appear: a term, or a phrase of terms, in the text or its readings."""

    terms: tuple[str, ...]
    weight: float = WEIGHT_TYPED
    reading: bool = False

    def fts(self) -> str:
        # a reading may also be a katakana word's term, so it is searched in every column
        return '"' + " ".join(self.terms).replace('"', '""') + '"'



@dataclass(frozen=True)
class Lexicon:
    """A one-way table of expansions applied to a query's words, and what a match through it
    counts (the synonyms' shape: a member's terms -> the phrases it expands to)."""

    table: Synonyms
    weight: float


def default_lexicons() -> list[Lexicon]:
    """The patient lexicons and the bilingual one (kb/rules.py), each with its weight."""
    return [Lexicon(load_patient_words(), WEIGHT_LEXICON),
            Lexicon(load_bilingual(), WEIGHT_BILINGUAL)]


@dataclass
class Group:
    """A query word (or phrase) and every alternative that counts as a match for it."""

    surface: str
    alternatives: list[Alternative]
    required: bool = False

    def fts(self) -> str:
        return "(" + " OR ".join(a.fts() for a in self.alternatives) + ")"

    def forms(self) -> set[str]:
        """The group's one-word alternatives (for marking snippets; a phrase is marked as a unit,
        :meth:`phrases`)."""
        return {a.terms[0] for a in self.alternatives if not a.reading and len(a.terms) == 1}

    def phrases(self) -> set[tuple[str, ...]]:
        """The group's alternatives of several words, marked only where all of them stand."""
        return {a.terms for a in self.alternatives if not a.reading and len(a.terms) > 1}

    def readings(self) -> set[str]:
        return {a.terms[0] for a in self.alternatives if a.reading}


@dataclass
class Query:
    """A parsed query: the groups to rank by, the groups to exclude, its language."""

    text: str
    groups: list[Group] = field(default_factory=list)
    excluded: list[Group] = field(default_factory=list)
    lang: str = "ja"
    truncated: bool = False
    roles: set[str] = field(default_factory=set)  # what the query asks for: cause, warning…

    def fts(self, groups: list[Group] | None = None) -> str | None:
        """The FTS5 MATCH expression (of some of the groups), or None when nothing can match."""
        groups = self.groups if groups is None else groups
        if not groups:
            return None
        required = [g.fts() for g in groups if g.required]
        anyone = " OR ".join(g.fts() for g in groups)
        expression = f"({' AND '.join(required)}) AND ({anyone})" if required else anyone
        if self.excluded:
            expression = f"({expression}) NOT ({' OR '.join(g.fts() for g in self.excluded)})"
        return expression

    def forms(self) -> set[str]:
        return {f for g in self.groups for f in g.forms()}

    def phrases(self) -> set[tuple[str, ...]]:
        return {p for g in self.groups for p in g.phrases()}

    def readings(self) -> set[str]:
        return {r for g in self.groups for r in g.readings()}


def query_language(text: str) -> str:
    """The language of a query ('ja' or 'en'): its units come first, the others are marked."""
    return detect_language(text[:MAX_QUERY_CHARS])


def parse_query(text: str, synonyms: Synonyms | None = None,
                lexicons: list[Lexicon] | None = None) -> Query:
    """Parse a query string; any string is valid (it may give no groups).

    ``synonyms`` and ``lexicons`` default to the files of kb/rules.py; quoted phrases and
    excluded words get neither (they are taken literally).
    """
    synonyms = synonyms if synonyms is not None else load_synonyms()
    lexicons = lexicons if lexicons is not None else default_lexicons()
    query = Query(text=text, truncated=len(text) > MAX_QUERY_CHARS)
    query.lang = query_language(text)
    text = text[:MAX_QUERY_CHARS]
    pending_or = False
    cursor = 0
    for m in _SYNTAX.finditer(text):
        new = _plain_groups(text[cursor : m.start()], synonyms, lexicons)
        pending_or = _add(query.groups, new, pending_or)
        cursor = m.end()
        if m.group("or") is not None:
            pending_or = bool(query.groups)
        elif m.group("excluded") is not None:
            query.excluded.extend(_plain_groups(m.group("excluded"), None, []))
        else:
            phrase = m.group("quoted") if m.group("quoted") is not None else m.group("jquoted")
            tokens = get_analyzer().tokens(phrase or "")
            if tokens:
                group = Group(phrase or "", [Alternative(tuple(t.term for t in tokens))], required=True)
                pending_or = _add(query.groups, [group], pending_or)
    _add(query.groups, _plain_groups(text[cursor:], synonyms, lexicons), pending_or)
    query.groups = _unique(query.groups)[:MAX_GROUPS]
    query.excluded = query.excluded[:MAX_GROUPS]
    _add_roles(query, load_role_cues())
    return query


def _add_roles(query: Query, cues: RoleCues) -> None:
    """Let words that ask for a kind of section (原因, 病院, 危ない) match sections of that role.

    Cues are found over the run of the query's words as typed (a cue may span words: see a
    doctor); a quoted phrase is taken literally and gets none.
    """
    terms: list[str] = []
    owners: list[int] = []
    for index, group in enumerate(query.groups):
        if not group.required:
            for term in group.alternatives[0].terms:
                terms.append(term)
                owners.append(index)
    found: dict[int, set[str]] = {}
    for owner, roles in zip(owners, cues.roles_at(terms)):
        found.setdefault(owner, set()).update(roles)
    for index, roles in found.items():
        group = query.groups[index]
        group.alternatives += [Alternative((role_token(r),), WEIGHT_ROLE) for r in sorted(roles)]
        query.roles |= roles


def _add(groups: list[Group], new: list[Group], pending_or: bool) -> bool:
    """Append groups; after OR the first new one joins the last existing one."""
    if not new:
        return pending_or
    if pending_or and groups:
        last = groups[-1]
        first = new.pop(0)
        last.surface = f"{last.surface} OR {first.surface}"
        last.alternatives = list(dict.fromkeys(last.alternatives + first.alternatives))
        last.required = last.required and first.required
    groups.extend(new)
    return False


def _plain_groups(text: str, synonyms: Synonyms | None, lexicons: list[Lexicon]) -> list[Group]:
    """Groups for plain words: each token, or a run of tokens that is a synonym phrase; then
    each lexicon's expansions join the groups of the words they expand."""
    tokens = get_analyzer().tokens(text) if text.strip() else []
    groups = []
    covers: list[range] = []  # the tokens each group stands for
    i = 0
    while i < len(tokens):
        span = _synonym_span(tokens, i, synonyms) if synonyms else 0
        if span > 1:
            run = tokens[i : i + span]
            phrase = tuple(t.term for t in run)
            alternatives = [Alternative(phrase)] + [
                Alternative(p, WEIGHT_SYNONYM) for p in sorted(synonyms.expansions(phrase))
            ]
            groups.append(Group(text[run[0].start : run[-1].end], alternatives))
        else:
            span = 1
            groups.append(_token_group(tokens[i], synonyms, _kana_run(text, tokens[i])))
        covers.append(range(i, i + span))
        i += span
    for lexicon in lexicons:
        _add_lexicon(tokens, groups, covers, lexicon)
    return groups


def _add_lexicon(tokens: list[Token], groups: list[Group], covers: list[range],
                 lexicon: Lexicon) -> None:
    """Add a lexicon's expansions, at its weight, to every group a matched expression covers:
    頭がガンガン -> 頭痛 joins both 頭 and ガンガン (a section saying 頭痛 answers both words)."""
    i = 0
    while i < len(tokens):
        span, expansions = _lexicon_match(tokens, i, lexicon.table)
        if span:
            for group, cover in zip(groups, covers):
                if cover.start < i + span and i < cover.stop:
                    known = {a.terms for a in group.alternatives}
                    group.alternatives += [Alternative(p, lexicon.weight)
                                           for p in sorted(expansions) if p not in known]
        i += span or 1


def _lexicon_match(tokens: list[Token], i: int, table: Synonyms) -> tuple[int, set[tuple[str, ...]]]:
    """The longest expression of ``table`` starting at token i, as (its length in tokens, its
    expansions); a one-word expression also matches the word's other forms. (0, set()) if none."""
    span = _synonym_span(tokens, i, table) if table.longest > 1 else 0
    if span:
        return span, table.expansions(tuple(t.term for t in tokens[i : i + span]))
    expansions: set[tuple[str, ...]] = set()
    for form in tokens[i].forms():
        expansions |= table.expansions((form,))
    return (1, expansions) if expansions else (0, expansions)


def _kana_run(text: str, token: Token) -> str:
    """The katakana of the run of kana around a kana token (こうじょうせん, cut as こうじょう+せ+ん)."""
    if not _KANA_ONLY.match(token.surface):
        return ""
    start, end = token.start, token.end
    while start > 0 and _KANA_ONLY.match(text[start - 1]):
        start -= 1
    while end < len(text) and _KANA_ONLY.match(text[end]):
        end += 1
    run = text[start:end]
    return to_katakana(run) if run != token.surface and len(run) <= 12 else ""


def _synonym_span(tokens: list[Token], i: int, synonyms: Synonyms) -> int:
    """Length of the longest synonym phrase (of two or more terms) starting at token i."""
    if tokens[i].term not in synonyms.phrase_starts:
        return 0
    for length in range(min(synonyms.longest, len(tokens) - i), 1, -1):
        if tuple(t.term for t in tokens[i : i + length]) in synonyms.index:
            return length
    return 0


def _token_group(token: Token, synonyms: Synonyms | None, kana_run: str = "") -> Group:
    alternatives = [
        Alternative((form,), WEIGHT_SYNONYM if form.startswith(SYNONYM_GROUP_PREFIX) else WEIGHT_TYPED)
        for form in dict.fromkeys(token.forms())
    ]
    known = {a.terms for a in alternatives}
    if synonyms:
        expanded: set[tuple[str, ...]] = set()
        for form in token.forms():
            expanded |= synonyms.expansions((form,))
        alternatives += [Alternative(p, WEIGHT_SYNONYM) for p in sorted(expanded) if p not in known]
        known |= expanded
    alternatives += [Alternative((p,), WEIGHT_PART) for p in token.parts if (p,) not in known]
    if _KANA_ONLY.match(token.surface):
        # Kana the dictionary could not turn into a kanji word count in full by their reading.
        weight = WEIGHT_READING if _HAS_KANJI.search(token.term) else WEIGHT_TYPED
        readings = dict.fromkeys([*token.readings(), to_katakana(token.surface)])
        if kana_run and kana_run not in readings:
            readings[kana_run] = None  # the whole kana word, when Sudachi cut it up wrongly
        alternatives += [Alternative((r,), weight, reading=True) for r in readings if r]
    return Group(token.surface, alternatives)


def _unique(groups: list[Group]) -> list[Group]:
    seen: set[tuple[Alternative, ...]] = set()
    out = []
    for g in groups:
        key = tuple(g.alternatives)
        if key not in seen:
            seen.add(key)
            out.append(g)
    return out
