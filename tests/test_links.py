"""Internal links: predicted by `invoke check` before the build, verified on the production build."""

import pickle
import subprocess
import sys

import pytest
from lxml import html

from laceps import PROJECT_ROOT, site
from laceps.links import PAGE_LINKS, broken_links
from tests.content_copy import build, copy_content, replace_in
from tests.reading import PRODUCTION_URL

GOOD_LINKS = (
    "[About](/about-us/) [About, no slash](/about-us) [Home](/) [Spanish team](/es/our-team/) "
    "[Relative](../our-members/) [Stories](/news/news-stories/) [Section](#a-heading) "
    '[Mail](mailto:joni@lacfeps.org) [Elsewhere](https://example.org/x/) <a href="/contact/">Contact</a>'
)


def check(content):
    """`invoke check` on a content folder, as an editor runs it: (exit code, what it printed)."""
    run = subprocess.run(
        [sys.executable, "-m", "invoke", "check", "--content", str(content)],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )
    return run.returncode, run.stdout + run.stderr


def test_check_reports_a_link_to_a_page_that_does_not_exist_with_path_line_and_a_suggestion(tmp_path):
    content = copy_content(tmp_path)
    page = content / "pages/contact.md"
    lines = page.read_text(encoding="utf-8").count("\n")
    page.write_text(page.read_text(encoding="utf-8") + f"\n{GOOD_LINKS}\n\nSee [members](/our-member/).\n", encoding="utf-8")
    code, output = check(content)
    assert code != 0
    problems = [line for line in output.splitlines() if ": link to " in line]
    assert problems == [
        f"{page}:{lines + 4}: link to /our-member/: no page of the site has that address — did you mean /our-members/?"
    ]
    assert "Traceback" not in output


def test_check_knows_the_addresses_of_news_items_and_section_pages(tmp_path):
    content = copy_content(tmp_path)
    (content / "news/2026-03-01-update.md").write_text(
        "Title: A sample update\nDate: 2026-03-01\nCategory: Press Releases\nSource: LACEPS\n\n"
        "See [the update in 2025](/news/2025/a-sample-update/) and [releases](/news/press-releases/page/2/).\n",
        encoding="utf-8",
    )
    page = content / "pages/contact.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[Update](/news/2026/a-sample-update/) [Releases](/news/press-releases/)\n", encoding="utf-8")
    code, output = check(content)
    reported = sorted(line.split(": link to ")[1].split(":")[0] for line in output.splitlines() if ": link to " in line)
    assert reported == ["/news/2025/a-sample-update/", "/news/press-releases/page/2/"], output
    assert code != 0


@pytest.fixture(scope="module")
def broken_build(tmp_path_factory):
    """The production build of content with the contact page gone, a draft linked to, and a missing #fragment."""
    folder = tmp_path_factory.mktemp("broken-links")
    content = copy_content(folder)
    for path in ("pages/contact.md", "pages/es/contact.md"):
        (content / path).unlink()
    (content / "pages/sample-draft.md").write_text("Title: Sample draft\nStatus: draft\n\nNot yet.\n", encoding="utf-8")
    replace_in(content / "pages/our-programs.md", "\n\n", "\n\n[Coming soon](/sample-draft/) [Jump](/about-us/#no-such-section)\n\n")
    try:
        build(content, folder)
    except site.BuildFailed as failure:
        return failure, folder / "output"
    pytest.fail("the production build published broken links")


def test_the_production_build_fails_naming_each_page_and_broken_link(broken_build):
    failure, _ = broken_build
    problems = failure.log.splitlines()
    assert f"/about-us/: the link to {PRODUCTION_URL}/contact/ leads to no page or file of the site" in problems
    assert f"/es/: the link to {PRODUCTION_URL}/es/contact/ leads to no page or file of the site" in problems
    assert f"/our-programs/: the link to {PRODUCTION_URL}/sample-draft/ leads to no page or file of the site" in problems
    assert f"/our-programs/: the link to {PRODUCTION_URL}/about-us/#no-such-section leads to no #no-such-section on that page" in problems
    assert "broken link(s)" in str(failure)


def test_the_check_reads_every_link_lxml_finds_on_the_built_pages(broken_build):
    """LINK_ATTRIBUTES: of the attributes lxml's iterlinks reads, all that the site's pages carry (a new one in a template fails here)."""
    _, output = broken_build
    for page in output.rglob("*.html"):
        tree = html.fromstring(page.read_bytes())
        assert sorted(PAGE_LINKS(tree)) == sorted(link for element, _, link, _ in tree.iterlinks() if element.tag != "meta"), page


def test_a_local_build_shows_the_draft_the_link_leads_to(tmp_path):
    content = copy_content(tmp_path)
    (content / "pages/sample-draft.md").write_text("Title: Sample draft\nStatus: draft\n\nNot yet.\n", encoding="utf-8")
    replace_in(content / "pages/our-programs.md", "\n\n", "\n\n[Coming soon](/sample-draft/)\n\n")
    output = build(content, tmp_path, production=False)
    assert (output / "sample-draft/index.html").is_file()


def write_pages(root, pages):
    for path, text in pages.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


