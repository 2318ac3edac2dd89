"""Hostile and absurd scenario files (issue 14): a deterministic generator.

``hostile_files(folder, count, seed)`` writes ``count`` patient and strategy files into ``folder``
and returns their paths. Two sources, mixed:

* a fixed, hand-written list of named attacks (``named_attacks()``): YAML alias bombs, deep
  nesting, huge / infinite / NaN numbers in every kind of numeric field, bools for numbers,
  duplicate keys, binary garbage, other encodings, YAML tags, path-like names, empty and huge
  files, 7+ stages, ``extends`` chains and cycles, implants outside C1-S5, absurd patients, and
  the unmodified bundled files as controls;
* Hypothesis mutations of the bundled files (``mutations()``): values replaced by hostile
  scalars or ``st.recursive`` junk, keys deleted or added, list items repeated, bytes spliced.

Nothing here imports the ``simulation`` package: the valid skeletons are the real bundled files
under ``scenarios/``, read as plain YAML, so the generator survives any restructuring of the
package. The file name says what the file is and what a correct program must do with it:
``NNN-<kind>-<expect>-<slug>.yaml`` with kind ``patient`` or ``strategy`` and expect
``refuse`` (nonsense: exit 2), ``accept`` (valid: exit 0) or ``any`` (either, cleanly);
``parse_name(path)`` reads it back.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"

Kind = Literal["patient", "strategy"]
Expect = Literal["refuse", "accept", "any"]
EXECUTED_MARKER = "RESECTSIM-FUZZ-EXECUTED"  # printed only if a YAML python tag were ever executed
_NAME_RE = re.compile(r"^(\d+)-(patient|strategy)-(refuse|accept|any)-(.*)$")

INF, NAN = float("inf"), float("nan")
HUGE_NUMBERS: dict[str, Any] = {"1e300": 1e300, "inf": INF, "minus-inf": -INF, "nan": NAN, "2pow64": 2**64}


@dataclass(frozen=True)
class Hostile:
    kind: Kind
    slug: str
    data: bytes
    expect: Expect = "any"
    category: str = "misc"
    companion: bytes | None = None  # a second file (``<stem>.partner.yaml``) the first one refers to


def parse_name(path: Path | str) -> tuple[Kind, Expect, str]:
    """(kind, expect, slug) from a generated file's name."""
    m = _NAME_RE.match(Path(path).name.removesuffix(".yaml"))
    if not m:
        raise ValueError(f"not a generated hostile file name: {path}")
    return m.group(2), m.group(3), m.group(4)  # type: ignore[return-value]


# --- the real bundled files, read as plain YAML ----------------------------------------------
@cache
def _read_cached(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read(path: Path) -> Any:
    return copy.deepcopy(_read_cached(path))


def bundled_patients() -> dict[str, dict]:
    return {p.stem: _read(p) for p in sorted((SCENARIOS / "patients").glob("*.yaml"))}


def bundled_strategies() -> dict[str, dict]:
    return {p.stem: _read(p) for p in sorted((SCENARIOS / "strategies").glob("*.yaml"))}


def phase_library() -> dict[str, dict]:
    lib = _read(SCENARIOS / "phases.yaml")
    return {k: v for k, v in lib.items() if not str(k).startswith("x-")}


def _expanded(strategy: dict, library: dict[str, dict]) -> dict:
    """``strategy`` with the first phase of every exposure written as an override of the library
    entry (``{use: id, duration_min: {...}, bleeding_ml_per_min: {...}, events: [...]}``), so the
    numeric distribution fields are in the file for the mutations to reach."""
    s = copy.deepcopy(strategy)
    for st_ in s.get("stages", []):
        for ex in st_.get("exposures", []):
            phases = ex.get("phases") or []
            if phases:
                first = phases[0]
                pid = first if isinstance(first, str) else first.get("use")
                if pid in library:
                    entry = {"use": pid}
                    for key in ("duration_min", "bleeding_ml_per_min", "events"):
                        if key in library[pid]:
                            entry[key] = copy.deepcopy(library[pid][key])
                    phases[0] = entry
    return s


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(doc: Any) -> bytes:
    return yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=100).encode("utf-8")


# --- building blocks ----------------------------------------------------------------------------
def _patient() -> dict:
    return copy.deepcopy(bundled_patients()["seed-case"])


def _strategy(name: str = "posterior-only") -> dict:
    s = copy.deepcopy(bundled_strategies()[name])
    s["name"] = f"fuzz-{name}"[:60]
    return s


