"""The build's own files in the cache folder (beside Pelican's content cache): each a pickle,
saved whole or not at all, and read as nothing when it cannot be read (a colder build, no error)."""

import os
import pickle
from pathlib import Path


def load(path, default=None):
    """What `save` saved at `path`; else `default` ({} unless given)."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    except Exception:  # noqa: BLE001 - a cache that cannot be read is only a colder build
        return {} if default is None else default


def save(path, value):
    """Written beside and renamed over the last: a process stopped meanwhile leaves that one whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, path)
