"""The kb pages of the Datasette site: each reads its request, calls the package's page modules
(pages, articles) on the kb database's connection (in Datasette's SQL threads) and renders a
template or JSON.

Pages: ``/-/search`` (and ``.json``), ``/-/analyze`` (and ``.json``), ``/-/articles/<id>``,
``/-/duplicates`` and ``/-/boilerplate``. Registered by kb/web/__init__.py.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import weakref
from typing import Any, Callable
from urllib.parse import quote, unquote

from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from ..analysis import analysis_dict
from . import pages as web, articles as web_articles
from .i18n import choose_language, strings

ROUTES = [
    (r"^/-/search(?P<format>\.json)?$", "search"),
    (r"^/-/analyze(?P<format>\.json)?$", "analyze"),
    (r"^/-/articles/(?P<article_id>[^/]+)$", "article"),
    (r"^/-/duplicates$", "duplicates"),
    (r"^/-/boilerplate$", "boilerplate"),
]


# datasette instance -> the name of its kb database (looked up once: the files never change)
_KB_DATABASE: "weakref.WeakKeyDictionary[Any, str]" = weakref.WeakKeyDictionary()


async def kb_database(datasette):
    """The database holding the kb index: the plugin's ``database`` setting, else the first one
    with a ``kb_meta`` table (the file may be named anything), else None."""
    configured = (datasette.plugin_config("kb") or {}).get("database")
    if configured:
        return datasette.databases.get(configured)
    name = _KB_DATABASE.get(datasette)
    if name in datasette.databases:
        return datasette.databases[name]
    for name, db in datasette.databases.items():
        if name == "_internal" or db.is_memory:
            continue
        if await db.table_exists("kb_meta"):
            _KB_DATABASE[datasette] = name
            return db
    return None


async def run_plain(db, fn: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run ``fn`` on one of the database's connections with plain tuple rows (kb's code indexes
    rows as tuples), restoring Datasette's row factory afterwards."""

    def plain(conn: sqlite3.Connection) -> Any:
        saved = conn.row_factory
        conn.row_factory = None
        try:
            return fn(conn)
        finally:
            conn.row_factory = saved

    return await db.execute_fn(plain)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, default=str), status=status,
                    content_type="application/json; charset=utf-8")


def _page_context(datasette, request, path: str, keep: tuple[str, ...]) -> dict[str, Any]:
    """What every kb page shows: the language, its words, the link to the other language, the
    request's known arguments (for links that keep them) and the site's own paths."""
    lang = choose_language(request.args.get("lang"), request.headers.get("accept-language"))
    args = {k: request.args.get(k) for k in keep if request.args.get(k)}
    if request.args.get("lang") in ("ja", "en"):
        args["lang"] = lang
    other = "en" if lang == "ja" else "ja"
    return {
        "lang": lang, "t": strings(lang), "args": args,
        "switch_url": web.page_url(datasette.urls.path(path), args, lang=other),
        "kb_paths": {
            "search": datasette.urls.path("/-/search"),
            "analyze": datasette.urls.path("/-/analyze"),
            "duplicates": datasette.urls.path("/-/duplicates"),
            "boilerplate": datasette.urls.path("/-/boilerplate"),
        },
        "article_url": lambda article_id, **kw: web.page_url(
            datasette.urls.path("/-/articles/" + quote(str(article_id), safe="")),
            {"lang": args["lang"]} if "lang" in args else {}, **kw),
        "page_url": lambda **changes: web.page_url(datasette.urls.path(path), args, **changes),
    }


async def _html(datasette, request, template: str, context: dict[str, Any],
                status: int = 200) -> Response:
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)


async def _no_index(datasette, request, context: dict[str, Any], as_json: bool) -> Response:
    if as_json:
        return _json({"error": context["t"]["no_index"]}, status=404)
    context["message"] = context["t"]["no_index"]
    return await _html(datasette, request, "kb_message.html", context, status=404)


