"""Site search with Pagefind: an index of <main> in each language, a search page in each
language that alone runs scripts, and in Chromium a news title found by one of its words.
"""

import json

import pytest
from pelican.settings import DEFAULT_CONFIG
from pelican.utils import slugify

from tests.reading import ADMIN_PAGE, html_files, normalise, page

SEARCH_PAGES = {"en": "/search/", "es": "/es/search/"}
# A word of one English and one Spanish news title, searched in each language.
QUERIES = [("Scholars", "5 low-income high school seniors named prestigious Quest Bridge Scholars"),
           ("periodistas", "Niños periodistas de Boyle Heights se dirigieron a Biden con el corazón y se ganaron reconocimiento nacional")]


def test_the_index_covers_both_languages(built_site):
    entry = json.loads((built_site / "pagefind/pagefind-entry.json").read_text())
    assert {"en", "es"} <= set(entry["languages"])
    assert entry["languages"]["en"]["page_count"] >= 8 and entry["languages"]["es"]["page_count"] >= 8


def test_only_main_is_indexed_and_each_page_has_a_section(built_site):
    for path in html_files(built_site):
        tree = page(built_site, path)
        indexed = tree.xpath("//*[@data-pagefind-body]")
        if path in ("404.html", "search/index.html", "es/search/index.html", ADMIN_PAGE):
            assert not indexed, path
            continue
        assert [element.tag for element in indexed] == ["main"], path
        assert indexed[0].get("data-pagefind-meta", "").startswith("section:"), path
    section = page(built_site, "es/news/news-stories/index.html").xpath("//main/@data-pagefind-meta")
    assert section == ["section:Noticias"]


def test_only_the_search_pages_run_scripts_under_a_policy_that_allows_them(built_site):
    for path in html_files(built_site):
        tree = page(built_site, path)
        scripts = tree.xpath('//script[not(@type="application/ld+json")]')
        policy = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')[0]
        if path.endswith("search/index.html"):
            assert [s.get("type") for s in scripts] == ["module"], path
            assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "connect-src 'self'" in policy
            assert scripts[0].get("src").startswith("https://lacfeps.org/theme/search.")
        elif path == ADMIN_PAGE:  # Decap CMS, and the site's format for it (tests/test_cms.py)
            assert [s.get("src").rsplit("/", 1)[-1] for s in scripts] == ["decap-cms.js", "pelican-format.js"]
            assert "script-src 'self' 'unsafe-eval'" in policy
        else:
            assert not scripts, path
            assert "default-src 'none'" in policy and "script-src" not in policy, path


@pytest.fixture
def search_page(browser, served_site):
    contexts = []

    def open_search(lang, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        tab = context.new_page()
        tab.goto(served_site.url + SEARCH_PAGES[lang])
        return tab

    yield open_search
    for context in contexts:
        context.close()


@pytest.mark.parametrize("lang", SEARCH_PAGES)
@pytest.mark.parametrize(("word", "title"), QUERIES)
def test_a_word_of_a_news_title_finds_the_item(search_page, lang, word, title):
    tab = search_page(lang)
    tab.get_by_role("searchbox").fill(word)
    result = tab.locator("[data-search-results] a", has_text=title.split()[-1])
    result.first.wait_for(timeout=10_000)
    links = {normalise(a.text_content()): a.get_attribute("href") for a in tab.locator("[data-search-results] a").all()}
    assert normalise(title) in links, links
    assert links[normalise(title)].startswith(("/es/news/" if lang == "es" else "/news/"))
    assert links[normalise(title)].endswith("#" + slugify(title, regex_subs=DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"]))
    assert tab.locator("[data-search-status]").text_content().strip()


def test_the_section_filter_narrows_the_results(search_page):
    tab = search_page("en")
    sections = tab.locator("#search-section option").all_text_contents()
    assert sections == ["All sections", "News Stories", "Press Releases", "Opinion Editorials", "Pages"]
    tab.get_by_role("searchbox").fill("families")
    tab.locator("[data-search-results] li").first.wait_for(timeout=10_000)
    tab.select_option("#search-section", "Opinion Editorials")
    tab.wait_for_function("() => [...document.querySelectorAll('[data-search-results] > li h2')].every(h => h.textContent === 'Opinion Editorials')")
    assert tab.locator("[data-search-results] > li").count() == 1


@pytest.mark.parametrize("lang", SEARCH_PAGES)
def test_without_javascript_the_search_page_says_what_to_do(search_page, served_site, lang):
    tab = search_page(lang, java_script_enabled=False)
    assert not tab.locator("form[data-search]").is_visible()
    fallback = tab.locator("[data-search-fallback]")
    assert fallback.is_visible()
    news = served_site.url + ("/es/news/" if lang == "es" else "/news/")
    assert fallback.locator("a").get_attribute("href") == news
