"""The build writes byte for byte what the reference pipeline (Pelican's and Pagefind's commands)
writes, for the real site in development and in production, from a cold cache and a warm one, and
without a content cache, as publishing builds."""

import contextlib
import json
import shutil

import pytest

from laceps import PROJECT_ROOT, bench, build, parallel, site
from tests.reference_build import SAME, differences, files, reference_build

NO_CONTENT_CACHE = {"CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False}


@pytest.mark.parametrize(
    ("settings", "extra"),
    [(site.DEV_SETTINGS, {}), (site.PRODUCTION_SETTINGS, {}), (site.PRODUCTION_SETTINGS, NO_CONTENT_CACHE)],
    ids=["development", "production", "publishing"],
)
def test_the_build_writes_what_the_reference_pipeline_writes(tmp_path, settings, extra):
    expected = reference_build(settings, tmp_path / "reference", tmp_path / "reference-cache", extra=extra)
    output, cache = tmp_path / "output", tmp_path / "cache"
    for warmth in ("cold cache", "warm cache"):
        site.build(settings=settings, output=output, extra={"CACHE_PATH": str(cache), **extra}, quiet=True)
        assert differences(expected, output) == SAME, warmth


def test_a_site_read_and_rendered_on_workers_is_the_same_site(tmp_path):
    """Past laceps.parallel.WORTH_FORKING news items, reading and rendering run on forked workers."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    for number in range(2 * parallel.WORTH_FORKING):
        (content / "news" / f"bench-{number}.md").write_text(bench.news_item(number), encoding="utf-8")
    expected = reference_build(site.PRODUCTION_SETTINGS, tmp_path / "reference", tmp_path / "reference-cache", content=content)
    sent = []  # how many files or pages each use of the workers had
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "on_workers", lambda function, items, run=parallel.on_workers: sent.append(len(items)) or run(function, items))
        site.build(settings=site.PRODUCTION_SETTINGS, output=tmp_path / "output", content=content,
                   extra={"CACHE_PATH": str(tmp_path / "cache")}, quiet=True)
    # The news read, then rendered for each language (each item's page in its own language, the lists in both).
    assert len(sent) == 3 and sent[0] >= 2 * parallel.WORTH_FORKING, sent
    assert differences(expected, tmp_path / "output") == SAME


def test_the_index_of_what_pagefind_reads_of_each_page_is_the_index_of_the_whole_pages(built_site, tmp_path):
    """laceps.build.searchable gives Pagefind a page's language, title and <main>: every file of the
    index, in the same order of pages, is the one the whole pages make."""
    about = (built_site / "about-us" / "index.html").read_text(encoding="utf-8")
    assert len(build.searchable(about)) < len(about) / 2  # the header, footer and head's tags left out
    indexes = {}
    for kind, transform in (("parts", build.searchable), ("whole", lambda page: page)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(build, "searchable", transform)
            indexes[kind] = search_files(built_site, tmp_path / kind)[1]
    assert len(indexes["whole"]) > 10
    assert indexes["parts"] == indexes["whole"]


def search_files(site_folder, folder, one_index=False):
    """The languages of SearchIndex's indexes and the files they write, for every page of the site
    in the order of their paths; one_index: every page in one index, as a single Pagefind makes it."""
    with contextlib.closing(build.SearchIndex(site_folder)) as index:
        if one_index:
            index.index_of(build.ONE_INDEX)
        for page in sorted(site_folder.rglob("*.html")):
            index.add(str(page))
        index.write(folder)
        return set(index.indexes), files(folder)


def test_each_language_indexed_apart_makes_the_files_of_one_index(built_site, tmp_path):
    """Each language's pages go to a Pagefind of their own, so that their indexes are built at once:
    every file, the entry that lists the languages included, is the one a single index makes."""
    apart, whole = search_files(built_site, tmp_path / "apart"), search_files(built_site, tmp_path / "one", one_index=True)
    assert apart[0] == {"en", "es"} and whole[0] == {build.ONE_INDEX}
    assert len(apart[1]) > 10 and apart[1] == whole[1]


def test_a_page_without_a_language_puts_every_page_in_one_index(built_site, tmp_path):
    """Pagefind counts such a page in the language of most pages: apart, it would make a language of its own."""
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    (copy / "no-language.html").write_text("<!doctype html><html><head><title>No language</title></head>"
                                           "<body><main><h1>No language</h1><p>Families read it.</p></main></body></html>", encoding="utf-8")
    apart, whole = search_files(copy, tmp_path / "apart"), search_files(copy, tmp_path / "one", one_index=True)
    assert apart[0] == whole[0] == {build.ONE_INDEX}
    assert apart[1] == whole[1]
    assert set(json.loads(apart[1]["pagefind-entry.json"])["languages"]) == {"en", "es"}
