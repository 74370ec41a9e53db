"""Facts quality: precision and recall of kb's fact extraction against a hand-labelled gold set.

    python bench/facts_quality.py             # tables
    python bench/facts_quality.py --verbose   # and every miss and every wrong fact
    python bench/facts_quality.py --json

Every article in ``tests/facts_gold.yml`` is parsed and its facts extracted as ``kb build`` does
(``kb.facts.extract.extract_facts``). Curated facts (front matter) are left out: they are not extraction.

Matching is on analyzed words (``kb.analysis.phrases.phrase_key``), so 気温 matches the gold 気温の変化 and
ストレスの蓄積 the gold ストレス: an extracted fact is correct when, for some name of a gold item
of the same article, relation and symptom, one's words hold the other's and they share at least
half of all their words (Jaccard >= 0.5), or when the words are the same. A gold item is found
when some extracted fact matches it. A fact for another symptom than the gold one is wrong.

Precision and recall are printed per relation (the target is for ``cause``: precision >= 0.90,
recall >= 0.80) and precision per pattern; articles marked ``holdout`` (written after the rules
were frozen) are reported on their own, as the estimate on unseen text.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``kb`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from bench.metrics import ROOT  # noqa: E402

DEFAULT_GOLD = (ROOT / "tests" / "facts_gold.yml", ROOT / "tests" / "facts_holdout.yml")
DEFAULT_ARTICLES = ROOT / "articles"
RELATIONS = ("cause", "self_care", "department", "warning")


@dataclass
class Score:
    """Counts of one group (a relation, a pattern): extracted, correct, gold, found."""

    extracted: int = 0
    correct: int = 0
    gold: int = 0
    found: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 1.0

    def add(self, other: "Score") -> None:
        self.extracted += other.extracted
        self.correct += other.correct
        self.gold += other.gold
        self.found += other.found
        self.wrong += other.wrong
        self.missed += other.missed


def words(text: str) -> frozenset[str]:
    from kb.analysis import phrase_key

    return frozenset(phrase_key(text).split())


def matches(extracted: frozenset[str], names: Sequence[frozenset[str]]) -> bool:
    """Whether extracted words name the same thing as one of a gold item's names."""
    for gold in names:
        if not extracted or not gold:
            continue
        if extracted == gold:
            return True
        if (extracted <= gold or gold <= extracted) and len(extracted & gold) / len(extracted | gold) >= 0.5:
            return True
    return False


def load_gold(paths: Sequence[Path]) -> dict:
    """The labelled articles of every gold file that exists (the holdout file may not yet)."""
    gold: dict = {}
    for path in paths:
        if Path(path).exists():
            gold.update(yaml.safe_load(Path(path).read_text(encoding="utf-8"))["articles"])
    return gold


def evaluate(gold_paths: Sequence[Path] = DEFAULT_GOLD, articles: Path = DEFAULT_ARTICLES) -> dict:
    """Scores per relation and per pattern, for the frozen-rule articles and the holdout ones."""
    from kb.facts import extract_facts
    from kb.articles import parse_article_file

    gold = load_gold(gold_paths)
    found_files = {p.stem: p for p in articles.rglob("*.md")}
    result: dict[str, dict] = {"main": {}, "holdout": {}}
    patterns: dict[str, dict[str, Score]] = {"main": {}, "holdout": {}}
    for article_id, labels in gold.items():
        path = found_files.get(article_id)
        if path is None:
            raise SystemExit(f"gold set: no article {article_id!r} under {articles}")
        article = parse_article_file(path, articles)
        part = "holdout" if labels.get("holdout") else "main"
        facts = [f for f in extract_facts(article) if not f.curated]
        symptom = words(labels["symptom"])
        for relation in RELATIONS:
            items = [[words(n) for n in str(item).split("|")] for item in labels.get(relation) or []]
            names = [str(item) for item in labels.get(relation) or []]
            score = result[part].setdefault(relation, Score())
            mine = [f for f in facts if f.relation == relation]
            score.extracted += len(mine)
            score.gold += len(items)
            for fact in mine:
                ok = frozenset(fact.symptom_key.split()) == symptom and any(
                    matches(frozenset(fact.cause_key.split()), item) for item in items
                )
                score.correct += ok
                if not ok:
                    score.wrong.append(f"{article_id}: {fact.cause}  ({fact.pattern}: {fact.evidence[:60]})")
                by_pattern = patterns[part].setdefault(f"{relation}: {fact.pattern}", Score())
                by_pattern.extracted += 1
                by_pattern.correct += ok
            for item, name in zip(items, names):
                if any(frozenset(f.cause_key.split()) and f.symptom_key.split() and
                       frozenset(f.symptom_key.split()) == symptom and
                       matches(frozenset(f.cause_key.split()), item) for f in mine):
                    score.found += 1
                else:
                    score.missed.append(f"{article_id}: {name}")
    return {"relations": result, "patterns": patterns}


def report(result: dict) -> dict:
    doc: dict = {}
    for part in ("main", "holdout"):
        relations = result["relations"][part]
        if not relations:
            continue
        doc[part] = {
            "relations": {
                r: {"precision": round(s.precision, 3), "recall": round(s.recall, 3),
                    "extracted": s.extracted, "correct": s.correct, "gold": s.gold, "found": s.found}
                for r, s in relations.items()
            },
            "patterns": {
                p: {"precision": round(s.precision, 3), "extracted": s.extracted, "correct": s.correct}
                for p, s in sorted(result["patterns"][part].items())
            },
        }
    return doc


def print_tables(result: dict, verbose: bool) -> None:
    titles = {"main": "Articles labelled while the rules were written",
              "holdout": "Holdout articles (written after the rules were frozen)"}
    for part in ("main", "holdout"):
        relations = result["relations"][part]
        if not relations:
            continue
        print(titles[part])
        print(f"{'relation':<12} {'precision':>9} {'recall':>7} {'extracted':>9} {'gold':>5}")
        for relation in RELATIONS:
            s = relations.get(relation)
            if s:
                print(f"{relation:<12} {s.precision:>9.3f} {s.recall:>7.3f} {s.extracted:>9} {s.gold:>5}")
        print("\nprecision per pattern")
        for pattern, s in sorted(result["patterns"][part].items()):
            print(f"  {pattern:<58} {s.precision:>6.3f}  ({s.correct}/{s.extracted})")
        if verbose:
            for relation in RELATIONS:
                s = relations.get(relation)
                if s and (s.wrong or s.missed):
                    print(f"\n{relation}: wrong ({len(s.wrong)})")
                    for line in s.wrong:
                        print(f"  - {line}")
                    print(f"{relation}: missed ({len(s.missed)})")
                    for line in s.missed:
                        print(f"  - {line}")
        print()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, nargs="+", default=list(DEFAULT_GOLD),
                        help="gold files (default: tests/facts_gold.yml tests/facts_holdout.yml)")
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--verbose", "-v", action="store_true", help="list wrong and missed facts")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    result = evaluate(args.gold, args.articles)
    if args.json:
        print(json.dumps(report(result), ensure_ascii=False, indent=2))
    else:
        print_tables(result, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
