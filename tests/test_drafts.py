"""Drafts (Status: draft): absent from every part of a production build, shown and marked locally."""

import shutil
import subprocess
import sys

import pytest

from laceps import PROJECT_ROOT
from tests.content_copy import build, copy_content

DRAFT_ITEM = """\
Title: A sample draft press release
Date: 2025-01-03
Category: Press Releases
Source: LACEPS
Status: draft

The text of a sample draft.
"""
DRAFT_PAGE = """\
Title: A sample draft page
Status: draft

The text of a sample draft page.
"""




def page_file(title, status, lang="en", slug=""):
    """A page as EDITING.md teaches it: a translation has Lang and its original's Slug."""
    fields = [f"Title: {title}", f"Slug: {slug}" if slug else "", f"Lang: {lang}" if lang != "en" else "", f"Status: {status}"]
    return "\n".join(filter(None, fields)) + f"\n\nThe text of {title}.\n"


# A page and its Spanish translation, in each mix of draft and published.
PAIRS = {
    "unfinished-pair": ("draft", "draft"),
    "unfinished-original": ("draft", "published"),
    "unfinished-translation": ("published", "draft"),
}


def add_translated_pages(content):
    for slug, (english, spanish) in PAIRS.items():
        (content / f"pages/{slug}.md").write_text(page_file(f"Sample {english} page {slug}", english, slug=slug), encoding="utf-8")
        (content / f"pages/es/{slug}.md").write_text(
            page_file(f"Página de ejemplo {slug}", spanish, lang="es", slug=slug), encoding="utf-8"
        )


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drafts")
    content = copy_content(folder)
    (content / "news/2025-01-03-sample-draft.md").write_text(DRAFT_ITEM, encoding="utf-8")
    (content / "pages/sample-draft-page.md").write_text(DRAFT_PAGE, encoding="utf-8")
    add_translated_pages(content)
    return {"production": build(content, folder), "local": build(content, folder, production=False)}


def test_production_has_no_trace_of_drafts(builds):
    output = builds["production"]
    for path in output.rglob("*"):
        assert "draft" not in path.name
        if path.suffix in (".html", ".xml", ".txt"):
            text = path.read_text()
            assert "sample draft" not in text.lower(), path  # no page, list entry, feed entry or sitemap URL
            assert "draft-label" not in text and "draft-banner" not in text, path
    assert (output / "feeds/all.atom.xml").is_file() and (output / "sitemap.xml").is_file()  # both were looked at


def test_locally_a_draft_item_has_its_page_with_a_banner(builds):
    html = (builds["local"] / "news/2025/a-sample-draft-press-release/index.html").read_text()
    assert '<p class="draft-banner"><strong>Draft</strong>' in html
    assert "The text of a sample" in html


def test_locally_a_draft_item_is_listed_and_marked(builds):
    for listing in ("news/index.html", "news/press-releases/index.html"):
        html = (builds["local"] / listing).read_text()
        entry = html[html.index('id="a-sample-draft-press-release"'):]
        entry = entry[: entry.index("</li>")]
        assert '<span class="draft-label">Draft</span>' in entry, listing


def test_locally_a_draft_page_is_at_its_address_with_a_banner(builds):
    html = (builds["local"] / "a-sample-draft-page/index.html").read_text()
    assert '<p class="draft-banner"><strong>Draft</strong>' in html


def test_published_items_are_not_marked(builds):
    html = (builds["local"] / "news/index.html").read_text()
    assert html.count('class="draft-label"') == 1


def test_locally_a_page_and_its_translation_show_in_their_own_language_whichever_is_a_draft(builds):
    for slug, statuses in PAIRS.items():
        for lang, prefix, status in (("en", "", statuses[0]), ("es", "es/", statuses[1])):
            html = (builds["local"] / f"{prefix}{slug}/index.html").read_text()
            assert f'<html lang="{lang}"' in html, (slug, lang)
            assert ("Página de ejemplo" in html) == (lang == "es"), (slug, lang)
            assert ('class="draft-banner"' in html) == (status == "draft"), (slug, lang)


def test_in_production_a_translation_waits_for_its_draft_original(builds):
    output = builds["production"]
    for slug, (english, _) in PAIRS.items():
        assert (output / slug).exists() == (english == "published"), slug
        assert (output / "es" / slug).exists() == (english == "published"), slug
    sitemap = (output / "sitemap.xml").read_text()
    assert "unfinished-pair" not in sitemap and "unfinished-original" not in sitemap
    # The draft translation is not published: /es/ keeps the English page, as for any untranslated page.
    kept = (output / "es/unfinished-translation/index.html").read_text()
    assert "Sample published page" in kept and "Página de ejemplo" not in kept


# The tests that compare the build with the real content: they must take drafts in their stride.
CONTENT_DEPENDENT_TESTS = ("tests/test_site.py", "tests/test_i18n.py", "tests/test_search.py")


def test_committing_drafts_as_the_guide_teaches_keeps_the_tests_green(tmp_path):
    """EDITING.md: add `Status: draft` to a news item or a page, and commit. The suite must still pass."""
    clone = tmp_path / "clone"  # the working tree as it is, so the tests of uncommitted work run too
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (PROJECT_ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_ROOT / name, clone / name)
    (clone / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")
    content = clone / "content"
    (content / "news/2025-01-03-sample-draft.md").write_text(DRAFT_ITEM, encoding="utf-8")
    (content / "pages/sample-draft-page.md").write_text(DRAFT_PAGE, encoding="utf-8")
    add_translated_pages(content)
    git = ["git", "-c", "user.name=Editor", "-c", "user.email=editor@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Add drafts"]):
        subprocess.run([*git, *command], cwd=clone, check=True)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *CONTENT_DEPENDENT_TESTS],
        cwd=clone, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
