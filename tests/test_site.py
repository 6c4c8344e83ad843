"""The built site, read as a visitor's browser and a search engine would read it.

Every test reads the real production build (see conftest.built_site); the tests
of broken content build a copy of the real content with one mistake in it.
"""

import functools
import pickle
import shutil
from pathlib import Path

import feedparser
import pytest
import yaml
from lxml import etree, html

from laceps import PROJECT_ROOT, site
from laceps.links import broken_links
from laceps.plugins.templating import canonical_path
from tests.content_copy import build_variant, replace_in
from tests.reading import PRODUCTION_URL, SITEMAP_NS, main_text, news_items, normalise, page, site_pages

# The client's own text of the About Us page, as they sent it (kept here: tests read nothing outside the repository).
CLIENT_ABOUT_US = Path(__file__).parent / "fixtures" / "client-about-us.txt"
SECTIONS = {
    "News Stories": "news-stories",
    "Press Releases": "press-releases",
    "Opinion Editorials": "opinion-editorials",
}
NAV = ["Home", "About Us", "Our Team", "Our Members", "Our Programs", "In The News"]
# --- Every page and its content ------------------------------------------------
PAGES = {
    "index.html": "Home",
    "about-us/index.html": "About Us",
    "our-team/index.html": "Our Team",
    "our-members/index.html": "Our Members",
    "our-programs/index.html": "Our Programs",
    "news/index.html": "In The News",
    "contact/index.html": None,
    "404.html": None,
}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_navigation_marking_the_current_one(built_site, path):
    tree = page(built_site, path)
    links = tree.xpath('//nav[@aria-label="Main"]//a')
    assert [normalise(a.text_content()) for a in links] == NAV
    current = [normalise(a.text_content()) for a in links if a.get("aria-current") == "page"]
    assert current == ([PAGES[path]] if PAGES[path] else [])
    assert tree.xpath('//a[@class="skip-link"]/@href') == ["#main"]
    assert tree.xpath("//main/@id") == ["main"]


def test_about_us_carries_the_whole_client_text(built_site):
    seed = CLIENT_ABOUT_US.read_text(encoding="utf-8")
    story, _, footer = seed.partition("Quick Links")
    text = main_text(page(built_site, "about-us/index.html"))
    headings = [normalise(h.text_content()) for h in page(built_site, "about-us/index.html").xpath("//main//h2")]
    assert headings[:4] == ["Our journey", "A community schools model", "LACEPS Today", "About Us"]
    paragraphs = [p for p in story.split("\n") if len(p.split()) > 8]
    summary = footer.rsplit("About Us", 1)[1].split("Contact Us")[0]
    assert len(paragraphs) == 9
    for paragraph in [*paragraphs, summary]:
        assert normalise(paragraph) in text


def test_home_shows_mission_figures_news_and_contact(built_site):
    tree = page(built_site, "index.html")
    text = main_text(tree)
    figures = yaml.safe_load((PROJECT_ROOT / "content/data/site.yaml").read_text())["figures"]
    assert figures == {"networks": 9, "schools": 104, "students": 51000}
    shown = [normalise(li.text_content()) for li in tree.xpath('//ul[@class="figures"]/li')]
    assert shown == ["9 nonprofit public charter school networks", "104 schools", "51,000+ kids"]
    assert "Our mission is to empower Los Angeles' leading public nonprofit charter schools" in text
    latest = [normalise(h.text_content()) for h in tree.xpath('//main//li[@class="news-item"]/h3')]
    newest = sorted(news_items(), key=lambda item: item["Date"], reverse=True)[:3]
    assert latest == [normalise(item["Title"]) for item in newest]
    assert tree.xpath('//main//a[@href="mailto:joni@lacfeps.org"]')


def test_figures_come_from_the_data_file(tmp_path, tmp_path_factory):
    output = build_variant(
        tmp_path,
        lambda content: replace_in(content / "data/site.yaml", "schools: 104", "schools: 110"),
    )
    tree = html.fromstring((output / "index.html").read_bytes())
    assert "110 schools" in [normalise(li.text_content()) for li in tree.xpath('//ul[@class="figures"]/li')]
    assert "with 110 schools serving over 51,000 kids" in normalise(tree.find(".//footer").text_content())


