"""The build's own files in the cache folder (beside Pelican's content cache): each a pickle, saved
whole or not at all, and read as nothing when it cannot be read (a colder build, no error); and how
the build knows a file again (`digest` of its bytes, `signature` of its entry on disk)."""

import hashlib
import os
import pickle
from pathlib import Path


def load(path):
    """What `save` saved at `path`; else {}."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    except Exception:  # noqa: BLE001 - a cache that cannot be read is only a colder build
        return {}


def save(path, value, opener=open):
    """Written beside and renamed over the last: a process stopped meanwhile leaves that one whole.
    opener: how to open the file (Pelican's content cache gzips its own, with GZIP_CACHE)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with opener(partial, "wb") as file:
        pickle.dump(value, file)
    os.replace(partial, path)


def digest(data):
    """A digest of some bytes: a built page's, a source file's."""
    return hashlib.blake2b(data, digest_size=16).digest()


def signature(stat):
    """What a file was when it was read, from its `os.stat` (or a directory entry's `stat()`): any
    write changes its change time, its size or its inode."""
    return stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino, stat.st_dev


def status(path):
    """The signature of the file at `path` now (OSError when it is gone)."""
    return signature(os.stat(path))


def identity(stat):
    """Which file this is, unchanged: its signature without the change time, which a hard link to
    it moves (a warm build links the pages it takes from the last output)."""
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns
