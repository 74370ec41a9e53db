"""Text analysis: the Japanese analyzer (SudachiPy) and the English one (Snowball), the
language of a text, synonyms, noun phrases and section roles.

The rest of kb uses :func:`get_analyzer` (index terms, readings, morphemes for facts), the span
codecs that mark matched words, :func:`detect_language`, the synonym and role-cue files
(:func:`load_synonyms`, :func:`load_role_cues`) and the noun-phrase helpers fact extraction reads.
"""

from __future__ import annotations

from .analyzer import (
    Analyzer, IndexedText, Morpheme, MorphemeSource, SYNONYM_GROUP_PREFIX, Token, analyzer_fingerprint, decode_spans, get_analyzer, span_bounds, to_katakana,
)
from .language import detect_language, has_japanese
from .phrases import (
    LIGHT_WORDS, Phrase, canonical_form, examples_before, list_after, noun_phrase_after, noun_phrase_before, phrase_key, split_coordination,
)
from .roles import RoleCues, TOKEN_PREFIX, load_cues, load_role_cues, role_token, roles_fingerprint
from .synonyms import Synonyms, default_synonyms_path, load_synonyms

__all__ = [
    "Analyzer", "IndexedText", "LIGHT_WORDS", "Morpheme", "MorphemeSource", "Phrase", "RoleCues",
    "SYNONYM_GROUP_PREFIX", "Synonyms", "TOKEN_PREFIX", "Token", "analyzer_fingerprint",
    "canonical_form", "decode_spans", "default_synonyms_path", "detect_language",
    "examples_before", "get_analyzer", "has_japanese", "list_after", "load_cues", "load_role_cues",
    "load_synonyms", "noun_phrase_after", "noun_phrase_before", "phrase_key", "role_token",
    "roles_fingerprint", "span_bounds", "split_coordination", "to_katakana",
]