def test_broken_links_reads_every_kind_of_link(tmp_path):
    write_pages(tmp_path, {
        "about/index.html": '<main id="top"><h2 id="team">Team</h2></main>',
        "style.css": "",
        "index.html": (
            '<link rel="stylesheet" href="style.css"><link rel="icon" href="/missing.svg">'
            '<a href="about/">a</a><a href="/about#team">b</a><a href="about/#gone">c</a>'
            '<a href="https://elsewhere.example/">d</a><a href="mailto:x@example.org">e</a><img src="/photo.png" alt="">'
            '<picture><source type="image/webp" srcset="/p-400.webp 400w, /p-800.webp 800w">'
            '<img src="/p-400.webp" srcset="/p-400.webp 400w,/p-1200.webp 1200w" alt=""></picture>'
        ),
        "p-400.webp": "",
    })
    checked, problems = broken_links(tmp_path, "https://site.example")
    assert checked == 11
    assert problems == [
        "/: the link to https://site.example/missing.svg leads to no page or file of the site",
        "/: the link to https://site.example/about/#gone leads to no #gone on that page",
        "/: the link to https://site.example/photo.png leads to no page or file of the site",
        "/: the link to https://site.example/p-800.webp leads to no page or file of the site",
        "/: the link to https://site.example/p-1200.webp leads to no page or file of the site",
    ]


def test_broken_links_resolves_each_address_as_a_browser_does_for_a_site_under_a_path(tmp_path):
    write_pages(tmp_path, {
        "about/index.html": '<meta charset="utf-8"><h2 id="team">Team</h2><h2 id="café">Café</h2>',
        "café/index.html": "<p>Café</p>",
        "files/a b.pdf": "",
        "news/item/index.html": (
            '<meta http-equiv="refresh" content="0; url=/pr-12/nowhere/"><main id="top">'
            '<a href="../../about/">up</a><a href="../../about">folder</a><a href=" ../../about/ ">spaces</a>'
            '<a href="../../about/?q=1&amp;r=2#team">query</a><a href="/pr-12/about/#caf%C3%A9">encoded</a>'
            '<a href="https://site.example/pr-12/caf%C3%A9/">folder</a><a href="/pr-12/files/a%20b.pdf">file</a>'
            '<a href="">itself</a><a href="#top">top</a><a href="//elsewhere.example/x">other host</a>'
            '<a href="/pr-12/about/#caf%C3%A9s">a</a><a href="/about/">b</a><a href="?page=2#nowhere">c</a>'
            '<blockquote cite="/pr-12/missing/">d</blockquote><a href="../later/#gone">e</a></main>'
        ),
        "news/later/index.html": '<p id="here"><a href="../item/#top">back</a><a href="../item/#gone">gone</a></p>',
    })
    checked, problems = broken_links(tmp_path, "https://site.example/pr-12")
    assert checked == 16
    assert problems == [
        "/news/item/: the link to https://site.example/pr-12/about/#caf%C3%A9s leads to no #caf%C3%A9s on that page",
        "/news/item/: the link to https://site.example/about/ leads to no page or file of the site",
        "/news/item/: the link to https://site.example/pr-12/news/item/index.html?page=2#nowhere leads to no #nowhere on that page",
        "/news/item/: the link to https://site.example/pr-12/missing/ leads to no page or file of the site",
        "/news/item/: the link to https://site.example/pr-12/news/later/#gone leads to no #gone on that page",
        "/news/later/: the link to https://site.example/pr-12/news/item/#gone leads to no #gone on that page",
    ]


def test_broken_links_reports_pages_in_the_order_of_their_folders(tmp_path):
    write_pages(tmp_path, {"a-b/index.html": '<a href="/x/">x</a>', "a/index.html": '<a href="/y/">y</a>', "a/b.html": '<a href="/z/">z</a>'})
    _, problems = broken_links(tmp_path, "https://site.example")
    assert [problem.split(" leads")[0] for problem in problems] == [
        "/a/b.html: the link to https://site.example/z/",
        "/a/: the link to https://site.example/y/",
        "/a-b/: the link to https://site.example/x/",
    ]


def test_broken_links_kept_from_one_check_to_the_next_find_what_a_fresh_check_finds(tmp_path):
    """With a memory (the cache folder's), an unchanged page's links are not read again; a changed
    page's are, and a page's target that went missing is still missing."""
    site, memory = tmp_path / "site", tmp_path / "cache" / "links.pickle"
    write_pages(site, {
        "index.html": '<a href="/about/#team">team</a><a href="/news/">news</a>',
        "about/index.html": '<h2 id="team">Team</h2>',
        "news/index.html": '<a href="/">home</a>',
    })
    assert broken_links(site, "https://site.example", memory) == (3, [])
    write_pages(site, {"about/index.html": '<h2 id="people">Team</h2>', "news/index.html": '<a href="/gone/">gone</a>'})
    fresh = broken_links(site, "https://site.example")
    assert broken_links(site, "https://site.example", memory) == fresh == (3, [
        "/: the link to https://site.example/about/#team leads to no #team on that page",
        "/news/: the link to https://site.example/gone/ leads to no page or file of the site",
    ])
    (site / "news" / "index.html").unlink()
    assert broken_links(site, "https://site.example", memory) == (2, [
        "/: the link to https://site.example/about/#team leads to no #team on that page",
        "/: the link to https://site.example/news/ leads to no page or file of the site",
    ])
    with memory.open("rb") as file:
        assert len(pickle.load(file)) == 2  # the pages of the last check only
