"""What a search returns: :class:`Hit` and :class:`SearchResult`, and their one JSON shape.

``kb search --json``, ``/-/search.json`` and the table search's best matches all serialize hits
with :meth:`Hit.to_dict`; the web only adds its own rendering of the snippet.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Hit:
    """One search result, in the shape of the DESIGN contract (plus a few helpful extras)."""

    kind: str
    article_id: str
    article_title: str
    heading: str
    text: str
    snippet: str
    score: float
    url: str | None
    section_id: int | None = None
    anchor: str | None = None
    lang: str | None = None
    site: str | None = None
    fact: dict[str, Any] | None = None  # for kind "fact": symptom, cause, relation…

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON shows it: every field, ``fact`` only for a fact. A new dict (and a
        copy of ``fact``), made without dataclasses.asdict's deep copy: a search page serializes
        every hit, and asdict took a tenth of the request."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.fact is None:
            del data["fact"]
        else:
            data["fact"] = dict(self.fact)
        return data


@dataclass
class SearchResult:
    """A query and its hits, best first."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    truncated: bool = False
    total: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN contract: ``query`` and ``hits`` (and ``truncated`` when the query was cut)."""
        data: dict[str, Any] = {"query": self.query, "hits": [h.to_dict() for h in self.hits]}
        if self.truncated:
            data["truncated"] = True
        return data
