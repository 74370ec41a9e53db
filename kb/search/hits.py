"""Search results: a hit in the shape of the DESIGN contract (plus optional extras), and the
result of a query."""

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
    # for kind "fact": every fact the query found in the section, best first (``fact`` is the
    # first), so one section's causes make one hit, not one card each
    facts: list[dict[str, Any]] | None = None
    # for a section with sub-sections: those directly below it, [{heading, anchor}], in order
    outline: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON shows it (``kb search --json``, ``/-/search.json``, the table search's
        best matches): every field, the optional ones only when they have a value. A new dict,
        made without dataclasses.asdict's deep copy (a search page serializes every hit, and
        asdict took a tenth of the request): ``fact``, ``facts`` and ``outline`` are the hit's
        own; read them, do not change them."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for optional in OPTIONAL_HIT_FIELDS:
            if data[optional] is None:
                del data[optional]
        return data


# Hit fields the JSON leaves out when they have no value (the DESIGN contract's fields are
# always there).
OPTIONAL_HIT_FIELDS = ("fact", "facts", "outline")


@dataclass
class SearchResult:
    """A query and its hits, best first."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    truncated: bool = False
    total: int = 0  # how many sections and Q&A pairs match (what a page says it found)
    ranked: int = 0  # how many hits can be paged through: those units and their facts' hits

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN contract: ``query`` and ``hits`` (and ``truncated`` when the query was cut)."""
        data: dict[str, Any] = {"query": self.query, "hits": [h.to_dict() for h in self.hits]}
        if self.truncated:
            data["truncated"] = True
        return data


