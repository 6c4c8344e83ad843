"""Drafts (Status: draft): absent from every part of a production build, shown and marked locally."""

import pytest

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


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drafts")
    content = copy_content(folder)
    (content / "news/2025-01-03-sample-draft.md").write_text(DRAFT_ITEM, encoding="utf-8")
    (content / "pages/sample-draft-page.md").write_text(DRAFT_PAGE, encoding="utf-8")
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
