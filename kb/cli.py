"""The ``kb`` command: thin click commands over the Python API."""

from __future__ import annotations

import math
import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from .analysis import analysis_dict
from .duplicates import BOILERPLATE_ARTICLES, check_file, list_duplicates
from .errors import KbError
from .export import (
    ExportFilter, InvalidFilter, export_schema, export_to_file, parse_since, write_export,
)
from .facts import find_facts
from .index import build_index, index_stats, open_index
from .ingest import import_file, write_from_export, write_imported
from .model import RELATION_ORDER, RELATION_WORDS
from .search import HTML_MARKER, MAX_QUERY_CHARS, query_language
from .search import search as run_search
from .terminal import json_text, visible


def db_option(fn: Callable) -> Callable:
    return click.option(
        "--db", "db_path", default="kb.db", show_default=True,
        type=click.Path(dir_okay=False), help="The index database.",
    )(fn)


def json_option(fn: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(fn)


def echo_json(data: Any) -> None:
    """Print a JSON document, Japanese unescaped, terminal controls escaped (kb.terminal)."""
    click.echo(json_text(data, indent=2))


def echo(text: str = "", *, bold: bool = False, nl: bool = True, err: bool = False) -> None:
    """Print human-readable output: every line of it goes through here, so what an article, a
    page or a file name holds is shown and never obeyed by the terminal (kb.terminal.visible)."""
    text = visible(text)
    click.echo(click.style(text, bold=True) if bold else text, nl=nl, err=err)


@contextmanager
def kb_errors(status: int = 1) -> Iterator[None]:
    """Turn kb's own exceptions, and an index SQLite cannot read, into a clean error message
    and the exit status ``status``."""
    try:
        yield
    except (KbError, sqlite3.DatabaseError) as e:
        message = damaged_index(e) if isinstance(e, sqlite3.DatabaseError) else str(e)
        failure = click.ClickException(message)
        failure.exit_code = status
        raise failure from e


def damaged_index(error: sqlite3.DatabaseError) -> str:
    """The message for an index that opened as kb's but fails a query (a table dropped or the
    file damaged by another program)."""
    return (f"the index cannot be read ({error}); it may be damaged: "
            "build it again with 'kb build --full'")


@contextmanager
def visible_errors() -> Iterator[None]:
    """Error messages (they quote file names, options, article text) with terminal controls
    made visible, like every other line kb prints."""
    try:
        yield
    except click.ClickException as e:
        e.message = visible(e.message)
        raise


class KbGroup(click.Group):
    """kb's command group: click's own error messages are made visible too."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with visible_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with visible_errors():
            return super().invoke(ctx)


class Fraction(click.FloatRange):
    """A number from 0 to 1; unlike click.FloatRange, "nan" is refused (it compares false
    with both ends, so FloatRange lets it through)."""

    def __init__(self) -> None:
        super().__init__(0, 1)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number from 0 to 1", param, ctx)
        return number


def show_progress(quiet: bool) -> bool:
    """A progress bar only for a person at a terminal: not in CI, not with --quiet."""
    return not quiet and sys.stderr.isatty() and not os.environ.get("CI")


@click.group(cls=KbGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: a Japanese-first knowledge base of health articles.

    Build an SQLite index from Markdown articles, search it, and browse it with Datasette.
    """


@cli.command()
@click.option("--articles", "articles_dir", default="articles", show_default=True,
              type=click.Path(file_okay=False), help="Folder of Markdown articles.")
@db_option
@click.option("--full", is_flag=True, help="Analyze every article again, not just changed ones.")
@click.option("--workers", type=click.IntRange(1, 64), help="Analysis processes (default: all cores).")
@click.option("--boilerplate-articles", type=click.IntRange(2, None), metavar="N",
              help="A block repeated in N or more articles is boilerplate (default: what the "
                   f"index was built with, else {BOILERPLATE_ARTICLES}).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@json_option
def build(articles_dir: str, db_path: str, full: bool, workers: int | None,
          boilerplate_articles: int | None, quiet: bool, as_json: bool) -> None:
    """Build or update the index from the articles folder.

    Unchanged articles are not analyzed again; an invalid article stops the build with a message
    naming the file and line, and the existing database is left untouched.

    One build at a time per database: a second build of the same --db waits until the first one
    is done (it says so on stderr), then updates the index the first one wrote. An article file
    larger than $KB_MAX_ARTICLE_BYTES (10,000,000 unless set), or not a regular file, is
    reported as invalid.
    """
    with kb_errors():
        if show_progress(quiet or as_json):
            with click.progressbar(length=1, label="Indexing articles", file=sys.stderr) as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = max(total, 1)
                    bar.update(done - bar.pos)

                report = build_index(articles_dir, db_path, full=full, workers=workers,
                                     progress=progress, boilerplate_articles=boilerplate_articles)
        else:
            report = build_index(articles_dir, db_path, full=full, workers=workers,
                                 boilerplate_articles=boilerplate_articles)
    if as_json:
        echo_json({k: v for k, v in vars(report).items() if k != "errors"})
    elif not quiet:
        echo(
            f"{report.db_path}: {report.articles} articles ({report.analyzed} analyzed, "
            f"{report.unchanged} unchanged, {report.removed} removed) in {report.seconds:.2f}s"
            + (f"; {report.duplicates} duplicate matches (kb duplicates)" if report.duplicates else ""),
            err=True,
        )


@cli.command()
@click.argument("query")
@db_option
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--offset", default=0, type=click.IntRange(0, None), help="Skip this many hits.")
@click.option("--lang", help="Only units in this language (ja, en).")
@click.option("--site", help="Only articles of this site.")
@click.option("--article", "article_id", help="Only this article (its id).")
@click.option("--category", help="Only articles of this category.")
@click.option("--kind", type=click.Choice(["section", "qa", "fact"]), help="Only this kind of unit.")
@json_option
def search(query: str, db_path: str, limit: int, offset: int, lang: str | None,
           site: str | None, article_id: str | None, category: str | None, kind: str | None,
           as_json: bool) -> None:
    """Search the knowledge base; QUERY is plain text in Japanese or English."""
    terminal_marker = ("\x1b[1;33m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    with kb_errors(), open_index(db_path) as db:
        result = run_search(
            db, query, limit=limit, offset=offset, lang=lang, site=site,
            article_id=article_id, category=category, kind=kind,
            marker=HTML_MARKER if as_json else terminal_marker,
        )
    if as_json:
        echo_json(result.to_dict())
        return
    if result.truncated:
        echo(f"(the query was cut to its first {MAX_QUERY_CHARS} characters)", err=True)
    if not result.hits:
        echo(f"No results for {query!r}.")
        return
    query_lang = query_language(query)
    for n, hit in enumerate(result.hits, start=offset + 1):
        label = {"qa": "Q&A"}.get(hit.kind, hit.kind)
        other = f" [{hit.lang}]" if hit.lang and hit.lang != query_lang else ""  # another language
        echo(f"{n}. {hit.heading}", bold=True, nl=False)
        echo(f"  [{label}, {hit.score:.2f}]{other}")
        echo(f"   {hit.article_title} ({hit.article_id})")
        # the snippet's text was made visible between the markers (kb.search.snippets.escape)
        click.echo(f"   {hit.snippet}")
        if hit.outline:  # a section's sub-sections, to jump to
            click.echo("   › " + " · ".join(visible(item["heading"]) for item in hit.outline))
        echo()


RELATION_TITLES = {r: RELATION_WORDS[r].command_title for r in RELATION_ORDER}


@cli.command()
@click.argument("symptom", required=False)
@db_option
@click.option("--relation", type=click.Choice(list(RELATION_TITLES)), help="Only this relation.")
@click.option("--article", "article_id", help="Only facts of this article (its id).")
@click.option("--lang", help="Only facts of articles in this language (ja, en).")
@json_option
def facts(symptom: str | None, db_path: str, relation: str | None, article_id: str | None,
          lang: str | None, as_json: bool) -> None:
    """Facts of a symptom (any wording: 背中の熱さ finds 背中が熱い), or all facts.

    Causes, self-care, departments and warning signs, each with the article, section and
    sentence it comes from.
    """
    with kb_errors(), open_index(db_path) as db:
        rows = find_facts(db, symptom, relation=relation, article_id=article_id, lang=lang)
    if as_json:
        echo_json([r.to_dict() for r in rows])
        return
    if not rows:
        echo(f"No facts for {symptom!r}." if symptom else "No facts.")
        return
    for rel, title in RELATION_TITLES.items():
        group = [r for r in rows if r.relation == rel]
        if not group:
            continue
        echo(title, bold=True)
        for r in group:
            detail = ", ".join(x for x in (r.cause_kind, r.certainty) if x)
            detail = f" [{detail}]" if detail else ""
            echo(f"  {r.symptom} → {r.cause}{detail}")
            echo(f"      {r.article_id} › {r.heading or r.article_title}: {r.evidence[:80]}")
        echo()


@cli.command()
@db_option
@click.option("--min-similarity", default=0.0, show_default=True, type=Fraction(),
              help="Only matches at least this similar (Jaccard of word shingles).")
@click.option("--article", "article_id", help="Only matches that involve this article.")
@click.option("--kind", type=click.Choice(["exact", "near", "boilerplate"]), help="Only this kind.")
@json_option
def duplicates(db_path: str, min_similarity: float, article_id: str | None, kind: str | None,
               as_json: bool) -> None:
    """Copies and light rewrites among sections and paragraphs.

    Exact copies, near copies (light rewrites) and boilerplate (a block found in 3 or more
    articles, listed once with all its places), most similar first.
    """
    with kb_errors(), open_index(db_path) as db:
        rows = list_duplicates(db, min_similarity=min_similarity, article_id=article_id, kind=kind)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        echo("No duplicates.")
        return
    for row in rows:
        places = row.get("places") or [row["a"], row["b"]]
        echo(f"{row['kind']}  similarity {row['similarity']:.2f}"
             f"  contained {row['containment']:.2f}  {len(places)} places", bold=True)
        for place in places:
            where = f"¶{place['paragraph'] + 1}" if place["paragraph"] is not None else "section"
            echo(f"  {place['article_id']} › {place['heading']} ({where})")
        echo(f"  shared: {row['shared'][:100]}")
        echo()


@cli.command()
@click.argument("draft", type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--threshold", default=0.5, show_default=True, type=Fraction(),
              help="Report sections and paragraphs at least this similar (or 80% contained).")
@json_option
def check(draft: str, db_path: str, threshold: float, as_json: bool) -> None:
    """Which published sections and paragraphs a draft repeats.

    Before publishing DRAFT (a Markdown article): what it repeats, how much and where. Exits
    with status 1 when anything is at or above the threshold (for an editor's CI), 2 when the
    draft or the index cannot be read.
    """
    with kb_errors(status=2):  # 2: 1 means "repeats something" to CI
        found = check_file(draft, db_path, threshold)
    if as_json:
        echo_json(found)
    elif not found:
        echo(f"{draft}: repeats nothing published.")
    else:
        for f in found:
            published = f["published"]
            where = f"¶{published['paragraph'] + 1}" if published["paragraph"] is not None else "section"
            echo(f"{f['kind']} {f['similarity']:.2f} (contained {f['containment']:.2f})",
                 bold=True, nl=False)
            echo(f"  draft › {f['draft']['heading'] or '(introduction)'}")
            echo(f"  repeats {published['article_id']} › {published['heading']} ({where})")
            echo(f"  {f['draft']['text'][:100]}")
    if found:
        sys.exit(1)


@cli.command()
@db_option
@json_option
def stats(db_path: str, as_json: bool) -> None:
    """Counts of articles, sections and Q&A pairs per language and site."""
    with kb_errors(), open_index(db_path) as db:
        data = index_stats(db)
    if as_json:
        echo_json(data)
        return
    echo(f"{data['articles']} articles, {data['sections']} sections, {data['qa']} Q&A pairs")
    for key, title in (("by_language", "lang"), ("by_site", "site")):
        echo(f"\nby {title}:")
        for row in data[key]:
            echo(f"  {row[title] or '-'}: {row['articles']} articles, "
                 f"{row['sections']} sections, {row['qa']} Q&A")


@cli.command()
@click.argument("text")
@json_option
def analyze(text: str, as_json: bool) -> None:
    """Show how a text is analyzed: tokens, index terms, other forms and readings."""
    analysis = analysis_dict(text)
    if as_json:
        echo_json(analysis)
        return
    for token in analysis["tokens"]:
        other = token["alts"] + token["parts"]
        also = f"  also: {' '.join(other)}" if other else ""
        reading = f"  [{token['reading']}]" if token["reading"] else ""
        echo(f"{token['surface']}\t→ {token['term']}{reading}{also}")


def _since_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_since(value)
    except InvalidFilter as e:
        raise click.BadParameter(str(e).split(": ", 1)[1], ctx=ctx, param=param) from e


@cli.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl"]), default=None,
              help="json: one JSON document (the default); jsonl: JSON Lines, one article a line.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              help="Write to this file (default: stdout).")
@click.option("--lang", help="Only articles in this language (ja, en).")
@click.option("--site", help="Only articles of this site.")
@click.option("--since", callback=_since_option, metavar="DATE",
              help="Only articles updated (else published) on or after DATE (YYYY-MM-DD).")
@click.option("--article", "article_ids", multiple=True, metavar="ID",
              help="Only this article (repeat for several).")
@click.option("--schema", is_flag=True, help="Print the export's JSON Schema and exit.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON document (the same as --format json; every reading command takes --json).")
def export(db_path: str, fmt: str, output: str, lang: str | None, site: str | None,
           since: str | None, article_ids: tuple[str, ...], schema: bool, as_json: bool) -> None:
    """Export articles as JSON: metadata, sections, Q&A, facts and duplicates.

    Japanese is written unescaped; JSON Lines streams one article a line in constant memory.
    The shape is the JSON Schema that --schema prints. With -o, a regular file is replaced
    whole once the export is written (a failed export leaves the old file); a FIFO or a device
    such as /dev/stdout or /dev/null is written through, never replaced.
    """
    if schema:
        echo_json(export_schema())
        return
    if as_json and fmt == "jsonl":
        raise click.UsageError("--json is one JSON document: it does not go with --format jsonl")
    fmt = fmt or "json"
    filters = ExportFilter(lang=lang, site=site, since=since, article_ids=list(article_ids))
    with kb_errors(), open_index(db_path) as db:
        if output == "-":
            count = _export_to_stdout(db, fmt, filters)
        else:  # a regular file is replaced whole; a FIFO or device is written through
            count = export_to_file(db, output, fmt, filters)
    if output != "-":
        echo(f"{output}: {count} articles", err=True)


def _export_to_stdout(db: Any, fmt: str, filters: ExportFilter) -> int:
    """Write the export to standard output; a full disk behind it is a clear error. A reader
    that stops early (``| head``) is not one: kb stops quietly, as other tools do."""
    try:
        count = write_export(db, sys.stdout, fmt, filters)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise KbError(f"standard output: cannot be written: {e.strerror or e}") from e
    return count


@cli.command(name="import")
@click.argument("pages", nargs=-1, type=click.Path(dir_okay=False), metavar="PAGE...")
@click.option("--out", "out_dir", default="articles", show_default=True,
              type=click.Path(file_okay=False), help="Folder to write the articles to.")
@click.option("--dry-run", is_flag=True, help="Print the articles instead of writing them.")
@click.option("--force", is_flag=True, help="Overwrite articles that exist already.")
@click.option("--from-export", "export_file", type=click.Path(exists=True, dir_okay=False),
              help="Rebuild the articles of a kb export (json or jsonl) instead.")
def import_(pages: tuple[str, ...], out_dir: str, dry_run: bool, force: bool,
            export_file: str | None) -> None:
    """Make scraped pages (text or HTML) into Markdown articles for review.

    Each PAGE becomes OUT/<name>.md: the article found amid the page's chrome, its headings and
    their levels, Q&A pairs, and title, dates, category, author and site in the front matter.
    What was guessed is printed on stderr. A page that cannot be read, or holds no article, is
    named with the reason and nothing is written for it (the exit status is then 1). A page is
    read up to 20 MB (the environment variable KB_MAX_PAGE_BYTES sets another limit).

    Articles are written under OUT only, as plain file names (an export's ids and paths are
    checked first, all of them), never through a symbolic link, each file whole.
    """
    if export_file:
        if pages:
            raise click.UsageError("give either PAGE files or --from-export, not both")
        with kb_errors():
            written = write_from_export(Path(export_file), Path(out_dir), force=force,
                                        dry_run=dry_run)
        for path, markdown in written:
            if dry_run:
                echo(f"<!-- {path} -->\n{markdown}")
        echo(f"{len(written)} articles {'read from' if dry_run else 'written from'} "
             f"{export_file}" + ("" if dry_run else f" to {out_dir}"), err=True)
        return
    if not pages:
        raise click.UsageError("give at least one PAGE file (or --from-export FILE)")
    failed = 0
    for page in pages:
        try:
            imported = import_file(Path(page))
            if dry_run:
                echo(imported.markdown)
            else:
                target = write_imported(imported, Path(out_dir), force=force)
        except KbError as e:
            failed += 1
            echo(f"Error: {e}", err=True)
            continue
        echo(imported.summary() + ("" if dry_run else f"\n  written to {target}"), err=True)
    if failed:
        sys.exit(1)


def main() -> None:
    """Entry point of ``python -m kb`` and ``build_index.py``."""
    cli(prog_name="kb")


__all__ = ["cli", "main"]