def _with_phase_override(override: dict, base: str = "posterior-only") -> dict:
    """A strategy whose second posterior phase overrides ``posterior_exposure`` with ``override``."""
    s = _strategy(base)
    s["stages"][0]["exposures"][0]["phases"][1] = {"use": "posterior_exposure", **override}
    return s


def _fixed(value: Any) -> dict:
    return {"dist": "fixed", "value": value, "assumption": "fuzz"}


def alias_bomb(levels: int = 9, width: int = 9, mapping: bool = False) -> str:
    """A flow sequence whose last item expands to ``width ** levels`` strings (a "billion laughs"):
    about 400-600 bytes of YAML, anchors defined inside the value itself."""
    names = [chr(ord("a") + i) for i in range(levels)]
    if mapping:
        items = [f"&{names[0]} {{" + ", ".join(f"k{i}: lol" for i in range(width)) + "}"]
        items += [f"&{n} {{" + ", ".join(f"k{i}: *{p}" for i in range(width)) + "}" for p, n in zip(names, names[1:])]
    else:
        items = [f"&{names[0]} [" + ", ".join(["lol"] * width) + "]"]
        items += [f"&{n} [" + ", ".join([f"*{p}"] * width) + "]" for p, n in zip(names, names[1:])]
    return "[" + ", ".join(items) + "]"


def _replace_line(text: str, key: str, value: str) -> str:
    """Replace the top-level ``key:`` line of a dumped YAML mapping (single-line values only)."""
    out, done = [], False
    for line in text.splitlines():
        if not done and line.startswith(f"{key}:"):
            out.append(f"{key}: {value}")
            done = True
        else:
            out.append(line)
    if not done:
        out.append(f"{key}: {value}")
    return "\n".join(out) + "\n"


def _patient_text(**raw: str) -> bytes:
    """The seed-case patient with top-level fields given as raw YAML text."""
    doc = _patient()
    for k in raw:
        doc.pop(k, None)
    text = dump(doc).decode()
    for k, v in raw.items():
        text = _replace_line(text, k, v)
    return text.encode("utf-8")


def _strategy_text(base: str = "posterior-only", **raw: str) -> bytes:
    doc = _strategy(base)
    for k in raw:
        doc.pop(k, None)
    text = dump(doc).decode()
    for k, v in raw.items():
        text = _replace_line(text, k, v)
    return text.encode("utf-8")


def _many_stages(n: int, stop_rule: bool = False) -> dict:
    s = _strategy("three-stage-posterior-anterior-posterior")
    stages = s["stages"]
    s["stages"] = [copy.deepcopy(stages[i % len(stages)]) for i in range(n)]
    for i, st_ in enumerate(s["stages"]):
        st_["label"] = f"Stage {i + 1}"
    if stop_rule:
        s["stop_and_stage"] = {"max_blood_volumes": 2.0, "max_hours": 10, "assumption": "fuzz"}
    s["name"] = f"fuzz-{n}-stages"
    return s


def _deep(depth: int, open_: str = "[", close: str = "]", leaf: str = "1") -> str:
    return open_ * depth + leaf + close * depth


