"""The typogrify cache: a rebuild reuses the polished texts and gives the same site."""

import filecmp
import pickle

from laceps import site
from laceps.plugins.typography_cache import CACHE_FILE, key_of
from tests.content_copy import copy_content


def build(content, output, cache):
    site.build(settings=site.PRODUCTION_SETTINGS, output=output, content=content, extra={"CACHE_PATH": str(cache)}, quiet=True)


def same_tree(left, right):
    comparison = filecmp.dircmp(left, right)
    pending = [comparison]
    while pending:
        current = pending.pop()
        if current.left_only or current.right_only or current.diff_files:
            return False
        pending.extend(current.subdirs.values())
    return True


def test_a_rebuild_reads_the_cache_and_gives_the_same_site(tmp_path):
    content, cache = copy_content(tmp_path), tmp_path / "cache"
    build(content, tmp_path / "first", cache)
    saved = pickle.loads((cache / CACHE_FILE).read_bytes())
    [key] = [key for key in saved if key[0] == key_of("About Us", None, {})[0]]
    build(content, tmp_path / "second", cache)
    assert same_tree(tmp_path / "first", tmp_path / "second")

    # Prove the second build took its text from the cache, not from typogrify.
    (cache / CACHE_FILE).write_bytes(pickle.dumps({**saved, key: "About Us (from the cache)"}))
    build(content, tmp_path / "third", cache)
    assert "<h1>About Us (from the cache)</h1>" in (tmp_path / "third/about-us/index.html").read_text()


def test_a_damaged_cache_only_costs_time(tmp_path):
    content, cache = copy_content(tmp_path), tmp_path / "cache"
    cache.mkdir()
    (cache / CACHE_FILE).write_bytes(b"not a pickle")
    build(content, tmp_path / "output", cache)
    assert "<h1>About&nbsp;Us</h1>" in (tmp_path / "output/about-us/index.html").read_text()
