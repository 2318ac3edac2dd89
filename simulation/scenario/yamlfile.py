"""Reading one YAML file safely: bounded in size, nesting and alias expansion, duplicate keys refused.

Hostile input is refused before anything is built from it:

* more than ``MAX_FILE_BYTES`` bytes;
* nesting deeper than ``MAX_DEPTH`` mappings/sequences (the bundled files nest at most 8 deep);
* more than ``MAX_NODES`` values once every alias is expanded (an "alias bomb" of a few hundred
  bytes expands to billions; the largest bundled file, parameters.yaml, expands to about 1,100);
* a key repeated in one mapping (YAML would silently keep the last value).

The bounds are checked in one pass over libyaml's event stream (no recursion, no objects built),
so a refused file costs milliseconds. Files are then built with libyaml (``CSafeLoader``) when
PyYAML has it; on a syntax error the pure-Python parser is asked again, because its messages are
the ones users read (line, column, what was expected).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from .errors import Issue, ScenarioError

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


class _UniqueKeys:
    """Constructor mix-in: a key given twice in one mapping is an error (merged ``<<`` keys may be overridden)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    repeated = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base constructor reports it
                if repeated:
                    raise ConstructorError(None, None, f"duplicate key '{_clip(key)}' (YAML would keep only the last value)",
                                           key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _FastLoader(_UniqueKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml when PyYAML was built with it: ~10x faster than the pure-Python parser."""


class _WordedLoader(_UniqueKeys, yaml.SafeLoader):
    """The pure-Python parser: slower, but its error messages are the ones users see."""


def _clip(value: Any, width: int = 40) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _malformed(label: str, exc: yaml.YAMLError) -> ScenarioError:
    where = _where(getattr(exc, "problem_mark", None))
    problem = getattr(exc, "problem", None) or "not valid YAML"
    return ScenarioError([Issue(label, where, f"malformed YAML: {problem}")])


def _scan(events, label: str) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` and more than ``MAX_NODES`` values after alias expansion."""
    sizes: dict[str, int] = {}  # anchor -> expanded values under it
    open_: list[list] = []  # [anchor, values so far] of each open mapping or sequence
    total = 0
    for event in events:
        if isinstance(event, _OPEN):
            if len(open_) >= MAX_DEPTH:
                raise ScenarioError([Issue(label, _where(event.start_mark),
                                           f"nested more than {MAX_DEPTH} levels deep; scenario files need far fewer")])
            open_.append([event.anchor, 0])
            continue
        if isinstance(event, _CLOSE):
            anchor, size = open_.pop()
            size += 1
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                raise ScenarioError([Issue(label, _where(event.start_mark),
                                           f"malformed YAML: alias '*{_clip(event.anchor)}' has no complete anchor before it")])
            anchor, size = None, sizes[event.anchor]
        else:
            continue
        if anchor:
            sizes[anchor] = size
        if open_:
            open_[-1][1] += size
        else:
            total += size
        if size > MAX_NODES or total > MAX_NODES:
            raise ScenarioError([Issue(label, _where(event.start_mark),
                                       f"more than {MAX_NODES:,} values once aliases (*name) are expanded; "
                                       "scenario files need far fewer")])


def _check_shape(text: str, label: str) -> None:
    """``_scan`` libyaml's events; on a syntax error the pure-Python parser's, which words it."""
    try:
        _scan(yaml.parse(text, Loader=_FastLoader), label)
        return
    except yaml.YAMLError:
        pass
    try:
        _scan(yaml.parse(text, Loader=_WordedLoader), label)
    except yaml.YAMLError as exc:
        raise _malformed(label, exc) from None


def _read_text(path: Path | str) -> str:
    p = Path(path)
    if not p.is_file():
        raise ScenarioError([Issue(str(path), "", "file not found")])
    with p.open("rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([Issue(str(path), "", f"file is larger than {MAX_FILE_BYTES // 1000} kB")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:  # a Latin-1 or Shift-JIS file, or binary: never read as something else
        raise ScenarioError([Issue(str(path), "", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                                                   "save the file as UTF-8")]) from None


def read_yaml(path: Path | str, text: str | None = None) -> Any:
    """Parse a YAML file (or ``text`` labelled ``path``); malformed, oversized or hostile input -> ScenarioError."""
    label = str(path)
    if text is None:
        text = _read_text(path)
    elif len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise ScenarioError([Issue(label, "", f"file is larger than {MAX_FILE_BYTES // 1000} kB")])
    _check_shape(text, label)
    try:
        return yaml.load(text, Loader=_FastLoader)
    except (yaml.YAMLError, ValueError):
        pass  # built again below: the pure-Python constructor words the errors users see
    try:
        return yaml.load(text, Loader=_WordedLoader)
    except yaml.YAMLError as exc:
        raise _malformed(label, exc) from None
    except ValueError as exc:  # Python refuses to read integers of more than 4,300 digits
        raise ScenarioError([Issue(label, "", f"malformed YAML: {_clip(exc, 80)}")]) from None
