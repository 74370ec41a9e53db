"""A synthetic corpus of Japanese health articles for benchmarks, built from the real ones.

The sentences (split at 。) and headings of the Japanese articles in ``articles/`` are recombined
into new articles of 4-10 KB: YAML front matter, an introduction, 5-12 ``##``/``###`` sections of
2-6 paragraphs of 2-5 sentences, sometimes a よくある質問 section of ``### Q1.…?`` headings.
Sentences are varied a little (synonyms swapped, numbers changed or inserted) so that articles are
not copies of each other.

Everything is drawn from ``random.Random`` seeded per article (seed and article number), so a corpus
is reproducible, and a smaller corpus is a prefix (same files, same bytes) of a larger one.

    python bench/corpus.py --mb 5 /tmp/corpus        # write a corpus
    python bench/corpus.py --mb 5 --cache            # generate (or reuse) bench/.cache/...

From Python::

    from bench.corpus import generate_corpus
    info = generate_corpus(dest, mb=20)    # CorpusInfo(path, files, bytes, ...)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ARTICLES = ROOT / "articles"
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
# Bump when generation changes, so cached corpora are not reused.
GENERATOR_VERSION = "1"
MB = 1_000_000  # corpus sizes are in decimal megabytes of UTF-8 article files

SITES = [
    "サンプル鍼灸院1", "サンプル鍼灸院2", "サンプル鍼灸院3", "サンプル整骨院1",
    "サンプル整体院1", "サンプル内科クリニック1",
]
CATEGORIES = ["自律神経のお悩み", "首・肩のお悩み", "腰・背中のお悩み", "頭・耳のお悩み",
              "手足のお悩み", "睡眠のお悩み"]
SYMPTOMS = [
    "めまい", "手足のしびれ", "首の後ろの熱感", "背中の熱さ", "肩こり", "頭痛", "腰痛", "不眠",
    "冷え", "耳鳴り", "動悸", "眼精疲労", "首こり", "ほてり", "倦怠感", "立ちくらみ",
]
TITLE_TEMPLATES = [
    "{s}の原因は?考えられる病気とセルフケアを解説",
    "{s}が続くのはなぜ?{h}",
    "{h}|{s}の対処法",
    "{s}と自律神経の関係とは?{site}が解説",
    "{s}で何科を受診すべき?原因と対処法",
    "{h}",
]
QUESTION_TEMPLATES = [
    "{s}は何科を受診すればよいですか?",
    "{s}は放っておいても治りますか?",
    "{s}にストレスは関係しますか?",
    "{s}のときは温めるのと冷やすのと、どちらがよいですか?",
    "{s}を予防するにはどうすればよいですか?",
    "{s}は鍼灸で改善できますか?",
]
# Words swapped for one another (each occurrence, now and then) to vary the sentences.
SYNONYMS = [
    ["症状", "不調"],
    ["原因", "要因"],
    ["病院", "医療機関", "クリニック"],
    ["医師", "専門医"],
    ["改善", "緩和", "軽減"],
    ["身体", "体", "からだ"],
    ["血行", "血流", "血の巡り"],
    ["対処法", "対策"],
    ["ストレッチ", "体操"],
    ["睡眠", "眠り"],
    ["可能性", "おそれ"],
    ["受診", "相談"],
    ["緊張", "こわばり"],
    ["特に", "とりわけ"],
    ["さまざま", "いろいろ"],
]
NUMBER_PREFIXES = [
    "{n}代以降では、", "症状が{n}日以上続く場合、", "1日{n}分程度を目安に、", "およそ{n}割の方で、",
    "{n}週間ほど様子を見ても、", "発症から{n}か月以内であれば、",
]
_SENTENCE = re.compile(r"[^。\n]+。?")
_QUESTION_LABEL = re.compile(r"^\s*(?:Q|Ｑ|質問|問)\s*[0-9０-９]*\s*[.．:：、)）]?\s*")
_DIGITS = re.compile(r"[0-9]+")


@dataclass
class Material:
    """What articles are made of: sentences, headings and questions of the real articles."""

    sentences: list[str]
    headings: list[str]
    questions: list[str]
    items: list[str]  # list items (lines without 。)
    fingerprint: str  # hash of the source files, for cache keys


@dataclass
class CorpusInfo:
    """A generated corpus folder: its files (sorted) and their total size in bytes."""

    path: Path
    files: list[Path]
    bytes: int
    seed: int
    seconds: float = 0.0
    sizes: list[int] = field(default_factory=list, repr=False)

    @property
    def mb(self) -> float:
        return self.bytes / MB

    def to_dict(self) -> dict:
        sizes = sorted(self.sizes)
        return {
            "path": str(self.path), "articles": len(self.files), "bytes": self.bytes,
            "mb": round(self.mb, 3), "seed": self.seed, "seconds": round(self.seconds, 3),
            "article_bytes_min": sizes[0] if sizes else 0,
            "article_bytes_median": sizes[len(sizes) // 2] if sizes else 0,
            "article_bytes_max": sizes[-1] if sizes else 0,
        }


def load_material(articles_dir: Path = DEFAULT_ARTICLES) -> Material:
    """Sentences and headings of the Japanese articles in ``articles_dir`` (parsed by kb)."""
    from kb.articles import parse_article_file

    sentences: list[str] = []
    headings: list[str] = []
    questions: list[str] = []
    items: list[str] = []
    digest = hashlib.sha256(GENERATOR_VERSION.encode())
    for path in sorted(Path(articles_dir).glob("*.md")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        article = parse_article_file(path)
        if article.lang != "ja":
            continue
        for section in article.sections:
            heading = section.heading.strip()
            if section.level > 0 and heading:
                if heading.endswith(("?", "?")) or _QUESTION_LABEL.match(heading):
                    q = _QUESTION_LABEL.sub("", heading).strip()
                    if q:
                        questions.append(q)
                elif "よくある質問" not in heading and heading != "まとめ":
                    headings.append(heading)
            for m in _SENTENCE.finditer(section.text):
                s = m.group().strip()
                if s.endswith("。") and len(s) >= 8:
                    sentences.append(s)
                elif 4 <= len(s) <= 60 and not s.endswith("。"):
                    items.append(s)  # list items and other lines without a full stop
    if not sentences or not headings:
        raise SystemExit(f"{articles_dir}: no Japanese articles to build a corpus from")
    return Material(
        sentences=sentences, headings=headings, questions=questions, items=items or headings,
        fingerprint=digest.hexdigest()[:12],
    )


def vary(sentence: str, rng: random.Random, prefix: bool = True) -> str:
    """A slightly different sentence: synonyms swapped, numbers changed or (with ``prefix``) put
    in front."""
    for group in SYNONYMS:
        for word in group:
            if word in sentence and rng.random() < 0.35:
                sentence = sentence.replace(word, rng.choice(group))
                break
    if _DIGITS.search(sentence) and rng.random() < 0.5:
        sentence = _DIGITS.sub(lambda m: str(rng.randint(2, 9)), sentence, count=1)
    if prefix and rng.random() < 0.12:
        sentence = rng.choice(NUMBER_PREFIXES).format(n=rng.randint(2, 8)) + sentence
    return sentence


def paragraph(material: Material, rng: random.Random, lo: int = 2, hi: int = 5) -> str:
    n = rng.randint(lo, hi)
    start = rng.randrange(len(material.sentences))
    if rng.random() < 0.5:  # consecutive sentences read more naturally; random ones vary more
        picked = [material.sentences[(start + i) % len(material.sentences)] for i in range(n)]
    else:
        picked = rng.sample(material.sentences, n)
    lines = [vary(s, rng) for s in picked]
    if rng.random() < 0.08:
        i = rng.randrange(len(lines))
        lines[i] = "**" + lines[i] + "**"
    return "\n".join(lines)


def _bullets(material: Material, rng: random.Random) -> str:
    n = min(len(material.items), rng.randint(3, 6))
    return "\n".join("- " + vary(h, rng, prefix=False) for h in rng.sample(material.items, n))


def generate_article(material: Material, seed: int, index: int) -> str:
    """The Markdown text of article number ``index`` of the corpus with ``seed``."""
    rng = random.Random(f"kb-bench:{GENERATOR_VERSION}:{seed}:{index}")
    symptom = rng.choice(SYMPTOMS)
    site = rng.choice(SITES)
    title = rng.choice(TITLE_TEMPLATES).format(
        s=symptom, h=vary(rng.choice(material.headings), rng, prefix=False), site=site
    )
    published = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(1200))
    front = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        "lang: ja",
        f"site: {site}",
        f"published: {published.isoformat()}",
    ]
    if rng.random() < 0.6:
        front.append(f"category: {rng.choice(CATEGORIES)}")
    if rng.random() < 0.5:
        tags = rng.sample(SYMPTOMS, rng.randint(1, 4))
        front.append("tags: [" + ", ".join(tags) + "]")
    front.append("---")

    target = rng.randint(3500, 9000)  # bytes; articles end up 4-10 KB
    parts = ["\n".join(front), paragraph(material, rng, 2, 4)]
    size = sum(len(p.encode()) for p in parts)
    max_sections = rng.randint(5, 12)
    faq = rng.random() < 0.35
    per_section = max(300, (target - size) // max_sections)
    n = 0
    while n < 5 or (n < max_sections and size < target):
        level = 2 if n == 0 else rng.choice((2, 3, 3))
        block = ["#" * level + " " + vary(rng.choice(material.headings), rng, prefix=False)]
        block_size = 0
        paragraphs = 0
        max_paragraphs = rng.randint(2, 6)
        while paragraphs < 2 or (paragraphs < max_paragraphs and block_size < per_section):
            if rng.random() < 0.07:
                text = _bullets(material, rng)
            else:
                left = min(per_section - block_size, target - size - block_size)
                text = paragraph(material, rng, 2, max(2, min(5, left // 140)))
            block.append(text)
            block_size += len(text.encode())
            paragraphs += 1
        parts.append("\n\n".join(block))
        size += block_size
        n += 1
    if faq:
        faq_block = [f"## {symptom}に関するよくある質問"]
        for q in range(1, rng.randint(2, 4) + 1):
            if material.questions and rng.random() < 0.5:
                question = vary(rng.choice(material.questions), rng, prefix=False)
            else:
                question = rng.choice(QUESTION_TEMPLATES).format(s=symptom)
            faq_block.append(f"### Q{q}.{question}")
            faq_block.append(paragraph(material, rng, 2, 4))
        parts.append("\n\n".join(faq_block))
    if rng.random() < 0.4:
        parts.append("## まとめ\n\n" + paragraph(material, rng, 2, 4))
    return "\n\n".join(parts) + "\n"


def file_name(index: int) -> str:
    return f"gen-{index:06d}.md"


def generate_corpus(
    dest: str | Path,
    mb: float,
    *,
    seed: int = 0,
    material: Material | None = None,
    articles_dir: Path = DEFAULT_ARTICLES,
) -> CorpusInfo:
    """Write articles ``gen-000001.md``... into ``dest`` until they hold ``mb`` MB (10^6 bytes)."""
    started = time.perf_counter()
    material = material or load_material(articles_dir)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    limit = int(mb * MB)
    total = 0
    files: list[Path] = []
    sizes: list[int] = []
    index = 0
    while total < limit:
        index += 1
        data = generate_article(material, seed, index).encode("utf-8")
        path = dest / file_name(index)
        path.write_bytes(data)
        files.append(path)
        sizes.append(len(data))
        total += len(data)
    return CorpusInfo(path=dest, files=files, bytes=total, seed=seed,
                      seconds=time.perf_counter() - started, sizes=sizes)


def cached_corpus(mb: float, *, seed: int = 0, articles_dir: Path = DEFAULT_ARTICLES,
                  cache_dir: Path = CACHE_DIR) -> CorpusInfo:
    """A corpus under ``bench/.cache/`` (generated once, reused while the sources are unchanged).

    Treat it as read-only: copy it (:func:`copy_corpus`) before changing files.
    """
    material = load_material(articles_dir)
    path = cache_dir / f"corpus-v{GENERATOR_VERSION}-{material.fingerprint}-s{seed}-{mb:g}mb"
    manifest = path / ".manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text())
        files = [path / name for name in data["files"]]
        if all(f.exists() for f in files):
            return CorpusInfo(path=path, files=files, bytes=data["bytes"], seed=seed,
                              sizes=data["sizes"])
    shutil.rmtree(path, ignore_errors=True)
    info = generate_corpus(path, mb, seed=seed, material=material)
    manifest.write_text(json.dumps(
        {"files": [f.name for f in info.files], "bytes": info.bytes, "sizes": info.sizes}
    ))
    return info


def copy_corpus(info: CorpusInfo, dest: str | Path) -> CorpusInfo:
    """A writable copy of a corpus in ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    files = []
    for f in info.files:
        shutil.copyfile(f, dest / f.name)
        files.append(dest / f.name)
    return CorpusInfo(path=dest, files=files, bytes=info.bytes, seed=info.seed, sizes=info.sizes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", nargs="?", help="folder to write (default: with --cache, the cache)")
    parser.add_argument("--mb", type=float, default=5.0, help="corpus size in MB (default 5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", action="store_true", help="generate into bench/.cache/")
    args = parser.parse_args(argv)
    if args.cache and not args.dest:
        info = cached_corpus(args.mb, seed=args.seed)
    elif args.dest:
        info = generate_corpus(args.dest, args.mb, seed=args.seed)
    else:
        parser.error("give a destination folder or --cache")
    print(json.dumps(info.to_dict(), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
