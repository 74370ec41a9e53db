"""What one request may cost the site: the public site runs no arbitrary SQL; where SQL is on,
kb's SQL functions refuse oversized input, a statement stops at the time limit even between
their calls, and a hostile statement never makes the patients' search wait (a real server,
two requests at once)."""

from __future__ import annotations

import threading
import time
from urllib.parse import quote

import pytest

from kb.web import sql_functions
from kb.errors import TextTooLong
from kb.search import MAX_QUERY_CHARS

from web_fixtures import datasette_for, http_get, serving, sql_metadata

TEXT_CAP = sql_functions.MAX_TEXT_CHARS


def q(text: str) -> str:
    return quote(text, safe="")


def repeated(count: int, char: str = "あ") -> str:
    """SQL for a text of ``count`` times ``char``: a short request for a long text."""
    return f"printf('%.*c', {count}, '{char}')"


# --- the public site ------------------------------------------------------------------------------

async def test_the_public_site_runs_no_arbitrary_sql(built_db):
    ds = await datasette_for(built_db)
    for path in ("/kb?sql=select+1", "/kb.json?sql=select+1",
                 "/kb.json?sql=" + q(f"select kb_terms({repeated(5_000_000)})"),
                 "/kb/articles?_where=1", "/kb/articles.json?_where=" + q("id = 'x'")):
        response = await ds.client.get(path)
        assert response.status_code == 403, (path, response.status_code)
    assert 'name="sql"' not in (await ds.client.get("/kb")).text  # no SQL box to offer
    # what the site offers works as before: canned queries (with kb's functions), tables, search
    hits = (await ds.client.get("/kb/search.json?_shape=array&q=" + q("背中が熱い"))).json()
    assert hits and "<mark>" in hits[0]["snippet"]
    causes = (await ds.client.get("/kb/causes.json?_shape=array&symptom=" + q("背中の熱さ"))).json()
    assert causes
    assert (await ds.client.get("/kb/articles.json?_shape=array&lang=ja")).json()
    assert (await ds.client.get("/kb/sections.json?_search=" + q("背中"))).json()["rows"]
    assert (await ds.client.get("/-/search.json?q=" + q("背中が熱い"))).json()["hits"]


# --- SQL functions, where SQL is on ---------------------------------------------------------------

CALLS = [  # each call with a text of {text} characters or a query of {query}
    "kb_terms({text})", "kb_tokens({text})", "kb_query({query})",
    "kb_highlight('背中が熱い', {query})", "kb_symptom_match('背中 熱い', {query})",
    "kb_symptom_match({text}, '背中')",
]


@pytest.mark.parametrize("call", CALLS)
async def test_each_sql_function_refuses_input_over_its_limit(built_db, call):
    ds = await datasette_for(built_db, sql_metadata())
    over = call.format(text=repeated(TEXT_CAP + 1), query=repeated(MAX_QUERY_CHARS + 1))
    response = await ds.client.get("/kb.json?sql=" + q("select " + over))
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "string or blob too big"  # SQLite's words for it
    at_limit = call.format(text=repeated(TEXT_CAP), query=repeated(MAX_QUERY_CHARS))
    assert (await ds.client.get("/kb.json?sql=" + q("select " + at_limit))).status_code == 200


@pytest.mark.parametrize("function, args", [
    (sql_functions.kb_terms, ("あ" * (TEXT_CAP + 1),)),
    (sql_functions.kb_tokens, (b"a" * (TEXT_CAP + 1),)),
    (sql_functions.kb_query, ("あ" * (MAX_QUERY_CHARS + 1),)),
    (sql_functions.kb_highlight, ("背中", "あ" * (MAX_QUERY_CHARS + 1))),
    (sql_functions.kb_symptom_match, ("背中", "あ" * (MAX_QUERY_CHARS + 1))),
])
def test_the_limit_is_named_in_the_error(function, args):
    with pytest.raises(TextTooLong, match=rf"^{function.__name__}: .* longer than [\d,]+ characters"):
        function(*args)


