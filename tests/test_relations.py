"""The relation vocabulary (cause, self_care, department, warning) has one home, kb/model.py:
the export schema, section roles, the site's words and the CLI's titles agree with it."""

from __future__ import annotations

from kb.analysis.roles import ROLES
from kb.export import export_schema
from kb.model import RELATION_ORDER, RELATION_WORDS, RELATIONS
from kb.web.i18n import LANGUAGES, strings


def _enums(schema: object) -> list[list]:
    """Every ``enum`` of a schema whose values are relations, wherever it stands."""
    found = []
    if isinstance(schema, dict):
        if set(schema.get("enum") or ()) & {"self_care", "department"}:
            found.append(schema["enum"])
        for value in schema.values():
            found += _enums(value)
    elif isinstance(schema, list):
        for value in schema:
            found += _enums(value)
    return found


def test_the_export_schema_lists_the_relations_of_the_model():
    enums = _enums(export_schema())
    assert enums and all(enum == list(RELATIONS) for enum in enums)


def test_every_relation_has_its_words_and_its_place_in_listings():
    assert set(RELATION_WORDS) == set(RELATIONS) == set(RELATION_ORDER)
    assert len(RELATION_ORDER) == len(RELATIONS)
    assert ROLES == RELATIONS  # a section's role is the relation of the facts it names
    for lang in LANGUAGES:
        words = strings(lang)
        for relation in RELATIONS:
            assert words[relation] == RELATION_WORDS[relation].heading[lang]
            assert words[f"relation_{relation}"] == RELATION_WORDS[relation].label[lang]


def test_the_facts_command_titles_each_relation_in_listing_order():
    from kb.cli import RELATION_TITLES

    assert list(RELATION_TITLES) == list(RELATION_ORDER)
