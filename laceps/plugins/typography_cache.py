"""Typogrify each text once, not on every build.

Pelican runs typogrify on every title, summary and body after its content cache,
so a rebuild pays for all of it again, and the Spanish pass (/es/) pays a second
time for the same English texts. Pelican offers no hook for this, so the plugin
wraps typogrify.filters.typogrify (which Pelican looks up on every call) with a
cache kept beside Pelican's own in CACHE_PATH. laceps.site.build keys CACHE_PATH
by the settings and plugins, so a change of typography settings starts afresh.
"""

import hashlib
import pickle
from pathlib import Path

import typogrify.filters
from pelican import signals

from laceps.plugins import is_subsite

CACHE_FILE = "typogrify.pickle"
original_typogrify = typogrify.filters.typogrify
known = {}  # key_of(text, ignore_tags, options) -> typogrified text, loaded from the last build
used = {}  # what this build needed: all that is saved, so the cache never outgrows the site
# The same, by the text itself, for this build: the Spanish pass typogrifies the English pass's
# texts again (the same strings, from the shared content cache), found by the hash Python keeps
# with each string instead of a digest worked out again (0.8 s of digests at 5,000 items).
met = {}


def key_of(text, ignore_tags, options):
    """A text's key by its digest, not the text: the texts are already in Pelican's content cache."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest(), tuple(ignore_tags or ()), tuple(sorted(options.items()))


def cached_typogrify(text, ignore_tags=None, **options):
    quick = (text, tuple(ignore_tags or ()), *options.items())
    found = met.get(quick)
    if found is None:
        key = key_of(text, ignore_tags, options)
        if key not in used:
            used[key] = known[key] if key in known else original_typogrify(text, ignore_tags, **options)
        found = met[quick] = used[key]
    return found


def load(pelican):
    if is_subsite(pelican.settings):
        return  # the main site's pass already loaded it; the subsites share it in memory
    path = Path(pelican.settings["CACHE_PATH"]) / CACHE_FILE
    known.clear()
    used.clear()
    met.clear()
    if pelican.settings["LOAD_CONTENT_CACHE"] and path.is_file():
        try:
            known.update(pickle.loads(path.read_bytes()))
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError):
            pass  # a damaged cache only costs time: start afresh
    typogrify.filters.typogrify = cached_typogrify


def save(pelican):
    if is_subsite(pelican.settings) or not pelican.settings["CACHE_CONTENT"]:
        return  # the main site finishes last, after every language's pass
    path = Path(pelican.settings["CACHE_PATH"]) / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(used))


def register():
    signals.initialized.connect(load)
    signals.finalized.connect(save)