def test_highlight_looks_in_the_first_part_of_a_long_text():
    filler = "あ" * TEXT_CAP
    assert sql_functions.kb_highlight("背中が熱い" + filler, "背中").startswith("<mark>背中</mark>")
    beyond = sql_functions.kb_highlight(filler + "背中が熱い", "背中")
    assert "<mark>" not in beyond and beyond.endswith("…")


async def test_a_statement_stops_at_the_time_limit_between_function_calls(built_db):
    # each call is under the limit; SQLite checks the time only every 1,000 steps, which may be
    # dozens of calls, so the functions check it too
    ds = await datasette_for(built_db, sql_metadata(), sql_time_limit_ms=200)
    sql = ("with recursive r(n) as (select 1 union all select n + 1 from r where n < 100000) "
           f"select count(kb_tokens({repeated(TEXT_CAP - 10, '背')} || n)) from r")
    start = time.perf_counter()
    response = await ds.client.get("/kb.json?sql=" + q(sql))
    elapsed = time.perf_counter() - start
    assert response.status_code == 400 and "took too long" in response.json()["error"]
    assert elapsed < 1.0, f"{elapsed:.1f} s for a 0.2 s time limit"


# --- a hostile statement and a search at the same time, through a real server ---------------------

HOSTILE = {
    # the 110-byte request that held search for 15 s
    "one huge call": (f"select kb_terms({repeated(5_000_000)})", 400),
    # calls each under the limit, for as long as the time limit lets them run
    "many calls": ("with recursive r(n) as (select 1 union all select n + 1 from r "
                   f"where n < 100000) select count(kb_terms({repeated(TEXT_CAP - 10, '背')} || n)) "
                   "from r", 400),
}


@pytest.fixture(scope="module")
def sql_server(built_db):
    import asyncio

    ds = asyncio.run(datasette_for(built_db, sql_metadata(), sql_time_limit_ms=1500))
    with serving(ds) as base:
        assert http_get(base + "/-/search.json?q=" + q("めまい"))[0] == 200  # warm
        yield base


@pytest.mark.parametrize("name", HOSTILE)
def test_search_answers_while_a_hostile_statement_runs(sql_server, name):
    sql, status = HOSTILE[name]
    hostile: dict = {}

    def run_hostile() -> None:
        hostile["status"], hostile["body"] = http_get(sql_server + "/kb.json?sql=" + q(sql))
        hostile["end"] = time.perf_counter()

    thread = threading.Thread(target=run_hostile)
    thread.start()
    time.sleep(0.2)  # the hostile statement is under way
    start = time.perf_counter()
    code, body = http_get(sql_server + "/-/search.json?q=" + q(f"背中が熱くて眠れない {name}"))
    end = time.perf_counter()
    thread.join(60)
    assert code == 200 and b'"hits"' in body
    assert end - start < 1.0, f"search took {end - start:.1f} s while {name!r} ran"
    assert hostile["status"] == status, hostile["body"][:200]
    if name == "many calls":  # it was still running: the two did run at the same time
        assert hostile["end"] > end


def test_a_refused_argument_leaves_no_traceback_in_the_servers_log(monkeypatch):
    # Datasette has Python print every SQL function's exception with its traceback; a refusal
    # is an answer to the request, not a fault of the server
    import sqlite3
    import sys

    printed: list = []
    monkeypatch.setattr(sys, "unraisablehook", printed.append)
    sqlite3.enable_callback_tracebacks(True)  # as importing Datasette does
    conn = sqlite3.connect(":memory:")
    try:
        sql_functions.register(conn)
        with pytest.raises(sqlite3.DataError, match="string or blob too big"):
            conn.execute(f"select kb_query({repeated(MAX_QUERY_CHARS + 1)})").fetchall()
        assert printed == []
        conn.create_function("broken", 0, lambda: 1 / 0)  # any other fault is still printed
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("select broken()").fetchall()
        assert [type(u.exc_value) for u in printed] == [ZeroDivisionError]
    finally:
        conn.close()
