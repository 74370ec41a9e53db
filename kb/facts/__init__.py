"""Symptom facts: extraction from an article (the symptom, causes, self-care, departments,
warning signs, with the sentence they come from) and lookup by symptom, however it is worded.

The build calls :func:`extract_facts`; search, the CLI and the web use :func:`find_facts` and
:func:`summarize` for a symptom panel.
"""

from __future__ import annotations

from .article_symptoms import article_symptoms
from .cause_kinds import cause_kind, load_cause_kinds
from .extract import extract_facts
from .lookup import (
    SymptomSummary, find_facts, matching_symptom_keys, stored_symptom_keys,
    summarize_key,
)

__all__ = [
    "SymptomSummary", "article_symptoms", "cause_kind", "extract_facts",
    "find_facts", "load_cause_kinds", "matching_symptom_keys", "stored_symptom_keys",
    "summarize_key",
]
