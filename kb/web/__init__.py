"""The site: kb's Datasette plugin. Its hooks are all in this module; the work they call is done
in the package's plain modules: the pages' routes (routes), the search and analyze pages' data
(pages), the article, duplicates and boilerplate pages (articles), analyzed table search
(tables), the site's words in two languages (i18n), SQL functions (sql_functions) and the answers
to hostile requests (guard).

The page templates are in ``templates/``, where Datasette looks for a plugin package's own: after
a ``--template-dir`` (which may override kb's pages), before Datasette's templates (which kb's
table.html and row.html extend).

The rest of kb uses nothing from here: Datasette loads it through the ``datasette`` entry point.
"""

from __future__ import annotations

import asyncio
import sqlite3

from datasette import hookimpl
from datasette.filters import FilterArguments
from markupsafe import Markup

from . import guard, routes, sql_functions, tables
from .i18n import choose_language, strings


@hookimpl
def prepare_connection(conn: sqlite3.Connection, datasette) -> None:
    """SQL functions on every connection: kb_terms, kb_tokens, kb_query, kb_highlight,
    kb_symptom_match (see kb/web/sql_functions.py), held to Datasette's time limit."""
    sql_functions.register(conn, datasette.setting("sql_time_limit_ms"))


@hookimpl
def asgi_wrapper(datasette):
    """Any method but GET and HEAD is a 405, Datasette's own arguments are checked before it
    reads them, and a redirect never leaves the site (see kb/web/guard.py)."""
    return lambda app: guard.guard(app, datasette)


@hookimpl
def handle_exception(datasette, request, exception):
    """A 400, not Datasette's 500, for an error the request caused (see kb/web/guard.py)."""
    fault = guard.client_fault(exception)
    if fault is None:
        return None
    status, message = fault
    return guard.error_response(datasette, request, status, message)


@hookimpl
def register_routes():
    """The search, analyze, article, duplicates and boilerplate pages."""
    return routes.routes()


# trylast: Datasette's own search filter runs before and says the table has no search (kb's FTS
# tables are not content tables it can detect); this one's context then shows the search box.
@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    """``?_search=`` on the sections and Q&A tables, analyzed as kb's search analyzes queries."""
    if table not in tables.SEARCHABLE:
        return None

    async def inner():
        db = await routes.kb_database(datasette)
        if db is None or db.name != database:  # another database's table of the same name
            return None
        # analysis takes a while for a long query: in a thread, not in Datasette's event loop
        found = await asyncio.to_thread(tables.table_search, table, request.args.get("_search"))
        return FilterArguments(found.where_clauses, found.params, found.human_descriptions,
                               found.extra_context)

    return inner


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    """On a searched sections or Q&A table page: the best matches by kb's ranking. On an
    article's row page: that it has a page of its own."""
    if request is None or table is None:
        return {}
    if view_name == "row" and table == "articles":
        async def article_link():
            db = await routes.kb_database(datasette)
            return {"kb_article_page": db is not None and db.name == database}

        return article_link
    text = (request.args.get("_search") or "").strip()
    if view_name != "table" or table not in tables.SEARCHABLE or not text:
        return {}

    async def ranked():
        db = await routes.kb_database(datasette)
        if db is None or db.name != database:
            return {}
        lang = choose_language(request.args.get("lang"), request.headers.get("accept-language"))
        hits = await routes.run_plain(db, lambda conn: tables.ranked_matches(conn, table, text))
        return {"kb_ranked": hits, "kb_t": strings(lang), "kb_query": text,
                "kb_search_path": datasette.urls.path("/-/search")}

    return ranked


@hookimpl
def render_cell(value, column):
    """A ``snippet`` column made by kb_highlight() shows its marks; any other HTML stays text."""
    if column == "snippet" and isinstance(value, str) and sql_functions.is_marked_text(value):
        return Markup(value)
    return None


@hookimpl
def menu_links(datasette, request):
    """The kb pages in Datasette's menu."""
    t = strings(choose_language(request.args.get("lang") if request else None,
                                request.headers.get("accept-language") if request else None))
    return [
        {"href": datasette.urls.path("/-/search"), "label": t["search_title"]},
        {"href": datasette.urls.path("/-/duplicates"), "label": t["duplicates_title"]},
        {"href": datasette.urls.path("/-/boilerplate"), "label": t["boilerplate"]},
        {"href": datasette.urls.path("/-/analyze"), "label": t["analyze_title"]},
    ]
