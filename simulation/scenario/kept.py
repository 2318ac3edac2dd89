"""Files read once per version: a reader whose result is kept while the file's modification time and size
stay the same (the dashboard asks for the same files on every rerun)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def per_version(read: Callable[[Path], T], maxsize: int = 8) -> Callable[[Path], T]:
    """``read`` kept per (resolved path, modification time, size); a rewritten file is read again, and a
    file that cannot be looked at goes straight to ``read`` (which reports it as it does). What ``read``
    returns is shared by every caller: return frozen values, or copy them in the caller."""
    kept = lru_cache(maxsize)(lambda path, _mtime_ns, _size: read(path))

    @wraps(read)
    def cached(path: Path) -> T:
        try:
            stat = path.stat()
        except OSError:
            return read(path)
        return kept(path.resolve(), stat.st_mtime_ns, stat.st_size)

    cached.cache_clear = kept.cache_clear  # type: ignore[attr-defined]
    return cached
