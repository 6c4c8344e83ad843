"""A production build after an earlier one (laceps.warm) writes what a clean build writes, while
it takes the pages whose inputs did not change from the last output.

The saves are those of tests/test_incremental.py (news edited, added, translated, renamed and
deleted, pages, data, a template, a setting), from a fixed seed, on a copy of the real site built
with the production settings. A page taken from the last output is the same file, linked: it keeps
its inode and modification time, which is how these tests see which pages were taken and which were written again.
"""

import json
import os
import pickle
import random
import threading
import time
from unittest.mock import ANY

import pytest
from pagefind.index import PagefindIndex
from pelican import signals

from laceps import build as pipeline
from laceps import site, subsite_writing, warm
from tests.reference_build import files
from tests.test_incremental import SEED, Sources

MORE_SAVES = 4
NOW = {"NOW": "2026-01-01T00:00:00"}
PRODUCTION = """\
import sys
sys.path.insert(0, {root!r})
from publishconf import *  # noqa: F403
THEME = {theme!r}
DEFAULT_PAGINATION = {per_page}
"""


class ProductionSources(Sources):
    SETTINGS = PRODUCTION


def build(sources, folder):
    """A production build of `sources` into folder/output, with folder/cache."""
    output = folder / "output"
    site.build(settings=sources.settings, output=output, content=sources.content, extra={**NOW, "CACHE_PATH": str(folder / "cache")}, quiet=True)
    return output


def inodes(output):
    """Each page's file, as its inode and modification time: a file deleted, then written, may get
    the same inode number, never the same time too."""
    return {path.relative_to(output).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns) for path in output.rglob("*.html")}


def kept(before, output):
    """The pages of `output` that are the same files as in `before` (inodes): taken, not written."""
    return {path for path, inode in inodes(output).items() if before.get(path) == inode}


def assert_as_clean(sources, warm, folder, step):
    expected = files(build(sources, folder / f"clean-{step}"))
    got = files(warm)
    assert sorted(set(expected) ^ set(got)) == [], step
    assert [path for path in expected if expected[path] != got[path]] == [], step


def build_refusing(sources, folder, page, what):
    """A build of `sources` into folder/output in which writing `page` fails (a receiver of Pelican's
    content_written raises "the test's refusal of `what`"): its BuildFailed."""

    def refuse(path, context):
        if path == str(page):
            raise RuntimeError(f"the test's refusal of {what}")

    signals.content_written.connect(refuse)
    try:
        with pytest.raises(site.BuildFailed) as failure:
            build(sources, folder)
    finally:
        signals.content_written.disconnect(refuse)
    return failure.value


def add_translated_item(sources):
    """A news item with a body (a page of its own), and its Spanish version, which is returned."""
    english = sources.add_news()[0]
    english.write_text(english.read_text(encoding="utf-8") + "\nA body, so the item has a page of its own.\n", encoding="utf-8")
    return sources.translate_news()[0]


def test_after_each_save_the_warm_build_is_the_clean_one(tmp_path):
    rng = random.Random(SEED)
    sources = ProductionSources(tmp_path / "sources", rng)
    warm = build(sources, tmp_path / "warm")
    plan = [*Sources.SAVES, *(rng.choice(Sources.SAVES) for _ in range(MORE_SAVES))]
    rng.shuffle(plan)
    for step, save in enumerate(plan):
        before, settings = inodes(warm), sources.settings.read_text(encoding="utf-8")
        saved = save(sources)
        build(sources, tmp_path / "warm")
        assert_as_clean(sources, warm, tmp_path, step)
        taken = kept(before, warm)
        if all(path.suffix == ".md" for path in saved):
            assert len(taken) > len(before) / 2, (step, saved)  # most pages did not change
        elif sources.settings not in saved or sources.settings.read_text(encoding="utf-8") != settings:
            assert taken == set(), (step, saved)  # a template, data or settings: every page rendered


def test_an_edit_renders_its_own_pages_and_takes_the_rest(tmp_path):
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    before, texts = inodes(warm), files(warm)
    page = sources.content / "pages" / "contact.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence, saved by the test.\n", encoding="utf-8")
    build(sources, tmp_path / "warm")
    written = set(before) - kept(before, warm)
    assert "One more sentence" in (warm / "contact" / "index.html").read_text(encoding="utf-8")
    assert {path for path in before if files(warm).get(path) != texts[path]} <= written  # what changed was written again
    assert "contact/index.html" in written and "about-us/index.html" not in written and "news/index.html" not in written
    assert len(written) < len(before) / 4
    assert_as_clean(sources, warm, tmp_path, "edited")


def test_pagefind_indexes_the_last_pages_while_pelican_reads_and_again_only_those_that_changed(tmp_path, monkeypatch):
    """laceps.build.AheadPages: the last output's pages go to Pagefind first, in the order they were
    written, from a thread of their own; the build gives it again only the pages it wrote anew that
    differ from the last (a page rendered again can come out the same: the Spanish Contact page,
    which names its English translation, after an edit of that)."""
    given = {"ahead": [], "written": []}
    give = pipeline.SearchIndex.give

    def spy(index, pages, pending):
        given["written" if threading.current_thread() is threading.main_thread() else "ahead"] += [relative for relative, _ in pages]
        return give(index, pages, pending)

    monkeypatch.setattr(pipeline.SearchIndex, "give", spy)
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    first, before, texts = given["written"], inodes(warm), files(warm)
    assert given["ahead"] == [] and len(first) > 20  # a build into an empty folder has no last pages
    given.update(ahead=[], written=[])
    page = sources.content / "pages" / "contact.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence, saved by the test.\n", encoding="utf-8")
    build(sources, tmp_path / "warm")
    assert given["ahead"] == first
    assert "contact/index.html" in given["written"] and len(given["written"]) < len(first) / 4
    written_again = (set(before) - kept(before, warm)) & set(first)
    assert set(given["written"]) == {path for path in written_again if files(warm)[path] != texts[path]}
    assert "es/contact/index.html" in written_again - set(given["written"])
    monkeypatch.undo()
    assert_as_clean(sources, warm, tmp_path, "edited")


def indexes_made(monkeypatch):
    """The languages whose index Pagefind makes (get_files), noted in the list returned."""
    made, get_files = [], PagefindIndex.get_files

    async def noting(index):
        files = await get_files(index)
        made.extend(json.loads(file["content"])["languages"] for file in files if file["path"] == pipeline.ENTRY)
        return files

    monkeypatch.setattr(PagefindIndex, "get_files", noting)
    return made


def test_a_language_whose_pages_did_not_change_keeps_its_last_index(tmp_path, monkeypatch):
    """laceps.build.SearchIndex.last_answers: the same pages, in the same order, make the same index:
    Pagefind makes only the index of the language edited, and the other's files are the last build's."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    spanish = add_translated_item(sources)
    warm = build(sources, tmp_path / "warm")
    made = indexes_made(monkeypatch)
    sources.edit_page()  # an English page
    build(sources, tmp_path / "warm")
    assert [list(languages) for languages in made] == [["en"]]
    made.clear()
    build(sources, tmp_path / "warm")  # nothing changed
    assert made == []
    spanish.write_text(spanish.read_text(encoding="utf-8") + "\nUna frase más, guardada por la prueba.\n", encoding="utf-8")
    build(sources, tmp_path / "warm")
    assert [list(languages) for languages in made] == [["es"]]
    assert_as_clean(sources, warm, tmp_path, "spanish")


def test_an_index_file_changed_in_the_last_output_is_made_again(tmp_path, monkeypatch):
    """The last index is only taken where its files still have the bytes the last build wrote."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    made = indexes_made(monkeypatch)
    meta = next((warm / "pagefind").glob("pagefind.es_*.pf_meta"))
    meta.write_bytes(b"changed")  # a file of the Spanish index
    sources.edit_page()
    build(sources, tmp_path / "warm")
    assert sorted(lang for languages in made for lang in languages) == ["en", "es"]
    assert_as_clean(sources, warm, tmp_path, "tampered-index")


def test_a_failure_while_pagefind_takes_the_last_pages_fails_the_build_and_keeps_the_last_output(tmp_path, monkeypatch):
    """An error in laceps.build.AheadPages' thread (Pagefind's answer to a page) stops the build as any
    other: reported, the last whole output kept; not a thread's traceback and a build that goes on."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    last = files(warm)
    give = pipeline.SearchIndex.give

    def failing_ahead(index, pages, pending):
        if threading.current_thread() is not threading.main_thread() and ("about-us/index.html", ANY) in pages:
            raise RuntimeError("Pagefind: the test's refusal")
        return give(index, pages, pending)

    monkeypatch.setattr(pipeline.SearchIndex, "give", failing_ahead)
    sources.edit_page()
    with pytest.raises(site.BuildFailed) as failure:
        build(sources, tmp_path / "warm")
    assert "Pagefind: the test's refusal" in failure.value.log
    assert files(warm) == last


def test_a_warm_build_writes_the_spanish_site_in_a_process_of_its_own_and_takes_in_what_it_did(tmp_path, monkeypatch):
    """laceps.subsite_writing: the Spanish site's pages are written by a child while the build writes
    the English ones; its pages still come first in the search index, and its records last."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    spanish = add_translated_item(sources)
    warm = build(sources, tmp_path / "warm")
    reports, take_in = [], subsite_writing.Forks.take_in
    monkeypatch.setattr(subsite_writing.Forks, "take_in", lambda forks, lang, report: reports.append(report) or take_in(forks, lang, report))
    spanish.write_text(spanish.read_text(encoding="utf-8") + "\nUna frase más, guardada por la prueba.\n", encoding="utf-8")
    build(sources, tmp_path / "warm")
    year, number = spanish.stem[:4], spanish.stem.split("-")[-2]
    page = str(warm / "es" / "news" / year / f"added-item-{number}" / "index.html")
    assert len(reports) == 1 and reports[0]["error"] is None
    assert page in reports[0]["search"] and page in reports[0]["renders"]
    assert all(path.startswith(f"{warm}/es/") for path in reports[0]["written"])
    order = pickle.loads(next((tmp_path / "warm" / "cache").rglob(pipeline.SEARCH_RECORD)).read_bytes())["order"]
    spanish_places = [place for place, path in enumerate(order) if path.startswith("es/")]
    assert spanish_places == list(range(len(spanish_places)))  # Pelican's order: the Spanish site first
    monkeypatch.undo()
    before = inodes(warm)
    build(sources, tmp_path / "warm")  # nothing changed: the child's records tell every page
    assert kept(before, warm) == set(before)
    assert_as_clean(sources, warm, tmp_path, "spanish")


