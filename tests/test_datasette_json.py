"""The Datasette JSON API examples of the README, run against a real Datasette (no server)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from datasette.app import Datasette

from helpers import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### Datasette's JSON API", 1)[1].split("\n## ", 1)[0]
EXAMPLES = re.findall(r"^GET (\S+)$", SECTION, re.M)
METADATA = yaml.safe_load((REPO_ROOT / "metadata.yml").read_text(encoding="utf-8"))
CANNED = METADATA["databases"]["kb"].get("queries", {})


def test_the_readme_has_examples_of_each_kind():
    assert len(EXAMPLES) >= 7
    assert any("_shape=array" in u for u in EXAMPLES) and any("_nl=on" in u for u in EXAMPLES)
    assert any(u.startswith("/-/search.json?q=") for u in EXAMPLES)
    assert any(name in u for u in EXAMPLES for name in CANNED)


def test_no_readme_example_runs_sql_the_public_site_refuses():
    assert METADATA.get("allow_sql") is False
    refused = [u for u in EXAMPLES if "sql=" in u or "_where=" in u]
    assert not refused, f"metadata.yml refuses arbitrary SQL (allow_sql: false): {refused}"


def _missing_route(datasette: Datasette, url: str) -> str | None:
    """Why an example cannot run on this checkout (its canned query or route is not here)."""
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1].removesuffix(".json")
    if path.startswith("/kb/") and name not in CANNED and name not in METADATA["databases"]["kb"]["tables"]:
        return f"metadata.yml has no canned query {name!r}"
    return None


@pytest.mark.parametrize("url", EXAMPLES)
async def test_readme_example_returns_json(built_db, url):
    datasette = Datasette([str(built_db)], metadata=METADATA)
    reason = _missing_route(datasette, url)
    if reason:
        pytest.skip(reason)
    response = await datasette.client.get(url)
    if url.startswith("/-/search") and response.status_code == 404:
        pytest.skip("the kb plugin of this checkout has no /-/search.json route")
    assert response.status_code == 200, response.text[:300]
    query = parse_qs(urlsplit(url).query)
    if query.get("_nl") == ["on"]:
        rows = [json.loads(line) for line in response.text.splitlines()]
    else:
        rows = json.loads(response.text)
    assert rows
    if query.get("_shape") == ["array"]:
        assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
        wanted = {c for c in query.get("_col", [])}
        assert all(wanted <= set(r) for r in rows)
    if "lang" in query:
        assert all(r["title"] for r in rows)