def test_members_page_has_a_card_per_member_and_says_there_are_nine(built_site):
    tree = page(built_site, "our-members/index.html")
    members = yaml.safe_load((PROJECT_ROOT / "content/data/members.yaml").read_text())["members"]
    names = [normalise(h.text_content()) for h in tree.xpath('//ul[@class="cards"]/li/h2')]
    assert names == [m["name"] for m in members]
    networks = yaml.safe_load((PROJECT_ROOT / "content/data/site.yaml").read_text())["figures"]["networks"]
    text = main_text(tree)
    assert "nine of L.A.'s leading nonprofit public charter school networks" in text
    still_to_list = networks - len(members)
    assert (f"{still_to_list} more member networks will be listed here soon." in text) == (still_to_list > 0)


def test_team_page_ships_the_coalition_contact(built_site):
    tree = page(built_site, "our-team/index.html")
    assert tree.xpath('//main//a[@href="mailto:joni@lacfeps.org"]')
    assert "Profiles of the coalition team will be added here." in main_text(tree)


def test_programs_page_covers_the_coalition_work(built_site):
    headings = [normalise(h.text_content()) for h in page(built_site, "our-programs/index.html").xpath("//main//h2")]
    assert headings == [
        "Family and civic engagement",
        "Advocacy at every level of government",
        "The community schools model",
        "Member collaboration",
        "Pandemic response",
    ]
    text = main_text(page(built_site, "our-programs/index.html"))
    for phrase in ("Family Summits", "candidate forums", "local, state, and federal levels", "In 2022"):
        assert phrase in text


def test_contact_page_has_the_email_as_a_mailto_link(built_site):
    assert page(built_site, "contact/index.html").xpath('//main//a[@href="mailto:joni@lacfeps.org"]')


def test_footer_on_every_page(built_site):
    for path in site_pages(built_site):
        tree = page(built_site, path)
        footer = tree.find(".//footer")
        assert footer is not None, path
        # The quick links repeat the menu, in the page's language.
        menu = [normalise(a.text_content()) for a in tree.xpath('//nav[@class="site-nav"]//a')]
        labels = [normalise(a.text_content()) for a in footer.xpath(".//nav//a")]
        assert labels[: len(NAV)] == menu, path
        assert footer.xpath('.//a[@href="mailto:joni@lacfeps.org"]'), path
        # No accounts are configured, so "Follow Us" is not shown.
        assert "Follow Us" not in footer.text_content(), path


def test_follow_us_links_come_from_settings(tmp_path):
    output = build_variant(tmp_path, extra={"SOCIAL": [["Example network", "https://social.example/laceps"]]})
    footer = html.fromstring((output / "index.html").read_bytes()).find(".//footer")
    assert "Follow Us" in footer.text_content()
    link = footer.xpath('.//a[@href="https://social.example/laceps"]')[0]
    assert "noopener" in link.get("rel")


# --- News --------------------------------------------------------------------------
def test_each_news_item_is_listed_under_its_section_with_date_and_source(built_site):
    tree = page(built_site, "news/index.html")
    assert [normalise(h.text_content()) for h in tree.xpath("//main//h2")] == list(SECTIONS)
    for item in news_items():
        slug = SECTIONS[item["Category"]]
        section_page = page(built_site, f"news/{slug}/index.html")
        entries = [
            li
            for li in section_page.xpath('//li[@class="news-item"]')
            if normalise(li.find("h2").text_content()) == normalise(item["Title"])
        ]
        assert len(entries) == 1, item["Title"]
        meta = normalise(entries[0].find_class("news-item__meta")[0].text_content())
        assert meta.endswith(item["Source"]), meta
        assert entries[0].xpath(".//time/@datetime") == [item["Date"]]


def test_sections_list_items_newest_first_and_an_empty_section_says_so(built_site):
    tree = page(built_site, "news/index.html")
    for name, slug in SECTIONS.items():
        section = tree.xpath(f'//section[@aria-labelledby="{slug}"]')[0]
        dates = section.xpath(".//time/@datetime")
        assert dates == sorted(dates, reverse=True)
        expected = sorted((i["Date"] for i in news_items() if i["Category"] == name), reverse=True)
        assert dates[: len(expected)] == expected[: len(dates)]
        if not expected:
            assert "Nothing here yet." in section.text_content()
            assert not (built_site / f"news/{slug}").exists()


