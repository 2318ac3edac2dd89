"""Hostile YAML (issue 14, defects 1, 4 and duplicate keys of 5): refused at load, in one line, fast.

Before: a 600-byte alias bomb grew to 2 GiB while the error message was built, 1,000 nested
brackets ended in ``RecursionError``, and a repeated key silently kept its last value.
"""

from __future__ import annotations

import time

import pytest
from helpers import limited_script, one_clean_error

from simulation import ScenarioError
from simulation.scenario.loader import BUNDLED, read_yaml
from simulation.scenario.yamlfile import MAX_DEPTH, MAX_NODES

# nine levels of nine aliases: 9^9 = 387 million strings once expanded, 560 bytes written
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]
    + ["age_years: *i", ""]
)
DEEP = "age_years: " + "[" * 1000 + "]" * 1000 + "\n"
DEEP_MAPPINGS = "".join(f"{' ' * i}k{i}:\n" for i in range(1000)) + " " * 1000 + "k: 1\n"


def issue_of(text: str):
    with pytest.raises(ScenarioError) as info:
        read_yaml("hostile.yaml", text)
    (issue,) = info.value.issues
    return issue


def test_an_alias_bomb_is_refused_before_it_is_expanded():
    assert len(ALIAS_BOMB) < 600
    start = time.perf_counter()
    issue = issue_of(ALIAS_BOMB)
    assert time.perf_counter() - start < 1.0
    assert issue.message.startswith(f"more than {MAX_NODES:,} values once aliases")
    assert issue.path.startswith("line ")


def test_aliases_within_the_bound_still_work():
    """The bundled files share phase fields through anchors; a small expansion is fine."""
    assert read_yaml("ok.yaml", "a: &a [1, 2]\nb: [*a, *a]\nc: {<<: {x: 1}, x: 2}\n") == {
        "a": [1, 2], "b": [[1, 2], [1, 2]], "c": {"x": 2}}


def test_a_self_referencing_alias_is_refused():
    issue = issue_of("a: &a [1, *a]\n")
    assert "alias '*a' has no complete anchor before it" in issue.message


@pytest.mark.parametrize("text", [DEEP, DEEP_MAPPINGS], ids=["sequences", "mappings"])
def test_deep_nesting_is_refused_without_recursion(text):
    issue = issue_of(text)
    assert issue.message == f"nested more than {MAX_DEPTH} levels deep; scenario files need far fewer"


def test_the_bundled_files_are_well_inside_the_bounds():
    for f in sorted(BUNDLED.rglob("*.yaml")):
        read_yaml(f)  # raises if a bound were too tight


def test_a_duplicate_key_is_refused_with_its_line():
    issue = issue_of("name: first\nage_years: 9\nname: second\n")
    assert (issue.path, issue.message) == ("line 3, column 1", "malformed YAML: duplicate key 'name' (YAML would keep only the last value)")


def test_a_nested_duplicate_key_is_refused_but_a_merge_may_be_overridden():
    assert "duplicate key 'dist'" in issue_of("d:\n  dist: fixed\n  value: 1\n  dist: gamma\n").message
    assert read_yaml("ok.yaml", "base: &b {dist: fixed, value: 1}\nd: {<<: *b, value: 2}\n")["d"] == {"dist": "fixed", "value": 2}


def test_an_integer_too_long_for_python_is_one_issue():
    issue = issue_of("age_years: " + "9" * 5000 + "\n")
    assert issue.message.startswith("malformed YAML: Exceeds the limit (4300 digits)")


def test_text_over_the_size_limit_is_refused_before_parsing():
    assert issue_of("#" * 1_000_001).message == "file is larger than 1000 kB"


# --- the CLI: one line, exit 2, within limited_script's timeout and memory limit ---------------------------------------------
@pytest.mark.parametrize("text", [ALIAS_BOMB, DEEP, "name: a\nname: b\n"], ids=["alias-bomb", "deep", "duplicate"])
@pytest.mark.parametrize("command", ["check", "compare"])
def test_cli_refuses_hostile_yaml_in_one_line(tmp_path, text, command):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    args = ["check", path] if command == "check" else ["compare", path, "--reps", 2]
    line = one_clean_error(limited_script(*args))  # within the time and memory limits (the bomb needed 2 GiB)
    assert line.startswith(f"error: {path}: line ")


def test_a_file_that_is_not_utf8_is_refused_not_read_as_something_else(tmp_path):
    """A Latin-1 (or Shift-JIS) file used to be decoded with replacement characters and accepted."""
    from simulation.scenario.loader import read_yaml

    path = tmp_path / "latin1.yaml"
    path.write_bytes('age_years: 9\nname: "été"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        read_yaml(path)
    assert "not UTF-8 text (byte 0xe9 at offset 20)" in str(info.value)
