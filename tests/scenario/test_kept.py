"""``scenario.kept.per_version``: a file is read once per version, and again once it changes."""

import os

import pytest

from simulation.scenario.kept import per_version


def test_a_file_is_read_once_per_version_and_a_missing_one_is_reported_by_the_reader(tmp_path):
    reads = []

    @per_version
    def read(path):
        reads.append(path)
        return path.read_text()

    path = tmp_path / "a.txt"
    path.write_text("one")
    assert read(path) == read(path) == "one" and len(reads) == 1
    path.write_text("two")  # same size: the modification time tells
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert read(path) == "two" and len(reads) == 2
    path.write_text("three")  # another size
    assert read(tmp_path / "." / "a.txt") == "three" and len(reads) == 3  # the same file by another spelling
    with pytest.raises(FileNotFoundError):
        read(tmp_path / "missing.txt")  # not looked at by the cache: the reader's own error
    assert len(reads) == 4