def test_a_spanish_page_that_fails_in_its_own_process_fails_the_build_with_its_message(tmp_path):
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    last = files(warm)

    sources.edit_page()
    failure = build_refusing(sources, tmp_path / "warm", warm / "es" / "contact" / "index.html", "a Spanish page")
    assert "RuntimeError: the test's refusal of a Spanish page" in failure.log
    assert "SubsiteFailed: the writing of the 'es' site failed" in failure.log
    assert files(warm) == last


def test_a_build_that_fails_in_its_english_writing_ends_and_waits_for_the_spanish_child(tmp_path, monkeypatch):
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    last, children, fork = files(warm), [], subsite_writing.Forks.fork

    def noting_children(forks, subsite):
        try:
            fork(forks, subsite)  # returns in the child, whose list is empty
        finally:
            children.extend(pid for _, pid, _ in forks.children)

    monkeypatch.setattr(subsite_writing.Forks, "fork", noting_children)
    sources.edit_page()
    failure = build_refusing(sources, tmp_path / "warm", warm / "contact" / "index.html", "an English page")
    assert "RuntimeError: the test's refusal of an English page" in failure.log
    assert len(children) == 1 and not os.path.exists(f"/proc/{children[0]}")  # ended, and waited for
    assert files(warm) == last


def test_the_files_of_search_and_of_the_editor_an_edit_leaves_the_same_are_linked_from_the_last_output(tmp_path):
    """Linked, not written: a new file needs an inode, slow to find just after the last output's
    were freed (laceps.warm.put)."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm_output = build(sources, tmp_path / "warm")

    def identities(folder):
        return {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in folder.rglob("*") if path.is_file()}

    index, editor = identities(warm_output / "pagefind"), identities(warm_output / "admin")
    sources.edit_news()
    build(sources, tmp_path / "warm")
    new_index = identities(warm_output / "pagefind")
    same = [path for path, identity in new_index.items() if index.get(path) == identity]
    assert len(new_index) / 2 < len(same) < len(new_index)  # the edited item's fragment, the index's parts: new
    assert identities(warm_output / "admin") == editor
    assert_as_clean(sources, warm_output, tmp_path, "edited")


def test_put_links_a_file_of_the_same_bytes_and_never_writes_through_a_link(tmp_path):
    last, linked = tmp_path / "last", tmp_path / "linked"
    last.write_bytes(b"the last output's")
    os.link(last, linked)
    warm.put(linked, b"new")
    assert (last.read_bytes(), linked.read_bytes()) == (b"the last output's", b"new")
    warm.put(tmp_path / "same", b"the last output's", last)
    assert (tmp_path / "same").stat().st_ino == last.stat().st_ino
    warm.put(tmp_path / "other", b"other bytes", last)
    assert (tmp_path / "other").read_bytes() == b"other bytes"
    assert last.read_bytes() == b"the last output's" and last.stat().st_nlink == 2  # itself and "same"


def test_a_build_after_no_change_takes_every_page_those_with_a_save_as_of_their_own_included(tmp_path):
    """Home and the 404 page name their own file (Save_as), which Pelican writes with override_output."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    before = inodes(warm)
    build(sources, tmp_path / "warm")
    assert {"index.html", "es/index.html", "404.html"} <= set(before)
    assert kept(before, warm) == set(before)


