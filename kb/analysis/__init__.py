"""Text analysis: the Japanese analyzer (SudachiPy) and the English one (Snowball), the
language of a text, synonyms, the patient and bilingual lexicons, noun phrases and section roles.

The rest of kb uses :func:`get_analyzer` (index terms, readings, morphemes for facts),
:func:`analysis_dict` (what ``kb analyze --json`` and ``/-/analyze.json`` show), the span
codecs that mark matched words, :func:`detect_language`, the synonym and role-cue files
(:func:`load_synonyms`, :func:`load_role_cues`, :func:`parse_role_cues` for other cue files) and
the noun-phrase helpers fact extraction reads.
"""

from __future__ import annotations

from .analyzer import ANALYZER_VERSION, Analyzer, analysis_dict, analyzer_fingerprint, get_analyzer
from .english import ENGLISH_STOP_WORDS, EnglishAnalyzer
from .japanese import SYNONYM_GROUP_PREFIX, JapaneseAnalyzer, Morpheme, MorphemeSource, to_katakana
from .language import detect_language, has_japanese
from .phrases import (
    LIGHT_WORDS, Phrase, canonical_form, examples_before, list_after, noun_phrase_after,
    noun_phrase_before, phrase_key, split_coordination,
)
from .roles import RoleCues, TOKEN_PREFIX, load_role_cues, parse_role_cues, role_token
from .synonyms import Synonyms, load_synonyms
from .lexicon import load_bilingual, load_patient_words, parse_bilingual, parse_patient_words
from .tokens import IndexedText, Token, decode_spans, encode_spans, span_bounds

__all__ = [
    "ANALYZER_VERSION", "Analyzer", "ENGLISH_STOP_WORDS", "EnglishAnalyzer", "IndexedText",
    "JapaneseAnalyzer", "LIGHT_WORDS", "Morpheme", "MorphemeSource", "Phrase", "RoleCues",
    "SYNONYM_GROUP_PREFIX", "Synonyms", "TOKEN_PREFIX", "Token", "analysis_dict",
    "analyzer_fingerprint", "canonical_form", "decode_spans", "detect_language", "encode_spans",
    "examples_before", "get_analyzer", "has_japanese", "list_after", "load_bilingual",
    "load_patient_words", "load_role_cues", "load_synonyms", "noun_phrase_after",
    "noun_phrase_before", "parse_bilingual", "parse_patient_words", "parse_role_cues",
    "phrase_key", "role_token",
    "span_bounds", "split_coordination", "to_katakana",
]