def test_spanish_titles_are_marked_as_spanish(built_site):
    spanish = {normalise(i["Title"]) for i in news_items() if i.get("Lang") == "es"}
    assert spanish, "the shipped news has items in Spanish"
    for path in ("index.html", "news/index.html", "news/news-stories/index.html"):
        listed = page(built_site, path).xpath('//main//li[@class="news-item"]')
        for li in listed:
            title = normalise(li.find_class("news-item__title")[0].text_content())
            assert li.get("lang") == ("es" if title in spanish else None), (path, title)
    stories = page(built_site, "news/news-stories/index.html").xpath('//li[@class="news-item"][@lang="es"]')
    stories_by_date = sorted((i for i in news_items() if i["Category"] == "News Stories"), key=lambda i: i["Date"])
    on_first_page = stories_by_date[-10:]
    assert len(stories) == len([i for i in on_first_page if i.get("Lang") == "es"])


def test_items_without_body_or_link_are_listed_without_a_link(built_site):
    bare = {normalise(i["Title"]) for i in news_items() if not i["has_body"] and not i.get("Link")}
    listed = page(built_site, "news/news-stories/index.html").xpath('//li[@class="news-item"]')
    for li in listed:
        if normalise(li.find_class("news-item__title")[0].text_content()) in bare:
            assert not li.xpath(".//a"), normalise(li.text_content())
    with_page = [i for i in news_items() if i["has_body"]]
    assert len(list((built_site / "news").glob("20*/*/index.html"))) == len(with_page)


ITEM_WITH_BODY = """Title: A coalition update
Date: 2026-01-15
Category: Press Releases
Source: LACEPS
Summary: A short summary.

The body of the update.
"""
ITEM_WITH_LINK = """Title: Coverage elsewhere
Date: 2026-01-10
Category: News Stories
Source: Green Dot
Link: https://news.example/story
"""
ITEM_LISTED_ONLY = """Title: A listing without a link
Date: 2026-01-11
Category: News Stories
Source: LACEPS
"""


def test_items_with_a_body_get_a_page_and_items_with_a_link_link_out(tmp_path):
    def add_items(content):
        (content / "news/body.md").write_text(ITEM_WITH_BODY)
        (content / "news/link.md").write_text(ITEM_WITH_LINK)
        (content / "news/listed.md").write_text(ITEM_LISTED_ONLY)

    output = build_variant(tmp_path, add_items)
    article = html.fromstring((output / "news/2026/a-coalition-update/index.html").read_bytes())
    assert "The body of the update." in normalise(article.find(".//main").text_content())
    assert article.xpath('//script[@type="application/ld+json"]')
    listing = html.fromstring((output / "news/index.html").read_bytes())
    internal = next(a for a in listing.iter("a") if normalise(a.text_content()) == "A coalition update")
    assert internal.get("href") == f"{PRODUCTION_URL}/news/2026/a-coalition-update/"
    external = listing.xpath('//a[@href="https://news.example/story"]')[0]
    assert "noopener" in external.get("rel") and "external" in external.get("rel")
    assert "(external site)" in external.text_content()
    assert not (output / "news/2026/coverage-elsewhere").exists()
    listed_only = listing.xpath('//*[@id="a-listing-without-a-link"]')[0]
    assert normalise(listed_only.text_content()) == "A listing without a link" and not listed_only.xpath(".//a")
    assert not (output / "news/2026/a-listing-without-a-link").exists()
    sections = listing.xpath('//section[@aria-labelledby="press-releases"]')[0]
    assert "Nothing here yet." not in sections.text_content()


def test_section_pages_paginate(tmp_path):
    already = len([i for i in news_items() if i["Category"] == "Opinion Editorials"])

    def add_many(content):
        for day in range(1, 23 - already):
            (content / f"news/op-{day}.md").write_text(
                f"Title: Opinion number {day}\nDate: 2026-02-{day:02d}\nCategory: Opinion Editorials\nSource: LACEPS\n"
            )

    output = build_variant(tmp_path, add_many)
    first = html.fromstring((output / "news/opinion-editorials/index.html").read_bytes())
    second = html.fromstring((output / "news/opinion-editorials/page/2/index.html").read_bytes())
    assert len(first.xpath('//li[@class="news-item"]')) == 10
    assert len(second.xpath('//li[@class="news-item"]')) == 10
    third = html.fromstring((output / "news/opinion-editorials/page/3/index.html").read_bytes())
    assert len(third.xpath('//li[@class="news-item"]')) == 2
    assert first.xpath('//a[@rel="next"]/@href') == [f"{PRODUCTION_URL}/news/opinion-editorials/page/2/"]


