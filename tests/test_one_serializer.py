"""One JSON shape per result: the command and the site print the same analysis and the same hits
(each serialized by its own type), where their contracts overlap; the site only adds its paging,
filters and symptom panel."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from kb.cli import cli
from kb.facts import matching_symptom_keys, summarize_key
from kb.index import open_index
from kb.web.pages import PANEL_SOURCES

from web_fixtures import datasette_for

ANALYZED = ["背中が熱くて眠れない", "胃腸炎の症状", "Numbness in the hands", "スマホ首"]
QUERIES = ["背中が熱い", "めまい 原因", "しびれ 何科", "back pain", "頭痛"]


@pytest.fixture
async def ds(built_db):
    return await datasette_for(built_db)


async def web_json(ds, path: str) -> dict:
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[-500:])
    return response.json()


def cli_json(runner, *args: str) -> dict:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("text", ANALYZED)
async def test_kb_analyze_json_is_the_analyze_pages_json(ds, runner, text):
    page = await web_json(ds, "/-/analyze.json?text=" + quote(text))
    assert cli_json(runner, "analyze", text) == page
    assert {"surface", "term", "alts", "parts", "reading", "start", "end"} <= set(page["tokens"][0])


async def test_kb_analyze_json_keeps_the_parts_of_a_compound(runner):
    tokens = cli_json(runner, "analyze", "胃腸炎")["tokens"]
    assert any(t["parts"] for t in tokens)


async def test_kb_search_json_is_the_search_pages_json(ds, runner, built_db):
    kinds = set()
    for query in QUERIES:
        page = await web_json(ds, "/-/search.json?q=" + quote(query))
        printed = cli_json(runner, "search", query, "--db", str(built_db))
        assert printed["query"] == page["query"] == query
        assert printed["hits"] == page["hits"], query
        assert "truncated" not in printed and "truncated" not in page
        kinds |= {hit["kind"] for hit in page["hits"]}
    assert {"section", "fact"} <= kinds  # a fact hit's "fact" is serialized alike too


async def test_the_search_pages_symptom_panel_is_the_summarys_own_dict(ds, built_db):
    page = await web_json(ds, "/-/search.json?q=" + quote("背中が熱い"))
    with open_index(built_db) as db:
        summary = summarize_key(db, matching_symptom_keys(db, "背中が熱い")[0],
                                sources=PANEL_SOURCES)
        expected = json.loads(json.dumps(summary.to_dict(), ensure_ascii=False))
    assert page["symptom"] == expected
    assert page["symptom"]["relations"][0] == "warning"
