"""The site under hostile requests, through the real Datasette app over a real index (Datasette's
in-process client): every method, odd paths and odd arguments get a 4xx, never a 500; a redirect
never leaves the site; a <script> in the request never comes back unescaped.

Datasette 0.65.5 itself answers 500 to some of these and redirects ``/\\evil.example/`` off-site;
kb/web/guard.py (the plugin's ASGI wrapper and exception hook) is what these tests hold to it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from web_fixtures import datasette_for

PAYLOAD = "<script>alert('kb-sweep')</script>"
P = quote(PAYLOAD, safe="")
METHODS = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"]
# What the site serves: Datasette's pages (tables, rows, canned queries) and kb's.
PAGES = [
    "/", "/kb", "/kb.json", "/kb/articles", "/kb/articles.json", "/kb/articles.csv",
    "/kb/sections", "/kb/qa.json", "/kb/facts", "/kb/duplicates.json", "/kb/sections_fts",
    "/kb/articles/dizziness", "/kb/sections/1.json", "/kb/search", "/kb/search.json",
    "/kb/causes", "/kb/outline.json", "/-/search", "/-/search.json", "/-/analyze.json",
    "/-/articles/dizziness", "/-/duplicates", "/-/boilerplate", "/-/metadata.json",
    "/-/versions.json", "/kb/nothing", "/nothing",
]
# Paths that ask for a redirect elsewhere (upstream issues 2429 and 2680) or carry markup.
ODD_PATHS = [
    "/\\evil.example/", "/%5Cevil.example/", "/%5cevil.example/", "//evil.example/",
    "///evil.example/", "/\\\\evil.example", "/\\\\evil.example/", "/\\/evil.example/",
    "/%2F%2Fevil.example/", "/%5C%5Cevil.example/", "/\\evil.example/x/", "/kb/articles/",
    "/kb/", "/-/search/", "/kb/" + P, "/-/articles/" + P, "/" + P + "/",
    "/kb/articles.json/", "/\\evil.example/.json", "/%09/evil.example/",
]
# Datasette's own arguments with values it does not expect, and kb's, carrying the payload.
ODD_ARGS = [
    "", "_sort=nope", "_sort_desc=nope", "_sort=id&_sort_desc=id", "_sort=" + P,
    "_sort_desc=" + P, "_sort_by_desc=on&_sort=nope", "_timelimit=zz", "_timelimit=-5",
    "_timelimit=" + "9" * 40, "_through=zz", "_through={}", "_through=[1]",
    '_through={"table":"x","column":"y","value":"z"}', "_facet=" + P, "_facet=nope",
    "_facet_array=nope", "_facet_date=" + P, "_facet_size=zz", "_size=-1", "_size=zz",
    "_size=" + "9" * 30, "_next=" + P, "_next=zz", "_col=" + P, "_nocol=" + P, "_shape=" + P,
    "_shape=objects&_labels=zz", "_label=" + P, "_search=" + P, "_search_nope=x",
    "_searchmode=raw&_search=" + P, "_fts_table=nope&_search=x", "_where=1", "sql=select+1",
    "id__nope=1", "id__in=" + P, "id__in=[1", 'id__in=[{"a":1}]', "id__notin=[[1]]",
    '_through={"table":1,"column":{},"value":[]}', "_facet={", '_facet={"array":"x"}',
    "_facet_size={", "_sort=rowid", "_timelimit=", "_timelimit=1e3", "_filter_column=" + P + "&_filter_op=exact&_filter_value=1",
    "_filter_column_1=id&_filter_op_1=zz&_filter_value_1=" + P, "_nl=on&_shape=array",
    "_stream=on&_sort=nope", "_dl=1&_sort=nope", "_json=" + P, "_json_infinity=on", "_ttl=zz",
    "_trace=1", "_context=1", "_hide_sql=1", "_nocount=1", "_nofacet=1", "_nosuggest=1",
    "q=" + P, "text=" + P, "lang=" + P, "page=" + P, "article=" + P, "kind=" + P,
    "symptom=" + P, "article_id=" + P, "%FF=%FE", "_sort=%00", "_sort=" + "x" * 3000,
]
# Where Datasette reads those arguments: tables, a row, canned queries and kb's pages.
ARG_PAGES = ["/kb/articles", "/kb/sections.json", "/kb/articles.csv", "/kb/search",
             "/kb/causes.json", "/kb/articles/dizziness", "/-/search"]


def requests() -> list[tuple[str, str]]:
    """(method, path) pairs: every page and odd path by every method, every odd argument on
    the pages that read arguments."""
    out = [(m, p) for p in PAGES + ODD_PATHS for m in ["GET", "HEAD", *METHODS]]
    out += [("GET", f"{p}?{a}") for p in ARG_PAGES for a in ODD_ARGS]
    out += [(m, f"{p}?{a}") for p in ("/kb/articles", "/kb/search") for a in ODD_ARGS[:12]
            for m in ("POST", "TRACE")]
    return out


def same_site(location: str) -> bool:
    """A Location a browser resolves to this site: a path starting with one '/' (browsers read
    '\\' as '/' and drop tabs and newlines, so neither may make a second one)."""
    cleaned = re.sub(r"[\t\n\r]", "", location).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08"
                                                          "\x0b\x0c\x0e\x0f\x10 ")
    return cleaned.startswith("/") and cleaned[1:2] not in ("/", "\\")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from web_fixtures import build_site

    return build_site(tmp_path_factory.mktemp("guard"))


@pytest.fixture
async def ds(site):
    return await datasette_for(site)


async def test_hostile_requests_get_4xx_same_site_redirects_and_escaped_text(ds):
    sweep = requests()
    assert len(sweep) > 700
    faults = []
    for method, path in sweep:
        response = await ds.client.request(method, path, follow_redirects=False)
        location = response.headers.get("location")
        if response.status_code >= 500:
            faults.append((method, path, response.status_code, response.text[:120]))
        if location is not None and not same_site(location):
            faults.append((method, path, response.status_code, "Location: " + location))
        if PAYLOAD in response.text and "html" in response.headers.get("content-type", ""):
            faults.append((method, path, response.status_code, "unescaped payload"))
    assert not faults, f"{len(faults)} faults, first: {faults[:15]}"


@pytest.mark.parametrize("path", ["/\\evil.example/", "/%5Cevil.example/", "//evil.example/",
                                  "/\\\\evil.example/", "/\\/evil.example/", "/\\evil.example"])
async def test_a_redirect_never_leaves_the_site(ds, path):
    response = await ds.client.get(path, follow_redirects=False)
    location = response.headers.get("location")
    assert response.status_code < 500
    assert location is None or same_site(location), location


@pytest.mark.parametrize("args", ["_sort=nope", "_sort_desc=nope", "_sort=id&_sort_desc=id",
                                  "_timelimit=zz", "_through=zz", "_through={}", "id__in=[1",
                                  'id__in=[{"a":1}]', "_facet={", "_stream=on&_sort=nope"])
async def test_bad_table_arguments_are_a_400_that_says_why(ds, args):
    page = await ds.client.get("/kb/articles?" + args)
    data = await ds.client.get("/kb/articles.json?" + args)
    assert page.status_code == data.status_code == 400, (page.status_code, data.status_code)
    assert data.json()["ok"] is False and data.json()["error"]


@pytest.mark.parametrize("method, path", [("POST", "/kb/articles"), ("POST", "/kb/search"),
                                          ("POST", "/-/search"), ("TRACE", "/"),
                                          ("FOO", "/kb"), ("PATCH", "/kb/articles.json")])
async def test_the_site_is_read_only_any_other_method_is_405(ds, method, path):
    response = await ds.client.request(method, path)
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


async def test_reading_still_works(ds):
    assert (await ds.client.get("/kb/articles?_sort=title")).status_code == 200
    assert (await ds.client.get("/kb/articles.json?_sort_desc=updated&_timelimit=500")).status_code == 200
    head = await ds.client.request("HEAD", "/kb/articles")
    assert head.status_code == 200
    moved = await ds.client.get("/kb/articles/", follow_redirects=False)
    assert moved.status_code == 302 and moved.headers["location"] == "/kb/articles"


@pytest.mark.parametrize("location, expected", [
    ("/kb/articles", "/kb/articles"), ("/kb?q=1#x", "/kb?q=1#x"), ("/\\evil.example", "/evil.example"),
    ("//evil.example/x", "/evil.example/x"), ("\\\\evil.example", "/evil.example"),
    ("/\t/evil.example", "/evil.example"), (" //evil.example", "/evil.example"),
    ("https://evil.example/kb?x=1", "/kb?x=1"), ("https:\\\\evil.example\\kb", "/kb"),
    ("javascript:alert(1)", "/alert(1)"), ("", "/"), ("/~5Cevil~2Eexample/", "/~5Cevil~2Eexample/"),
])
def test_same_site_location_reads_a_target_as_a_browser_does(location, expected):
    from kb.web.guard import same_site_location

    assert same_site_location(location) == expected
    assert same_site(expected)