def test_feeds_parse_and_list_the_news(built_site):
    items = news_items()
    everything = feedparser.parse((built_site / "feeds/all.atom.xml").read_bytes())
    assert not everything.bozo
    assert sorted(normalise(e.title) for e in everything.entries) == sorted(normalise(i["Title"]) for i in items)
    for name, slug in SECTIONS.items():
        expected = [i for i in items if i["Category"] == name]
        feed_file = built_site / f"feeds/{slug}.atom.xml"
        if not expected:
            assert not feed_file.exists()
            continue
        feed = feedparser.parse(feed_file.read_bytes())
        assert not feed.bozo
        assert len(feed.entries) == len(expected)
        assert all(e.link.startswith(f"{PRODUCTION_URL}/news/{slug}/") for e in feed.entries)


# --- Links, sitemap, metadata --------------------------------------------------------
def test_every_internal_link_and_fragment_resolves(built_site):
    checked, problems = broken_links(built_site, PRODUCTION_URL)
    assert problems == []
    assert checked > 200


def test_sitemap_lists_every_page_and_nothing_else(built_site):
    tree = etree.parse(str(built_site / "sitemap.xml"))
    listed = sorted(tree.xpath("//s:url/s:loc/text()", namespaces=SITEMAP_NS))
    pages = sorted(
        f"{PRODUCTION_URL}/" + canonical_path(p)
        for p in site_pages(built_site)
        if p != "404.html"
    )
    assert listed == pages


def test_every_page_has_its_own_title_description_canonical_and_structured_data(built_site):
    titles = set()
    for path in site_pages(built_site):
        tree = page(built_site, path)
        title = tree.findtext(".//title")
        # Unique in each language's site: an untranslated page keeps its title under /es/.
        language_site = path.split("/")[0] if path.split("/")[0] in ("es",) else ""
        assert title and (language_site, title) not in titles, path
        titles.add((language_site, title))
        assert tree.xpath('//meta[@name="description"]/@content')[0].strip(), path
        canonical = tree.xpath('//link[@rel="canonical"]/@href')[0]
        assert canonical.startswith(PRODUCTION_URL + "/"), path
        for prop in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
            assert tree.xpath(f'//meta[@property="{prop}"]/@content'), (path, prop)
        data = tree.xpath('//script[@type="application/ld+json"]/text()')[0]
        assert '"@type": "Organization"' in data, path


def test_robots_and_favicon(built_site):
    robots = (built_site / "robots.txt").read_text()
    assert f"Sitemap: {PRODUCTION_URL}/sitemap.xml" in robots
    assert (built_site / "favicon.svg").is_file()
    assert page(built_site, "index.html").xpath('//link[@rel="icon"]/@href') == [f"{PRODUCTION_URL}/favicon.svg"]


# --- Escaping ---------------------------------------------------------------------------
HOSTILE = '<script>alert("x")</script> Tom & "Jerry" -- 2020-2021'


def test_titles_summaries_and_data_render_as_text_with_typography(tmp_path):
    def add_hostile(content):
        (content / "news/hostile.md").write_text(
            f"Title: {HOSTILE}\nSlug: hostile\nDate: 2026-03-01\nCategory: News Stories\n"
            f"Source: LACEPS\nSummary: {HOSTILE}\n\nBody.\n"
        )
        replace_in(content / "data/members.yaml", "name: Bright Star Schools", f"name: '{HOSTILE}'")

    output = build_variant(tmp_path, add_hostile)
    for path in ("news/2026/hostile/index.html", "news/index.html", "our-members/index.html"):
        source = (output / path).read_text()
        assert "<script>alert" not in source, path
        assert "&lt;script&gt;alert(" in source, path
        tree = html.fromstring(source)
        assert not tree.xpath("//main//script"), path
        text = tree.find(".//main").text_content()
        assert "Tom & “Jerry” — 2020-2021" in text.replace("\xa0", " "), path
    head = html.fromstring((output / "news/2026/hostile/index.html").read_bytes())
    assert head.findtext(".//title").startswith('<script>alert(“x”)</script> Tom & “Jerry”')
    description = head.xpath('//meta[@name="description"]/@content')[0]
    assert "<script>" in description  # an attribute value: text, safely quoted


