"""Result files written atomically: an existing file is replaced whole or left as it was.

Every write goes to a temporary file ``.NAME.<8 hex>.tmp`` in the target's directory, held under
an exclusive ``flock`` while it is written, flushed and fsync'ed, then moved over the target with
``os.replace`` (atomic on POSIX and Windows). A failure at any point removes the temporary file
and leaves the target untouched.

Several files that belong together (a run's records and its stage rows: ``table_writers``) are
all written in full to their temporaries before any target changes; then the targets after the
first are removed and the temporaries renamed, the first file first and the others after it. A
run killed at any moment thus leaves either the old set, or the first file (old or new) with
the others missing, never a new file beside an old one.

A process killed while writing (SIGKILL, power loss) leaves its temporary behind. The next write
into the same directory removes such leftovers: files of exactly our pattern, last modified
before this process started, that no live writer holds locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TABLE_FORMATS = (".parquet", ".csv")
TEMPORARY = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")  # _temporary_name's pattern, nothing else
_STARTED = time.time()  # leftovers older than this cannot be this process's own writes


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


def _temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the temporaries that killed writers left in ``folder``; returns them.

    Only files named as ``_atomic`` names them, last modified before this process started and not
    locked by a live writer, are removed."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not TEMPORARY.match(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime >= _STARTED:
                    continue
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a live writer holds it: BlockingIOError
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                finally:
                    os.close(fd)
    return removed


@contextmanager
def _temporary(path: Path) -> Iterator[tuple[BinaryIO, Path]]:
    """A locked, new temporary file beside ``path``, flushed and fsync'ed when the block ends; removed on error."""
    remove_stale_temporaries(path.parent if str(path.parent) else ".")
    tmp = _temporary_name(path)
    # os.open with 0o666 lets the umask decide the mode, as for any newly created file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield handle, tmp
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only when the ``with`` block finishes without error."""
    with _temporary(path) as (handle, tmp):
        yield handle
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class TableWriter:
    """Appends data frames of one schema to an open Parquet or CSV file, block by block."""

    def __init__(self, handle: BinaryIO, path: Path):
        self.handle, self.parquet = handle, path.suffix.lower() == ".parquet"
        self.rows, self.blocks, self._parquet_writer = 0, 0, None

    def write(self, df: pd.DataFrame) -> None:
        if self.parquet:
            schema = self._parquet_writer.schema if self._parquet_writer is not None else None
            table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
            if self._parquet_writer is None:
                self._parquet_writer = pq.ParquetWriter(self.handle, table.schema)
            self._parquet_writer.write_table(table)
        else:
            df.to_csv(self.handle, index=False, header=self.blocks == 0, encoding="utf-8")
        self.rows += len(df)
        self.blocks += 1

    def close(self) -> None:
        if self._parquet_writer is not None:
            self._parquet_writer.close()


@contextmanager
def table_writers(*paths: str | Path) -> Iterator[list[TableWriter]]:
    """One ``TableWriter`` per path; the files replace their targets together (see the module
    docstring) only when the block finishes without error."""
    targets = [check_table_path(p) for p in paths]
    with ExitStack() as stack:
        opened = [stack.enter_context(_temporary(p)) for p in targets]
        writers = [TableWriter(handle, p) for (handle, _), p in zip(opened, targets)]
        try:
            yield writers
        except BaseException:
            for writer in writers:
                with contextlib.suppress(Exception):
                    writer.close()
            raise
        for writer in writers:
            writer.close()
    temporaries = [tmp for _, tmp in opened]
    try:
        for target in targets[1:]:
            target.unlink(missing_ok=True)
        for tmp, target in zip(temporaries, targets):
            os.replace(tmp, target)
    except BaseException:
        for tmp in temporaries:
            tmp.unlink(missing_ok=True)
        raise


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as Parquet or CSV (chosen by the suffix of ``path``), atomically."""
    return write_tables((df, path))[0]


def write_tables(*pairs: tuple[pd.DataFrame, str | Path]) -> list[Path]:
    """Write each (frame, path) pair; the files replace their targets together (``table_writers``)."""
    with table_writers(*(p for _, p in pairs)) as writers:
        for (df, _), writer in zip(pairs, writers):
            writer.write(df)
    return [Path(p) for _, p in pairs]


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically (its directory must exist)."""
    path = check_directory(path)
    with _atomic(path) as handle:
        handle.write(data)
    return path
