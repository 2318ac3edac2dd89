"""Result files written atomically: an existing file is replaced whole or left as it was.

Every write goes to a temporary file in the target's directory, is flushed and fsync'ed, then
moved over the target with ``os.replace`` (atomic on POSIX and Windows). A failure at any point
removes the temporary file and leaves the target untouched.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pandas as pd

TABLE_FORMATS = (".parquet", ".csv")


class OutputPathError(ValueError):
    """An output path that cannot be written: unsupported extension or missing directory."""


def check_table_path(path: str | Path) -> Path:
    """``path`` as a ``Path`` if a table can be written there; else ``OutputPathError`` saying why."""
    path = Path(path)
    if path.suffix.lower() not in TABLE_FORMATS:
        raise OutputPathError(
            f"{path}: unsupported output format '{path.suffix or '(no extension)'}'; "
            f"use one of {', '.join(TABLE_FORMATS)}"
        )
    return check_directory(path)


def check_directory(path: str | Path) -> Path:
    """``path`` as a ``Path`` if its directory exists; else ``OutputPathError``."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputPathError(f"{path}: directory '{parent}' does not exist")
    if path.is_dir():
        raise OutputPathError(f"{path}: is a directory, not a file name")
    return path


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only when the ``with`` block finishes without error."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide the mode, as for any newly created file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as Parquet or CSV (chosen by the suffix of ``path``), atomically."""
    path = check_table_path(path)
    with _atomic(path) as handle:
        if path.suffix.lower() == ".parquet":
            df.to_parquet(handle, index=False)
        else:
            df.to_csv(handle, index=False, encoding="utf-8")
    return path


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically (its directory must exist)."""
    path = check_directory(path)
    with _atomic(path) as handle:
        handle.write(data)
    return path