# --- A strict build ---------------------------------------------------------------------
FIRST_ITEM = "content/news/2025-04-25-questbridge-scholars.md"
BROKEN = {
    "bad date": (
        lambda c: replace_in(c / FIRST_ITEM[8:], "Date: 2025-04-25", "Date: 2025-13-45"),
        f'{FIRST_ITEM}:2: Date "2025-13-45" is not a date — write it as YYYY-MM-DD',
    ),
    "missing title": (
        lambda c: replace_in(c / FIRST_ITEM[8:], "Title: 5 low-income high school seniors named prestigious Quest Bridge Scholars\n", ""),
        f"{FIRST_ITEM}:1: Title is missing — add a line",
    ),
    "unknown category": (
        lambda c: replace_in(c / FIRST_ITEM[8:], "Category: News Stories", "Category: Newz"),
        f'{FIRST_ITEM}:3: Category "Newz" is not a news section — use exactly one of: News Stories',
    ),
    "link to a missing file": (
        lambda c: replace_in(c / "pages/our-programs.md", "{filename}our-members.md", "{filename}our-membres.md"),
        "content/pages/our-programs.md:20: link to 'our-membres.md': that file does not exist",
    ),
    "duplicate slug": (
        lambda c: shutil.copy(c / FIRST_ITEM[8:], c / "news/copy-of-an-item.md"),
        'content/news/copy-of-an-item.md:1: this news item has the same address "5-low-income',
    ),
    "data file missing a field": (
        lambda c: replace_in(c / "data/members.yaml", "- name: Camino Nuevo Charter Academy\n    website:", "- website:"),
        'content/data/members.yaml:6: this entry has no "name"',
    ),
}


@pytest.mark.parametrize("mistake", BROKEN)
def test_a_strict_build_fails_naming_the_file_and_the_problem(tmp_path, capfd, mistake):
    change, message = BROKEN[mistake]
    with pytest.raises(site.BuildFailed):
        build_variant(tmp_path, change)
    stderr = capfd.readouterr().err
    assert message.replace("content/", f"{tmp_path}/content/", 1) in stderr, stderr


def test_a_pelican_warning_fails_the_build(tmp_path, capfd):
    # A setting Pelican warns about (a trailing slash) is fatal too.
    with pytest.raises(site.BuildFailed):
        build_variant(tmp_path, extra={"SITEURL": "https://lacfeps.org/"})
    assert "Removed extraneous trailing slash from" in capfd.readouterr().out


def test_a_build_keeps_one_cache_folder_the_one_of_its_settings_and_plugins(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "PROJECT_ROOT", tmp_path)
    kept, older, other = (tmp_path / "cache" / name for name in ("0123456789ab", "ba9876543210", "translations"))
    for folder in (kept, older, other):
        (folder / "data").mkdir(parents=True)
    site.forget_other_caches(kept)
    assert sorted(path.name for path in (tmp_path / "cache").iterdir()) == ["0123456789ab", "translations"]
    given = tmp_path / "elsewhere" / "ba9876543210"  # a cache folder given by the caller (the tests')
    given.mkdir(parents=True)
    site.forget_other_caches(tmp_path / "elsewhere" / "0123456789ab")
    assert given.is_dir() and kept.is_dir()


def test_a_build_stopped_while_saving_its_content_cache_leaves_the_last_one_whole(tmp_path, monkeypatch):
    content, cache = tmp_path / "content", tmp_path / "cache"
    shutil.copytree(PROJECT_ROOT / "content", content)
    build = functools.partial(site.build, settings=site.DEV_SETTINGS, output=tmp_path / "output", content=content,
                              extra={"CACHE_PATH": str(cache)}, quiet=True)
    build()
    saved = {path: path.read_bytes() for path in cache.glob("*-Readers")}
    assert saved

    def stopped(data, file):
        file.write(pickle.dumps(data)[:100])
        raise KeyboardInterrupt  # the editor's Ctrl+C, in the middle of the file

    edited = next(content.glob("news/*.md"))
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(pickle, "dump", stopped)
        build()
    assert {path: path.read_bytes() for path in cache.glob("*-Readers")} == saved
    build()  # and the next build reads it
