"""Parameter paths: how a sweep names one number (or one distribution) of a scenario.

A path addresses the validated scenario as a plain dict, ``Scenario.model_dump(mode="json",
by_alias=True)``:

* keys are separated by dots and list items are written ``[i]``: ``patient.weight_kg``,
  ``parameters.transfusion.trigger_hb_g_dl.value``;
* an item of a list of named things (strategies by ``name``, phases by ``id``) may also be
  addressed by that name, as a key: ``strategies.single-stage-three-exposure.stages[0]``,
  ``...exposures[2].phases.en_bloc_removal`` (same as ``...exposures[2].phases[2]``);
* short forms: ``parameters.`` may be left out (``transfusion.trigger_hb_g_dl``), and any key may
  be shortened to a prefix that starts exactly one key at that point (``trigger_hb`` for
  ``trigger_hb_g_dl``, ``bleeding`` for ``bleeding_ml_per_min``);
* ``phases.<id>.<rest>`` addresses a phase of the library wherever the scenario uses it: in every
  strategy and in ``parameters.staging.restage_phases`` (one swept number, several places).

What varying the addressed leaf means (``Mode``):

* ``set``: a plain number (``patient.weight_kg``, or a key inside a distribution such as
  ``...duration_min.median``) is set to the swept value; integer fields take the nearest integer;
* ``value``: a scalar ``Value`` (``{value, ci95, source}``, e.g. ``transfusion.trigger_hb``) has
  ``value`` set and ``ci95`` dropped, since a swept value may lie outside it;
* ``probability``: a ``Probability`` (``{p}`` or ``{events, n}``, e.g. ``icu.admission``) has ``p``
  set and ``events``/``n`` dropped;
* ``scale``: a distribution (``{dist: ...}``, e.g. ``...phases[4].bleeding``) is scaled: the swept
  number is a multiplier ``k > 0`` on the random variable, so every location and scale key
  (value, median, p95, min, mode, max, q1, q3, mean, sd) is multiplied by ``k`` and the shape (the
  coefficient of variation) stays; the base is 1. A beta distribution is a proportion and cannot
  be scaled: name ``.events`` or ``.n`` instead.

The caller re-validates what ``apply`` returns into a ``Scenario``, so a value the schema rejects
(a trigger above the target, a negative duration) fails with the schema's own message. Applied
to the validated ``Scenario`` itself (rather than its dump), ``apply`` returns dicts only along
the changed paths and the scenario's own models everywhere else; pydantic accepts those models
as they are, so re-validation checks the changed values and the models that hold them (with
their cross-field rules, up to the scenario's), not the whole scenario again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

SCALE_KEYS = ("value", "median", "p95", "min", "mode", "max", "q1", "q3", "mean", "sd")
_TOP = ("patient", "strategies", "parameters", "phases")
_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")

Location = tuple[str | int, ...]


class PathError(ValueError):
    """A path that does not address a number of the scenario; the message says where and why."""


class Mode(str, Enum):
    SET = "set"
    VALUE = "value"
    PROBABILITY = "probability"
    SCALE = "scale"


@dataclass(frozen=True)
class Target:
    """A resolved path: where the swept number goes and how it is applied."""

    path: str  # as written in the spec
    canonical: str  # the full path of the (first) place it addresses
    locations: tuple[Location, ...]  # keys and indices into the dumped scenario
    mode: Mode
    base: float  # the scenario's own value (1.0 for a scale)
    integer: bool  # an integer field: values are rounded

    @property
    def places(self) -> int:
        return len(self.locations)


def tokens(path: str) -> list[str | int]:
    """``'a.b[2].c'`` -> ``['a', 'b', 2, 'c']``; raises ``PathError`` on malformed text."""
    out: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise PathError(f"cannot read the path at character {pos + 1} ({text[pos:]!r}); write keys.like[0].this")
        out.append(int(m.group(1)) if m.group(1) is not None else m.group(2))
        pos = m.end()
        if pos < len(text) and text[pos] == ".":
            pos += 1
            if pos == len(text) or text[pos] in ".[":
                raise PathError(f"empty key after the dot at character {pos}")
    if not out:
        raise PathError("the path is empty")
    return out


def render(tree: dict, loc: Location) -> str:
    """Readable text of a location, with strategies and phases shown by name."""
    text, node = "", tree
    for key in loc:
        if isinstance(key, int):
            name = _item_name(node[key])
            text += f".{name}" if name and isinstance(node[key], dict) and "name" in node[key] else f"[{key}]"
        else:
            text += f".{key}" if text else key
        node = node[key]
    return text


def _item_name(item: Any) -> str | None:
    if isinstance(item, dict):
        for k in ("name", "id"):
            if isinstance(item.get(k), str):
                return item[k]
    return None


def _match_key(node: dict, key: str, where: str, extra: tuple[str, ...] = ()) -> str:
    keys = [str(k) for k in node] + list(extra)
    if key in keys:
        return key
    hits = [k for k in keys if k.startswith(key)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise PathError(f"'{key}' under {where} is ambiguous; it starts {', '.join(sorted(hits))}")
    raise PathError(f"no key '{key}' under {where}; valid keys: {', '.join(sorted(keys))}")


def _walk(tree: dict, start: Location, steps: list[str | int]) -> Location:
    """Follow ``steps`` from ``start``; returns the full location."""
    loc = list(start)
    node = tree
    for key in start:
        node = node[key]
    for step in steps:
        where = f"'{render(tree, tuple(loc))}'" if loc else "the top"
        if isinstance(node, dict):
            if isinstance(step, int):
                raise PathError(f"{where} is a group of named keys, not a list; valid keys: {', '.join(sorted(node))}")
            key = _match_key(node, step, where)
            loc.append(key)
            node = node[key]
        elif isinstance(node, list):
            if isinstance(step, int):
                if not 0 <= step < len(node):
                    raise PathError(f"index [{step}] is out of range under {where}: it has {len(node)} items (0-{len(node) - 1})")
                loc.append(step)
                node = node[step]
                continue
            names = [_item_name(x) for x in node]
            found = [i for i, n in enumerate(names) if n == step]
            if len(found) != 1:
                listed = ", ".join(n for n in names if n) or "none (use [i])"
                what = f"'{step}' names {len(found)} items" if found else f"no item named '{step}'"
                raise PathError(f"{what} under {where}; items: {listed}; or use an index [0-{len(node) - 1}]")
            loc.append(found[0])
            node = node[found[0]]
        else:
            raise PathError(f"{where} is a single value ({node!r}); the path cannot go below it")
    return tuple(loc)


def _phase_places(tree: dict, phase_id: str) -> list[Location]:
    places: list[Location] = []
    for s, strategy in enumerate(tree["strategies"]):
        for i, stage in enumerate(strategy["stages"]):
            for j, exposure in enumerate(stage["exposures"]):
                places += [
                    ("strategies", s, "stages", i, "exposures", j, "phases", k)
                    for k, ph in enumerate(exposure["phases"]) if ph["id"] == phase_id
                ]
    places += [
        ("parameters", "staging", "restage_phases", k)
        for k, ph in enumerate(tree["parameters"]["staging"]["restage_phases"]) if ph["id"] == phase_id
    ]
    return places


def _leaf(tree: dict, loc: Location) -> tuple[Location, Mode, float, bool]:
    """Classify what ``loc`` addresses; returns (location the mode applies to, mode, base, integer)."""
    node, parent = tree, None
    for key in loc:
        parent, node = node, node[key]
    where = f"'{render(tree, loc)}'"
    if isinstance(node, dict):
        if "dist" in node:
            if node["dist"] == "beta":
                raise PathError(f"{where} is a beta distribution (a proportion) and cannot be scaled; name .events or .n")
            return loc, Mode.SCALE, 1.0, False
        if "p" in node and "events" in node and "n" in node:
            return loc, Mode.PROBABILITY, _probability(node), False
        if "value" in node and "ci95" in node:
            return loc, Mode.VALUE, float(node["value"]), False
        numeric = sorted(k for k, v in node.items() if isinstance(v, (int, float, dict)) and not isinstance(v, bool))
        raise PathError(f"{where} is a group, not a number; continue the path with one of: {', '.join(numeric) or 'nothing numeric here'}")
    if isinstance(parent, dict) and loc and "p" in parent and "events" in parent and "n" in parent and loc[-1] == "p":
        return loc[:-1], Mode.PROBABILITY, _probability(parent), False
    if isinstance(parent, dict) and loc and "ci95" in parent and loc[-1] == "value":
        return loc[:-1], Mode.VALUE, float(node), False
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        kind = (
            "a list" if isinstance(node, list) else "empty (null) in this scenario" if node is None
            else f"a yes/no field ({node})" if isinstance(node, bool) else f"text ({node!r})"
        )
        raise PathError(f"{where} is {kind}, not a number a sweep can vary")
    return loc, Mode.SET, float(node), isinstance(node, int)


def _probability(node: dict) -> float:
    return float(node["p"]) if node["p"] is not None else node["events"] / node["n"]


def resolve(tree: dict, path: str) -> Target:
    """Resolve ``path`` against a dumped scenario; raises ``PathError`` naming the valid keys."""
    steps = tokens(path)
    head = steps[0]
    if isinstance(head, int):
        raise PathError(f"a path starts with a key ({', '.join(_TOP)} or a parameters key), not [{head}]")
    top = _match_key(tree, head, "the top", extra=("phases", *tree["parameters"]))
    if top == "phases":
        if len(steps) < 2 or not isinstance(steps[1], str):
            raise PathError("write phases.<phase id>.<field>, e.g. phases.vessel_dissection.duration")
        places = _phase_places(tree, steps[1])
        if not places:
            used = sorted({ph["id"] for loc in _all_phases(tree) for ph in [_at(tree, loc)]})
            raise PathError(f"no phase with id '{steps[1]}' in this scenario; phase ids used: {', '.join(used)}")
        locs = [_walk(tree, place, steps[2:]) for place in places]
        rest = ".".join(str(k) for k in locs[0][len(places[0]):])
        canonical = f"phases.{steps[1]}.{rest}" if rest else f"phases.{steps[1]}"
    else:
        if top in ("patient", "strategies", "parameters"):
            locs = [_walk(tree, (), [top, *steps[1:]])]
        else:
            locs = [_walk(tree, ("parameters",), [top, *steps[1:]])]
        canonical = ""
    leaves = [_leaf(tree, loc) for loc in locs]
    modes = {mode for _, mode, _, _ in leaves}
    if len(modes) > 1:
        raise PathError(f"'{path}' addresses different kinds of leaf in different places ({', '.join(sorted(m.value for m in modes))})")
    first_loc, mode, base, integer = leaves[0]
    if not canonical:
        canonical = render(tree, first_loc)
    suffix = {Mode.VALUE: ".value", Mode.PROBABILITY: ".p"}.get(mode, "")
    return Target(path, canonical + suffix, tuple(loc for loc, _, _, _ in leaves), mode, base, integer)


def _all_phases(tree: dict):
    for s, strategy in enumerate(tree["strategies"]):
        for i, stage in enumerate(strategy["stages"]):
            for j, exposure in enumerate(stage["exposures"]):
                for k in range(len(exposure["phases"])):
                    yield ("strategies", s, "stages", i, "exposures", j, "phases", k)


def _at(tree: dict, loc: Location):
    for key in loc:
        tree = tree[key]
    return tree


def _fields(node: Any) -> dict | list:
    """A shallow copy to change: a dict or a list as it is, a model as its fields keyed as in the
    dump (by alias); the children are not copied."""
    if isinstance(node, BaseModel):
        return {field.alias or name: getattr(node, name) for name, field in type(node).model_fields.items()}
    return dict(node) if isinstance(node, dict) else list(node)


def _updated(node: Any, loc: Location, fn) -> Any:
    """A copy of ``node`` with ``fn`` applied at ``loc``; containers off the path are shared."""
    if not loc:
        return fn(node)
    head, rest = loc[0], loc[1:]
    copy = _fields(node)
    copy[head] = _updated(copy[head], rest, fn)
    return copy


def _setter(target: Target, x: float):
    if target.mode is Mode.SET:
        value = int(round(x)) if target.integer else float(x)
        return lambda _old: value
    if target.mode is Mode.VALUE:
        return lambda old: {**_fields(old), "value": float(x), "ci95": None}
    if target.mode is Mode.PROBABILITY:
        return lambda old: {**_fields(old), "p": float(x), "events": None, "n": None}
    return lambda old: {k: (v * x if k in SCALE_KEYS and v is not None else v) for k, v in _fields(old).items()}


def apply(tree: dict | BaseModel, targets: tuple[Target, ...] | list[Target], values) -> dict:
    """The scenario - dumped, or the ``Scenario`` itself - with each target set to its value, as a
    dict to re-validate (the input is not modified)."""
    for target, x in zip(targets, values, strict=True):
        for loc in target.locations:
            tree = _updated(tree, loc, _setter(target, float(x)))
    return tree