def test_a_page_changed_in_the_last_output_is_written_again(tmp_path):
    """The last output is only trusted where it still holds what was recorded."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    tampered = warm / "about-us" / "index.html"
    tampered.write_text(tampered.read_text(encoding="utf-8").replace("<main", "<main data-changed"), encoding="utf-8")
    (warm / "contact" / "index.html").unlink()
    build(sources, tmp_path / "warm")
    assert_as_clean(sources, warm, tmp_path, "tampered")


def test_a_failed_build_leaves_the_last_whole_output_then_its_fix_builds_as_clean(tmp_path):
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    last = files(warm)
    page = sources.content / "pages" / "about-us.md"
    original = page.read_text(encoding="utf-8")
    page.write_text(original.replace("Template: about", "Template: no-such-template", 1), encoding="utf-8")
    with pytest.raises(site.BuildFailed):
        build(sources, tmp_path / "warm")
    assert files(warm) == last
    page.write_text(original + "\nFixed.\n", encoding="utf-8")
    build(sources, tmp_path / "warm")
    assert_as_clean(sources, warm, tmp_path, "fixed")


def test_the_pages_of_a_failed_build_stay_out_of_the_next_sitemap(tmp_path):
    """The builds of one process (`invoke livereload`'s) share the plugins' state: a Spanish item
    written by a build that then failed (in its first pass, the Spanish one) and deleted before the
    next build is not in that build's sitemap."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    spanish = add_translated_item(sources)
    page = sources.content / "pages" / "about-us.md"
    original = page.read_text(encoding="utf-8")
    page.write_text(original.replace("Template: about", "Template: no-such-template", 1), encoding="utf-8")
    with pytest.raises(site.BuildFailed):
        build(sources, tmp_path / "warm")
    spanish.unlink()
    page.write_text(original, encoding="utf-8")
    build(sources, tmp_path / "warm")
    year, number = spanish.stem[:4], spanish.stem.split("-")[-2]
    sitemap = (warm / "sitemap.xml").read_text(encoding="utf-8")
    assert f"/news/{year}/added-item-{number}/<" in sitemap  # the English item
    assert f"/es/news/{year}/added-item-{number}/" not in sitemap
    assert_as_clean(sources, warm, tmp_path, "fixed")


def test_a_build_stopped_midway_is_followed_by_a_clean_one(tmp_path):
    """Stopped while it wrote (its last whole output still aside, a part of a new one in place)."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    warm.rename(warm.with_name(".output-former"))
    (warm / "news").mkdir(parents=True)
    (warm / "news" / "index.html").write_text("half a page", encoding="utf-8")
    sources.edit_page()
    build(sources, tmp_path / "warm")
    assert_as_clean(sources, warm, tmp_path, "after a stop")
    assert not warm.with_name(".output-former").exists()


def test_new_modification_times_alone_keep_the_content_cache(tmp_path):
    """As in a fresh checkout (CI restores cache/ from the last run): every file has a new time, no
    file new bytes, and each file's reading comes from the content cache, not from reading it again.
    The cache is seen at work by a reading changed in it (one word: typography leaves it as it is), which the next build shows."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    warm = build(sources, tmp_path / "warm")
    cache_file = next((tmp_path / "warm" / "cache").glob("PagesGenerator-Readers"))
    with cache_file.open("rb") as file:
        cached = pickle.load(file)
    about = str(sources.content / "pages" / "about-us.md")
    stamp, (text, metadata) = cached[about]
    cached[about] = (stamp, (text.replace("</h2>", "</h2><p>ReadFromTheCache</p>", 1), metadata))
    with cache_file.open("wb") as file:
        pickle.dump(cached, file)
    later = time.time() + 3600
    for path in sources.folder.rglob("*"):
        os.utime(path, (later, later))
    build(sources, tmp_path / "warm")
    assert "ReadFromTheCache" in (warm / "about-us" / "index.html").read_text(encoding="utf-8")


def test_what_output_retention_names_stays_through_warm_and_failed_builds(tmp_path):
    """As Pelican's own cleaning keeps it (a deployment's .git in the output, say)."""
    sources = ProductionSources(tmp_path / "sources", random.Random(SEED))
    output = tmp_path / "warm" / "output"
    extra = {**NOW, "CACHE_PATH": str(tmp_path / "warm" / "cache"), "OUTPUT_RETENTION": [".git"]}

    def build_retaining():
        site.build(settings=sources.settings, output=output, content=sources.content, extra=extra, quiet=True)

    build_retaining()
    (output / ".git").mkdir()
    (output / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    sources.edit_page()
    build_retaining()  # warm: the last output set aside, .git brought back
    assert (output / ".git" / "HEAD").read_text(encoding="utf-8") == "ref: refs/heads/main\n"
    page = sources.content / "pages" / "about-us.md"
    page.write_text(page.read_text(encoding="utf-8").replace("Template: about", "Template: no-such-template", 1), encoding="utf-8")
    with pytest.raises(site.BuildFailed):
        build_retaining()  # the last output put back, .git with it
    assert (output / ".git" / "HEAD").read_text(encoding="utf-8") == "ref: refs/heads/main\n"
    assert (output / "index.html").is_file()
