"""Validation errors as people read them: ``file: field: message (got value)``."""

from __future__ import annotations

import reprlib
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from .distributions import DIST_KINDS

_MISSING = object()


@dataclass(frozen=True)
class Issue:
    file: str
    path: str
    message: str
    value: Any = _MISSING

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        got = "" if self.value is _MISSING else f" (got {_short(self.value)})"
        return f"{where}{self.message}{got}"


class ScenarioError(ValueError):
    """Invalid scenario input; ``issues`` lists each problem, ``str()`` gives one line per issue."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 2, 100, 100, 100
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 4


def _short(value: Any) -> str:
    """At most 60 characters of ``repr(value)``, built without walking more than a few items of it
    (a value reached through YAML aliases can stand for billions)."""
    text = _REPR.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- pydantic errors -> issues ------------------------------------------------------------------
def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _describe(model: type[BaseModel], loc: tuple) -> tuple[str, list[str] | None]:
    """Readable path for ``loc`` (union tags dropped) and the allowed keys of its last model."""
    parts: list[str] = []
    current: list[type[BaseModel]] = [model]
    for elem in loc:
        if isinstance(elem, int):
            parts.append(f"[{elem}]")
            continue
        tagged = [m for m in current if "dist" in m.model_fields and elem in typing.get_args(m.model_fields["dist"].annotation)]
        if tagged:
            current = tagged
            continue
        owner = next((m for m in current if elem in m.model_fields or any(f.alias == elem for f in m.model_fields.values())), None)
        parts.append(f".{elem}" if parts else str(elem))
        if owner is None:
            current = []  # a mapping key (strategy names, event names...)
            continue
        field = owner.model_fields.get(elem) or next(f for f in owner.model_fields.values() if f.alias == elem)
        current = _models_in(field.annotation) or current
    allowed = None
    if current:
        allowed = sorted({f.alias or k for m in current for k, f in m.model_fields.items()})
    return "".join(parts), allowed


def _issues(exc: ValidationError, model: type[BaseModel], file: str, prefix: str = "") -> list[Issue]:
    errors = exc.errors()
    locs = [tuple(e["loc"]) for e in errors]
    issues = []
    for err in errors:
        loc = tuple(err["loc"])
        if any(other != loc and other[: len(loc)] == loc for other in locs):
            continue  # a container's echo of an error reported at a deeper field
        kind = err["type"]
        if kind == "extra_forbidden":
            path, allowed = _describe(model, loc[:-1])
            key_path = f"{path}.{loc[-1]}" if path else str(loc[-1])
            msg = f"unknown field '{loc[-1]}'; allowed here: {', '.join(allowed or [])}"
            issues.append(Issue(file, _join(prefix, key_path), msg))
            continue
        path, _ = _describe(model, loc)
        value = err.get("input", _MISSING)
        if kind in ("union_tag_not_found", "union_tag_invalid"):
            tag = err.get("ctx", {}).get("discriminator", "'dist'").strip("'")
            path = f"{path}.{tag}" if path else tag
            msg = f"missing or unknown '{tag}'; allowed: {', '.join(DIST_KINDS)}"
            value = value.get(tag, _MISSING) if isinstance(value, dict) else value
        else:
            msg = err["msg"].removeprefix("Value error, ")
        if isinstance(value, dict) or kind == "missing":
            value = _MISSING  # the whole parent mapping says nothing the path does not
        issues.append(Issue(file, _join(prefix, path), msg, value))
    return issues


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}" if path else prefix


def validate(model: type[BaseModel], data: Any, file: str, prefix: str = ""):
    """``model.model_validate(data)``, turning pydantic errors into a ``ScenarioError``."""
    if not isinstance(data, dict):
        raise ScenarioError([Issue(file, prefix, f"expected a mapping of {model.__name__} fields", data)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_issues(exc, model, file, prefix)) from None
