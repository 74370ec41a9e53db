"""An article's YAML front matter to plain data, at a bounded cost, or a clear error with its line.

YAML can say a lot in a few bytes: aliases (``*a``) repeat a value without copying it, so nine
lines of nine aliases each stand for 9**9 values (the "billion laughs"), and an alias inside its
own anchor stands for an endless value. PyYAML builds such a document cheaply as shared objects,
but turning it into JSON (as the index stores it) would expand every copy. Anchors, aliases and
merge keys (``<<: *defaults``) stay allowed, since a hand-written list of facts may reasonably
share parts; instead the document is measured as a tree, before anything is built: at most
:data:`MAX_VALUES` values once aliases are expanded, nested at most :data:`MAX_DEPTH` levels (a
value that contains itself is refused as such). SnakeYAML and Symfony count aliases to
collections (50 and 128 by default) and go-yaml the decoding work aliases cause; measuring the
expansion itself refuses exactly what would be expensive and lets any harmless sharing through.
It is measured on PyYAML's composed nodes, where sharing is visible, so it costs one visit per
node written, not per node expanded.

PyYAML's safe constructors raise plain Python exceptions for some values they cannot build
(``2025-02-30`` raises ValueError, ``!!bool maybe`` KeyError, ``!!timestamp x`` AttributeError);
the loader here reports every such failure as a YAML error at the value's line.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import InvalidArticle

# Far more than any front matter needs (a few fields, a list of facts of a few keys each), and
# small enough that expanding, checking and storing it all stays a matter of milliseconds.
MAX_VALUES = 10_000
MAX_DEPTH = 32

# libyaml's parser when PyYAML was built with it (several times faster), else the Python one
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# What a tag's values are called in a message ("'2025-02-30' is not a valid date").
_TAG_NAMES = {"timestamp": "date", "int": "integer", "float": "number", "bool": "true or false"}


class FrontMatterLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, with any value it cannot build reported as a ConstructorError."""

    def __init__(self, source: str):
        super().__init__(source)
        self.source = source

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as e:  # safe constructors are functions of the text alone, so whatever
            # they raise is about this value: name it and its line
            message = _cannot_build(node, e, self.source)
            raise ConstructorError(None, None, message, node.start_mark) from e


def _cannot_build(node: Node, error: Exception, source: str) -> str:
    """What a value that could not be built is, for a message."""
    kind = node.tag.rsplit(":", 1)[-1]
    # ValueError and OverflowError say what is wrong (day is out of range for month); the others
    # (KeyError 'maybe', AttributeError on a failed match) only say where PyYAML tripped.
    why = f" ({error})" if isinstance(error, (ValueError, ArithmeticError)) else ""
    if not isinstance(node, ScalarNode):
        return f"cannot read this {kind}{why}"
    shown = node.value if len(node.value) <= 40 else node.value[:40] + "..."
    # an unquoted value without a tag (!!int) had its type guessed from its look: quotes make it text
    written = source[node.start_mark.index:node.end_mark.index]
    hint = "; put it in quotes to keep it as text" if not node.style and "!" not in written else ""
    return f"{shown!r} is not a valid {_TAG_NAMES.get(kind, kind)}{why}{hint}"


def _construct_int(loader: SafeConstructor, node: ScalarNode) -> int:
    """An integer, refused past the digits Python will write out (binary, hex and 1:2:3 forms
    bypass that limit when read, and would fail later when the index stores them)."""
    value = SafeConstructor.construct_yaml_int(loader, node)
    limit = sys.get_int_max_str_digits() or 4300
    if value.bit_length() > limit * 3.32:  # log2(10) bits per decimal digit
        raise ValueError(f"it has more than {limit} digits")
    return value


def _refuse_binary(loader: SafeConstructor, node: ScalarNode) -> Any:
    raise ConstructorError(None, None, "binary data (!!binary) is not a front-matter value",
                           node.start_mark)


FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
FrontMatterLoader.add_constructor("tag:yaml.org,2002:binary", _refuse_binary)


class _TooLarge(Exception):
    """Front matter past the bounds, with the node where it went past them."""

    def __init__(self, message: str, node: Node):
        super().__init__(message)
        self.node = node


def load_front_matter(source: str, path: str, first_line: int = 2) -> dict[str, Any]:
    """The mapping a front matter's YAML ``source`` holds, as JSON-friendly data.

    ``first_line`` is the file line of the source's first line (after the opening ``---``).
    Raises :class:`InvalidArticle` naming ``path`` and the line for anything that is not valid
    YAML, a value PyYAML cannot build, a document past the bounds above, or a top level that is
    not a mapping.
    """
    if not source.strip():
        return {}
    loader = FrontMatterLoader(source)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _measure(node)
        data = loader.construct_document(node)
    except yaml.YAMLError as e:
        raise InvalidArticle(path, f"front matter is not valid YAML: {_problem(e)}",
                             _line_of_error(e, first_line)) from e
    except _TooLarge as e:
        raise InvalidArticle(path, f"front matter {e}", e.node.start_mark.line + first_line) from e
    except RecursionError as e:  # only the pure-Python parser recurses (libyaml stops at 1000)
        raise InvalidArticle(path, f"front matter nests more than {MAX_DEPTH} levels deep",
                             first_line) from e
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InvalidArticle(path, "front matter must be a mapping of fields (key: value)", first_line)
    return {str(k): _plain_value(v) for k, v in data.items()}


def _measure(root: Node) -> None:
    """Raise _TooLarge when ``root``, with aliases expanded, holds more than MAX_VALUES values,
    nests deeper than MAX_DEPTH or contains itself. Each node is visited once: a shared node's
    size and height are remembered, so the cost is that of the text, not of its expansion."""
    known: dict[int, tuple[int, int]] = {}  # id(node) -> (values, levels) of its expansion
    open_nodes: set[int] = set()

    def visit(node: Node, depth: int) -> tuple[int, int]:
        seen = known.get(id(node))
        if seen is None:
            if id(node) in open_nodes:
                raise _TooLarge("has a value that contains itself (an alias inside its own anchor)",
                                node)
            if depth > MAX_DEPTH:
                raise _TooLarge(f"nests more than {MAX_DEPTH} levels deep", node)
            open_nodes.add(id(node))
            values, levels = 1, 1
            for child in _children(node):
                child_values, child_levels = visit(child, depth + 1)
                values += child_values
                levels = max(levels, child_levels + 1)
                if values > MAX_VALUES:
                    raise _TooLarge(f"holds more than {MAX_VALUES:,} values with its aliases "
                                    "expanded", node)
            open_nodes.discard(id(node))
            seen = known[id(node)] = (values, levels)
        if depth + seen[1] - 1 > MAX_DEPTH:  # a shared node, deeper here than where measured
            raise _TooLarge(f"nests more than {MAX_DEPTH} levels deep", node)
        return seen

    visit(root, 1)


def _children(node: Node) -> list[Node]:
    if isinstance(node, ScalarNode):
        return []
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)


def _plain_value(value: Any) -> Any:
    """YAML values as JSON-friendly data: dates become ISO strings, sets sorted lists."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain_value(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_plain_value(v) for v in value]
    return value


def _problem(error: yaml.YAMLError) -> str:
    return getattr(error, "problem", None) or str(error).split("\n")[0]


def _line_of_error(error: yaml.YAMLError, first_line: int) -> int:
    """The file line a YAML error is about: where an unclosed quote or bracket opened
    (context_mark), else where the parser gave up (problem_mark)."""
    context = getattr(error, "context", None) or ""
    unclosed = "quoted scalar" in context or "flow" in context
    mark = (getattr(error, "context_mark", None) if unclosed else None) or getattr(
        error, "problem_mark", None
    )
    return mark.line + first_line if mark is not None else first_line - 1  # the opening ---