async def search(datasette, request) -> Response:
    """``/-/search?q=`` (the patients' page) and ``/-/search.json?q=`` (the same as JSON)."""
    as_json = bool(request.url_vars.get("format"))
    context = _page_context(datasette, request, "/-/search", ("q", "doc_lang", "site"))
    db = await kb_database(datasette)
    if db is None:
        return await _no_index(datasette, request, context, as_json)
    args = {k: request.args.get(k) for k in ("q", "doc_lang", "site", "page", "limit", "offset")}
    page = await run_plain(db, lambda conn: web.search_page(conn, args))
    if as_json:
        return _json(page.to_json())
    context.update(result=page, max_query_chars=web.MAX_QUERY_CHARS,
                   json_url=web.page_url(datasette.urls.path("/-/search.json"), context["args"]))
    return await _html(datasette, request, "kb_search.html", context)


async def analyze(datasette, request) -> Response:
    """``/-/analyze?text=``: how a text is analyzed, for editors (``.json`` for the data)."""
    as_json = bool(request.url_vars.get("format"))
    context = _page_context(datasette, request, "/-/analyze", ("text",))
    text, truncated = web.clean_text(request.args.get("text"), web.MAX_ANALYZE_CHARS)
    # analysis takes a while for a long text: in a thread, not in Datasette's event loop
    analysis = await asyncio.to_thread(analysis_dict, text)
    if truncated:
        analysis["truncated"] = True
    if as_json:
        return _json(analysis)
    context.update(analysis=analysis, max_chars=web.MAX_ANALYZE_CHARS)
    return await _html(datasette, request, "kb_analyze.html", context)


async def article(datasette, request) -> Response:
    """``/-/articles/<id>``: an article as a reader sees it, with its facts and duplicates."""
    article_id = unquote(request.url_vars["article_id"])
    context = _page_context(datasette, request, "/-/articles/" + quote(article_id, safe=""), ())
    db = await kb_database(datasette)
    if db is None:
        return await _no_index(datasette, request, context, False)
    data = await run_plain(db, lambda conn: web_articles.article_page(conn, article_id))
    if data is None:
        context["message"] = context["t"]["article_not_found"].format(article_id=article_id)
        return await _html(datasette, request, "kb_message.html", context, status=404)
    context.update(data, database=db.name,
                   row_url=datasette.urls.row(db.name, "articles", tilde_encode(article_id)))
    return await _html(datasette, request, "kb_article.html", context)


async def duplicates(datasette, request) -> Response:
    """``/-/duplicates[?article=&kind=&page=]``: duplicates side by side, differences marked."""
    context = _page_context(datasette, request, "/-/duplicates", ("article", "kind"))
    db = await kb_database(datasette)
    if db is None:
        return await _no_index(datasette, request, context, False)
    kind = request.args.get("kind")
    kind = kind if kind in ("exact", "near", "boilerplate") else None
    article_id = (request.args.get("article") or "").strip() or None
    page = web.to_int(request.args.get("page"), 1, 1, 10_000)
    data = await run_plain(db, lambda conn: web_articles.duplicates_page(
        conn, article_id=article_id, kind=kind, page=page))
    context.update(data)
    return await _html(datasette, request, "kb_duplicates.html", context)


async def boilerplate(datasette, request) -> Response:
    """``/-/boilerplate``: blocks repeated in enough articles (the build's setting), with their
    places."""
    context = _page_context(datasette, request, "/-/boilerplate", ())
    db = await kb_database(datasette)
    if db is None:
        return await _no_index(datasette, request, context, False)
    page = web.to_int(request.args.get("page"), 1, 1, 100_000)
    context.update(await run_plain(db, lambda conn: web_articles.boilerplate_page(conn, page)))
    return await _html(datasette, request, "kb_boilerplate.html", context)


def routes() -> list[tuple[str, Callable]]:
    """(regex, view) pairs for Datasette's register_routes."""
    views = {"search": search, "analyze": analyze, "article": article,
             "duplicates": duplicates, "boilerplate": boilerplate}
    return [(pattern, views[name]) for pattern, name in ROUTES]