def _deep_map(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


def _deep_block(depth: int) -> str:
    return "- " * depth + "1"  # compact nested block sequences: one line, ``depth`` levels


# --- the named attacks ----------------------------------------------------------------------------
def named_attacks() -> list[Hostile]:
    """The fixed list of hand-written attacks, grouped by ``category``."""
    out: list[Hostile] = []
    P, S = "patient", "strategy"

    def add(kind: Kind, slug: str, data: bytes | dict, expect: Expect, category: str, companion: bytes | None = None):
        out.append(Hostile(kind, slug, data if isinstance(data, bytes) else dump(data), expect, category, companion))

    # controls: the real files, unmodified (must stay accepted)
    for name in bundled_patients():
        add(P, f"bundled-{name}", (SCENARIOS / "patients" / f"{name}.yaml").read_bytes(), "accept", "control")
    for name in bundled_strategies():
        add(S, f"bundled-{name}", (SCENARIOS / "strategies" / f"{name}.yaml").read_bytes(), "accept", "control")

    # YAML alias bombs (~400-600 bytes, 9**9 leaves once expanded)
    bomb, mbomb = alias_bomb(), alias_bomb(mapping=True)
    add(P, "alias-bomb-age", _patient_text(age_years=bomb), "refuse", "alias-bomb")
    add(P, "alias-bomb-name", _patient_text(name=bomb), "refuse", "alias-bomb")
    add(P, "alias-bomb-mapping-assumptions", _patient_text(assumptions=mbomb), "refuse", "alias-bomb")
    add(P, "alias-bomb-levels", _patient_text(levels=bomb), "refuse", "alias-bomb")
    add(S, "alias-bomb-label", _strategy_text(label=bomb), "refuse", "alias-bomb")
    add(S, "alias-bomb-stages", _strategy_text(stages=bomb), "refuse", "alias-bomb")
    add(S, "alias-bomb-extends", _strategy_text(extends=bomb), "refuse", "alias-bomb")
    add(S, "alias-bomb-unknown-key", _strategy_text(x_unknown=bomb), "refuse", "alias-bomb")
    add(P, "recursive-alias-list", _patient_text(age_years="&r [*r]"), "refuse", "alias-bomb")
    add(S, "recursive-alias-stages", _strategy_text(stages="&r [*r, *r]"), "refuse", "alias-bomb")
    add(P, "recursive-alias-mapping", _patient_text(assumptions="&m {x: *m}"), "refuse", "alias-bomb")

    # deep nesting
    add(P, "deep-1000-flow-seq-age", _patient_text(age_years=_deep(1000)), "refuse", "deep-nesting")
    add(P, "deep-1000-flow-map-description", _patient_text(description=_deep_map(1000)), "refuse", "deep-nesting")
    add(P, "deep-1000-block-seq-levels", _patient_text(levels=_deep_block(1000)), "refuse", "deep-nesting")
    add(S, "deep-1000-stages", _strategy_text(stages=_deep(1000)), "refuse", "deep-nesting")
    add(S, "deep-1000-label-map", _strategy_text(label=_deep_map(1000)), "refuse", "deep-nesting")
    add(P, "deep-10000-flow-seq-name", _patient_text(name=_deep(10000)), "refuse", "deep-nesting")
    add(S, "deep-10000-unknown-key", _strategy_text(x_deep=_deep(10000)), "refuse", "deep-nesting")

    # huge numbers in every kind of numeric field
    for vname, v in HUGE_NUMBERS.items():
        for field in ("age_years", "weight_kg", "baseline_hb_g_dl", "blood_volume_ml_per_kg", "asa_class"):
            doc = _patient()
            doc[field] = v
            add(P, f"{field}-{vname}", doc, "refuse", "huge-number")
        overrides = {
            "duration-fixed": {"duration_min": _fixed(v)},
            "duration-lognormal-median": {"duration_min": {"dist": "lognormal", "median": v, "p95": 38, "assumption": "f"}},
            "duration-lognormal-p95": {"duration_min": {"dist": "lognormal", "median": 21, "p95": v, "assumption": "f"}},
            "duration-lognormal-sd": {"duration_min": {"dist": "lognormal", "mean": 21, "sd": v, "assumption": "f"}},
            "duration-lognormal-max": {"duration_min": {"dist": "lognormal", "median": 21, "min": 5, "max": v, "n": 20,
                                                         "assumption": "f"}},
            "duration-triangular-max": {"duration_min": {"dist": "triangular", "min": 10, "mode": 20, "max": v,
                                                         "assumption": "f"}},
            "duration-uniform-max": {"duration_min": {"dist": "uniform", "min": 10, "max": v, "assumption": "f"}},
            "duration-gamma-mean": {"duration_min": {"dist": "gamma", "mean": v, "sd": 5, "assumption": "f"}},
            "bleeding-fixed": {"bleeding_ml_per_min": _fixed(v)},
            "bleeding-gamma-sd": {"bleeding_ml_per_min": {"dist": "gamma", "mean": 2, "sd": v, "assumption": "f"}},
            "event-probability-p": {"events": [{"event": "durotomy", "probability": {"p": v, "assumption": "f"}}]},
            "event-probability-n": {"events": [{"event": "durotomy", "probability": {"events": v, "n": v,
                                                                                    "assumption": "f"}}]},
        }
        for oname, override in overrides.items():
            add(S, f"{oname}-{vname}", _with_phase_override(override), "refuse", "huge-number")
        two = _strategy("two-stage-posterior-then-anterior")
        two["interval_days"] = _fixed(v)
        add(S, f"interval-days-{vname}", two, "refuse", "huge-number")
        for limit in ("max_hours", "max_blood_volumes"):
            s = _strategy("single-stage-three-exposure")
            s["stop_and_stage"] = {limit: v, "assumption": "fuzz"}
            add(S, f"stop-rule-{limit}-{vname}", s, "refuse", "huge-number")
    doc = _patient()
    doc["weight_kg"] = 2**1000
    add(P, "weight-2pow1000", doc, "refuse", "huge-number")
    add(P, "age-1e999-literal", _patient_text(age_years="1e999"), "refuse", "huge-number")
    add(P, "age-1e-300", _patient_text(age_years="1.0e-300"), "refuse", "huge-number")
    add(S, "duration-fixed-1e-300", _with_phase_override({"duration_min": _fixed(1e-300)}), "any", "huge-number")

    # bools (and other types) where numbers are expected
    add(P, "age-true", _patient_text(age_years="true"), "refuse", "bool-for-number")
    add(P, "weight-false", _patient_text(weight_kg="false"), "refuse", "bool-for-number")
    add(P, "asa-true", _patient_text(asa_class="true"), "refuse", "bool-for-number")
    add(P, "age-yes-yaml11", _patient_text(age_years="yes"), "refuse", "bool-for-number")
    add(P, "hb-on-yaml11", _patient_text(baseline_hb_g_dl="on"), "refuse", "bool-for-number")
    add(S, "duration-fixed-true", _with_phase_override({"duration_min": _fixed(True)}), "refuse", "bool-for-number")
    add(S, "probability-p-true", _with_phase_override(
        {"events": [{"event": "durotomy", "probability": {"p": True, "assumption": "f"}}]}), "refuse", "bool-for-number")
    s = _strategy("single-stage-three-exposure")
    s["stop_and_stage"] = {"max_hours": True, "assumption": "fuzz"}
    add(S, "stop-rule-hours-true", s, "refuse", "bool-for-number")
    add(P, "age-string-number", _patient_text(age_years='"9"'), "any", "bool-for-number")
    add(P, "age-sexagesimal-yaml11", _patient_text(age_years="1:30"), "any", "bool-for-number")
    add(P, "age-hex", _patient_text(age_years="0x1F"), "any", "bool-for-number")
    add(P, "age-list", _patient_text(age_years="[9, 10]"), "refuse", "bool-for-number")
    add(P, "age-timestamp", _patient_text(age_years="2001-12-14"), "refuse", "bool-for-number")
    add(P, "revision-string-yes", _patient_text(revision='"yes"'), "any", "bool-for-number")

    # duplicate keys (the last silently wins today)
    base = dump(_patient()).decode()
    add(P, "duplicate-age", (base + "age_years: 110\n").encode(), "refuse", "duplicate-keys")
    add(P, "duplicate-name-first", ("name: first\n" + base).encode(), "refuse", "duplicate-keys")
    sbase = dump(_strategy()).decode()
    add(S, "duplicate-stages", (sbase + "stages: [{label: x, exposures: []}]\n").encode(), "refuse", "duplicate-keys")
    add(S, "duplicate-name", (sbase + "name: other-name\n").encode(), "refuse", "duplicate-keys")
    add(S, "duplicate-use-in-phase", dump(_strategy()).replace(
        b"- prep_prone", b"- {use: prep_prone, use: closure}", 1), "refuse", "duplicate-keys")

    # binary garbage and encodings
    rnd = random.Random(14)
    add(P, "random-bytes-4k", rnd.randbytes(4096), "refuse", "binary")
    add(S, "random-bytes-64k", rnd.randbytes(65536), "refuse", "binary")
    add(P, "png-header", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rnd.randbytes(200),
        "refuse", "binary")
    add(S, "elf-header", b"\x7fELF\x02\x01\x01" + b"\x00" * 1000, "refuse", "binary")
    add(P, "gzip-bytes", b"\x1f\x8b\x08\x00" + rnd.randbytes(500), "refuse", "binary")
    add(P, "nul-bytes", b"\x00" * 65536, "refuse", "binary")
    add(P, "valid-then-nul", dump(_patient()) + b"\x00\xff\xfe", "refuse", "binary")
    add(P, "control-chars-in-name", _patient_text(name='"\\x07\\x1b[31mred\\x1b[0m\\x00"'), "any", "binary")
    latin = dump(_patient()).decode().replace("9-year-old girl", "9-year-old girl \u00e9l\u00e8ve").encode("latin-1")
    add(P, "latin1-description", latin, "refuse", "encoding")
    add(P, "utf16-bom", dump(_patient()).decode().encode("utf-16"), "refuse", "encoding")
    add(P, "utf8-bom", b"\xef\xbb\xbf" + dump(_patient()), "any", "encoding")
    add(S, "shift-jis-label", dump({**_strategy(), "label": "\u624b\u8853"}).decode().encode("shift_jis"), "refuse",
        "encoding")
    add(P, "lone-surrogate-bytes", dump(_patient()).replace(b"name: seed-case", b"name: seed\xed\xa0\x80case"),
        "refuse", "encoding")
    add(P, "overlong-utf8", dump(_patient()).replace(b"name: seed-case", b"name: seed\xc0\xafcase"), "refuse",
        "encoding")
    add(P, "crlf-line-endings", dump(_patient()).replace(b"\n", b"\r\n"), "accept", "encoding")
    add(P, "bidi-override-name", dump({**_patient(), "name": "seed\u202eesac-"}), "any", "encoding")

    # YAML tags and directives
    add(P, "tag-python-apply-print", _patient_text(age_years=f'!!python/object/apply:builtins.print ["{EXECUTED_MARKER}"]'),
        "refuse", "yaml-tags")
    add(S, "tag-python-apply-print-label", _strategy_text(label=f'!!python/object/apply:builtins.print ["{EXECUTED_MARKER}"]'),
        "refuse", "yaml-tags")
    add(P, "tag-python-name", _patient_text(name="!!python/name:os.getpid"), "refuse", "yaml-tags")
    add(P, "tag-python-object", _patient_text(description="!!python/object:builtins.object {}"), "refuse", "yaml-tags")
    add(P, "tag-verbatim-python", _patient_text(name="!<tag:yaml.org,2002:python/object/new:builtins.dict> {}"),
        "refuse", "yaml-tags")
    add(P, "tag-custom-include", _patient_text(description="!include /etc/passwd"), "refuse", "yaml-tags")
    add(S, "tag-custom-env", _strategy_text(label="!env HOME"), "refuse", "yaml-tags")
    add(P, "tag-binary-name", _patient_text(name="!!binary aGVsbG8="), "refuse", "yaml-tags")
    add(P, "tag-set-levels", _patient_text(levels="!!set {L2, L3}"), "refuse", "yaml-tags")
    add(P, "tag-omap-assumptions", _patient_text(assumptions="!!omap [{a: b}]"), "any", "yaml-tags")
    add(P, "tag-float-nan-explicit", _patient_text(weight_kg='!!float ".nan"'), "refuse", "yaml-tags")
    add(P, "tag-directive", b"%TAG !e! tag:evil.example,2000:\n---\n" + _patient_text(name="!e!thing x"),
        "refuse", "yaml-tags")
    add(P, "yaml-1.3-directive", b"%YAML 1.3\n---\n" + dump(_patient()), "any", "yaml-tags")
    add(P, "merge-key", ("base: &b {sex: female, weight_kg: 28}\n" + dump({k: v for k, v in _patient().items()
                                                                             if k not in ("sex", "weight_kg")}).decode()
                         + "<<: *b\n").encode(), "refuse", "yaml-tags")
    add(P, "two-documents", dump(_patient()) + b"---\n" + dump(_patient()), "refuse", "yaml-tags")
    add(P, "complex-key", b"? [a, b]\n: 1\n" + dump(_patient()), "refuse", "yaml-tags")
    add(P, "null-and-int-keys", b"null: 1\n3: x\n" + dump(_patient()), "refuse", "yaml-tags")

    # path-like names
    for where in ("../../etc/passwd", "/proc/self/environ", "/dev/zero", "C:\\Windows\\win.ini", "~/.ssh/id_rsa"):
        slug = re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")
        add(P, f"patient-name-{slug}", {**_patient(), "name": where}, "any", "path-names")
        add(S, f"strategy-name-{slug}", {**_strategy(), "name": where}, "refuse", "path-names")
        add(S, f"extends-{slug}", {"name": "fuzz-extends", "extends": where}, "refuse", "path-names")
        add(S, f"use-{slug}", dump(_strategy()).replace(
            b"- prep_prone", ("- {use: '" + where.replace("'", "''") + "'}").encode(), 1), "refuse", "path-names")
        add(P, f"source-{slug}", {**_patient(), "source": where}, "refuse", "path-names")
    add(P, "levels-path", {**_patient(), "levels": "../../etc/passwd"}, "refuse", "path-names")

    # empty and near-empty files
    for slug, data in {
        "empty": b"", "newline": b"\n", "whitespace": b"   \n\t\n", "comment-only": b"# nothing here\n",
        "doc-start": b"---\n", "doc-start-end": b"---\n...\n", "null": b"null\n", "tilde": b"~", "empty-list": b"[]",
        "empty-map": b"{}", "string": b'"just a string"\n', "bom-only": b"\xef\xbb\xbf", "number": b"42\n",
    }.items():
        add(P, f"empty-{slug}", data, "refuse", "empty")
    add(S, "empty-strategy-map", b"{}", "refuse", "empty")
    add(S, "strategy-stages-empty", dump({**_strategy(), "stages": []}), "refuse", "empty")
    no_phases = _strategy()
    no_phases["stages"][0]["exposures"][0]["phases"] = []
    add(S, "strategy-phases-empty", no_phases, "refuse", "empty")

    # huge files (the loader's limit is 1 MB) and just-under-the-limit ones
    add(P, "huge-3mb-description", dump({**_patient(), "description": "x" * 3_000_000}), "refuse", "huge-file")
    add(S, "huge-3mb-binary", rnd.randbytes(3_000_000), "refuse", "huge-file")
    add(P, "huge-3mb-newlines", b"\n" * 3_000_000 + dump(_patient()), "refuse", "huge-file")
    add(P, "near-limit-assumptions", _patient_text(assumptions="{" + ", ".join(f"k{i}: {'y' * 20}" for i in range(30_000)) + "}"),
        "any", "huge-file")
    add(P, "near-limit-one-line-name", dump({**_patient(), "name": "n" * 990_000}), "any", "huge-file")
    many = _strategy()
    many["stages"][0]["exposures"][0]["phases"] = "PHASES_HERE"
    flow = b"[" + b", ".join([b"closure"] * 100_000) + b"]"
    add(S, "near-limit-100000-phases", dump(many).replace(b"PHASES_HERE", flow), "refuse", "huge-file")  # absurd plan
    add(P, "near-limit-levels-list", dump({**_patient(), "levels": ",".join(["L3"] * 300_000)}), "any", "huge-file")

    # many stages (the model has six stage streams)
    add(S, "stages-6", _many_stages(6), "any", "many-stages")
    add(S, "stages-6-plus-stop-rule", _many_stages(6, stop_rule=True), "any", "many-stages")
    add(S, "stages-7", _many_stages(7), "any", "many-stages")
    add(S, "stages-8", _many_stages(8), "any", "many-stages")
    add(S, "stages-50", _many_stages(50), "any", "many-stages")
    add(S, "stages-1000", dump(_many_stages(1000)), "any", "many-stages")

    # extends: chains, cycles, odd values
    add(S, "extends-two-level", {"name": "fuzz-two-level", "extends": "single-stage-with-stop-rule",
                                 "label": "Two-level extends"}, "accept", "extends")
    add(S, "extends-bundled-same-name", {"name": "posterior-only", "extends": "posterior-only"}, "any", "extends")
    add(S, "extends-label-clash", {"name": "fuzz-label-clash", "extends": "posterior-only"}, "any", "extends")
    add(S, "extends-self-stem", b"name: fuzz-self\nextends: @@SELF@@\n", "refuse", "extends")
    add(S, "extends-self-path", b"name: fuzz-self\nextends: ./@@SELF@@.yaml\n", "refuse", "extends")
    add(S, "extends-cycle-pair", b"name: fuzz-cycle-a\nextends: @@SELF@@.partner\n", "refuse", "extends",
        companion=b"name: fuzz-cycle-b\nextends: @@SELF@@\n")
    for slug, value in {"null": None, "empty": "", "list": ["posterior-only"], "map": {"a": "b"}, "int": 12,
                        "missing": "does-not-exist", "case": "POSTERIOR-ONLY", "with-ext": "posterior-only.yaml"}.items():
        add(S, f"extends-{slug}", {"name": "fuzz-extends", "extends": value}, "refuse" if slug != "with-ext" else "any",
            "extends")

    # implants and levels outside the spine or the resection
    for slug, levels, implants, expect in [
        ("implants-c1-s5", "L2-L4", "C1-S5", "refuse"),
        ("implants-s6", "L2-L4", "S6", "refuse"),
        ("implants-t13", "L2-L4", "T13", "refuse"),
        ("implants-co1", "L2-L4", "Co1", "refuse"),
        ("implants-backwards", "L2-L4", "L5-L1", "refuse"),
        ("implants-c1-levels-s5", "S5", "C1", "refuse"),
        ("implants-repeated-list", "L2-L4", ",".join(["L1-L5"] * 2000), "any"),
        ("levels-c0", "C0", None, "refuse"),
        ("levels-whole-spine", "C1-S5", None, "refuse"),
        ("levels-unicode-dash", "L2\u2013L4", None, "any"),
    ]:
        doc = {**_patient(), "levels": levels}
        if implants is None:
            doc.pop("retained_implants", None)
        else:
            doc["retained_implants"] = implants
        add(P, slug, doc, expect, "implants")

    # absurd but schema-shaped patients
    for slug, changes, expect in [
        ("age-110-weight-2kg", {"age_years": 110, "weight_kg": 2}, "refuse"),
        ("newborn-300kg", {"age_years": 0.01, "weight_kg": 300}, "refuse"),
        ("age-110-bv-110-hb-5", {"age_years": 110, "blood_volume_ml_per_kg": 110, "baseline_hb_g_dl": 5}, "any"),
        ("weight-2kg-hb-5", {"weight_kg": 2, "baseline_hb_g_dl": 5}, "any"),
        ("age-zero", {"age_years": 0}, "refuse"),
        ("negative-weight", {"weight_kg": -28}, "refuse"),
        ("asa-6", {"asa_class": 6}, "refuse"),
        ("asa-float", {"asa_class": 2.5}, "refuse"),
        ("sex-capitalised", {"sex": "Female"}, "refuse"),
        ("sex-list", {"sex": ["female"]}, "refuse"),
        ("scar-unknown", {"scar_severity": "catastrophic"}, "refuse"),
        ("unknown-field", {"shoe_size": 42}, "refuse"),
        ("assumptions-not-strings", {"assumptions": {"weight_kg": 28}}, "any"),
        ("name-empty", {"name": ""}, "refuse"),
        ("name-10k", {"name": "n" * 10_000}, "any"),
    ]:
        add(P, slug, {**_patient(), **changes}, expect, "absurd-patient")
    return out


# --- Hypothesis mutations -----------------------------------------------------------------------
_HOSTILE_SCALARS: list[Any] = [
    1e300, -1e300, INF, -INF, NAN, 2**64, -(2**63), 2**1000, 0, -1, 1e-300, 0.5, True, False, None, "", " ",
    "../../etc/passwd", "/proc/self/environ", "/dev/zero", "C1-S5", "S6", "T13", "L5-L1", "\x00", "\u202e",
    "A" * 10_000, "NaN", "1e999", "0x10", "%s%s%n", "{{7*7}}", "<script>alert(1)</script>",
    "'; DROP TABLE sweeps; --", "posterior-only", "closure", "lognormal", [], {},
]


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (tuple of keys / indices) in ``doc``, containers included, in document order."""
    found = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _paths(v, prefix + (i,))
    return found


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutations():
    """A Hypothesis strategy of ``(kind, bytes)``: a bundled file, mutated one to four times."""
    from hypothesis import strategies as st

    patients = list(bundled_patients().values())
    library = phase_library()
    strategies_ = [_expanded(s, library) for s in bundled_strategies().values()]
    leaves = st.one_of(
        st.sampled_from(_HOSTILE_SCALARS),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.booleans(), st.none(),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    )
    junk = st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), children, max_size=4),
        max_leaves=20,
    )

    @st.composite
    def mutated(draw) -> tuple[str, bytes]:
        kind = draw(st.sampled_from(["patient", "strategy"]))
        doc = copy.deepcopy(draw(st.sampled_from(patients if kind == "patient" else strategies_)))
        for _ in range(draw(st.integers(1, 4))):
            paths = _paths(doc)
            path = draw(st.sampled_from(paths))
            op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "repeat", "swap"]))
            parent = _get(doc, path[:-1]) if path else None
            if op == "replace" and path:
                parent[path[-1]] = draw(st.one_of(leaves, junk))
            elif op == "delete" and path:
                del parent[path[-1]]
            elif op == "add":
                target = _get(doc, path)
                if isinstance(target, dict):
                    key = draw(st.sampled_from(["x_unknown", "age_years", "stages", "extends", "stop_and_stage",
                                                "interval_days", "use", "dist", "value", "sd", "max", "p"]))
                    target.setdefault(key, draw(junk))
                elif isinstance(target, list):
                    target.append(draw(junk))
            elif op == "repeat":
                lists = [p for p in paths if isinstance(_get(doc, p), list) and _get(doc, p)]
                if lists:
                    target = _get(doc, draw(st.sampled_from(lists)))
                    target.extend(copy.deepcopy(target[-1]) for _ in range(draw(st.integers(1, 12))))
            elif op == "swap" and path:
                value = parent[path[-1]]
                if isinstance(value, bool) or value is None:
                    parent[path[-1]] = draw(st.sampled_from([1, "true", [value]]))
                elif isinstance(value, (int, float)):
                    parent[path[-1]] = draw(st.sampled_from([True, str(value), [value], {"value": value}]))
                elif isinstance(value, str):
                    parent[path[-1]] = draw(st.sampled_from([1e300, INF, True, [value], {value: value}]))
                else:
                    parent[path[-1]] = draw(leaves)
            if not isinstance(doc, dict):
                break
        data = dump(doc)
        if draw(st.integers(0, 9)) == 0:  # one in ten: bytes spliced into the text
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        return kind, data

    return mutated()


def hypothesis_files(n: int, seed: int) -> list[Hostile]:
    """``n`` mutated files drawn by Hypothesis, deterministically for a given ``seed``."""
    if n <= 0:
        return []
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    drawn: list[tuple[str, bytes]] = []

    @settings(max_examples=n, database=None, deadline=None, derandomize=False, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @hseed(seed)
    @given(mutations())
    def collect(example):
        drawn.append(example)

    collect()
    out = [Hostile(kind, f"hypothesis-{i:04d}", data, "any", "hypothesis") for i, (kind, data) in enumerate(drawn[:n])]
    k = 0
    while len(out) < n:  # Hypothesis may stop early; pad with byte-flipped copies
        kind, data = drawn[k % len(drawn)] if drawn else ("patient", dump(_patient()))
        rnd = random.Random(seed * 1_000_003 + k)
        flipped = bytearray(data)
        for _ in range(4):
            if flipped:
                flipped[rnd.randrange(len(flipped))] = rnd.randrange(256)
        out.append(Hostile(kind, f"hypothesis-flip-{k:04d}", bytes(flipped), "any", "hypothesis"))  # type: ignore[arg-type]
        k += 1
    return out


# --- selection and writing ----------------------------------------------------------------------
def hostile_specs(count: int, seed: int = 14) -> list[Hostile]:
    """``count`` hostile files: about a quarter Hypothesis mutations, the rest named attacks taken
    round-robin over their categories (so a small run still has one of each kind); with ``count``
    above the number of named attacks, all of them and Hypothesis for the rest."""
    named = named_attacks()
    n_hyp = max(count // 4, count - len(named))
    n_named = count - n_hyp
    rnd = random.Random(seed)
    by_cat: dict[str, list[Hostile]] = {}
    for h in named:
        by_cat.setdefault(h.category, []).append(h)
    for items in by_cat.values():
        rnd.shuffle(items)
    cats = list(by_cat)
    rnd.shuffle(cats)
    chosen: list[Hostile] = []
    while len(chosen) < n_named:
        for c in cats:
            if by_cat[c] and len(chosen) < n_named:
                chosen.append(by_cat[c].pop(0))
    return chosen + hypothesis_files(n_hyp, seed)


def file_name(index: int, h: Hostile) -> str:
    return f"{index:03d}-{h.kind}-{h.expect}-{h.slug}.yaml"


def write_one(folder: Path, index: int, h: Hostile) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(index, h)
    stem = path.name.removesuffix(".yaml")
    path.write_bytes(h.data.replace(b"@@SELF@@", stem.encode()))
    if h.companion is not None:
        (folder / f"{stem}.partner.yaml").write_bytes(h.companion.replace(b"@@SELF@@", stem.encode()))
    return path


def hostile_files(folder: Path | str, count: int, seed: int = 14) -> list[Path]:
    """Write ``count`` hostile patient and strategy files into ``folder``; their paths, in order.
    (A file that refers to a partner file also gets ``<stem>.partner.yaml``, not in the list.)"""
    folder = Path(folder)
    return [write_one(folder, i, h) for i, h in enumerate(hostile_specs(count, seed))]


if __name__ == "__main__":  # python tests/fuzz/hostile.py FOLDER [COUNT [SEED]]
    import sys

    args = sys.argv[1:]
    files = hostile_files(Path(args[0]), int(args[1]) if len(args) > 1 else 40, int(args[2]) if len(args) > 2 else 14)
    print("\n".join(str(f) for f in files))
