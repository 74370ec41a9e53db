"""Text for a terminal: what an article, a page or a file name holds is shown, never obeyed.

Article text, a scraped page, an export or a file name can hold characters a terminal obeys
instead of showing: escape sequences (``ESC ] 0 ; … BEL`` sets the window title, ``ESC ] 52``
writes the clipboard, ``ESC [ … J`` clears the screen), a carriage return that overwrites the
line, the C1 controls some terminals read as escapes, and bidirectional overrides (U+202E) that
show text in another order than it is. Every human-readable line kb prints goes through
:func:`visible`, which writes them as escapes (``\\x1b``, ``\\u202e``); JSON keeps them,
escaped by :func:`json_text`, so a parser reads back exactly the text that was stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls but tab and line feed, DEL, C1 controls, and Unicode's bidirectional controls
# (ALM, LRM, RLM, the embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069).
_OBEYED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character a terminal would obey written as an escape (``\\x1b``);
    tabs and line breaks are kept."""
    return _OBEYED.sub(_escape, text)


def json_text(data: Any, indent: int | None = None) -> str:
    """``data`` as JSON with Japanese unescaped and every character a terminal would obey
    escaped (``\\u001b``, ``\\u202e``): the same value for a parser, inert on a screen."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    # json.dumps escapes C0 controls already; DEL, C1 and the bidirectional controls only
    # occur inside strings (JSON's own syntax is ASCII), where \\uXXXX means the same character
    return _OBEYED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["json_text", "visible"]
