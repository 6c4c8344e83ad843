"""The Spanish version under /es/: translated pages and chrome, language links, feeds, sitemap.

Reads the production build (conftest.built_site); the variants build the real content with
one page or news item added.
"""

import io
import re
import subprocess

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from lxml import etree, html

from laceps import PROJECT_ROOT, translations

from tests.content_copy import build_variant
from tests.reading import PRODUCTION_URL, SITEMAP_NS, html_files, news_items, normalise, page, site_pages

ES_URL = f"{PRODUCTION_URL}/es"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NEWS_LISTS = ("index.html", "news/index.html", "news/news-stories/index.html")


def english_pages(built_site):
    return [path for path in site_pages(built_site) if not path.startswith("es/")]


def url_of(path, base=PRODUCTION_URL):
    return f"{base}/{path.removesuffix('index.html')}"


def switch(tree):
    """The language switch: {lang: (text, href)}."""
    return {a.get("hreflang"): (a.text_content().strip(), a.get("href")) for a in tree.xpath("//header//a[@hreflang]")}


def alternates(tree):
    return {link.get("hreflang"): link.get("href") for link in tree.xpath('//head/link[@rel="alternate"][@hreflang]')}


def spanish_catalog():
    with (translations.TRANSLATIONS / "es/LC_MESSAGES/messages.po").open("rb") as po:
        return read_po(po)


# --- Pages and their translations -------------------------------------------------
def test_the_client_pages_are_translated(built_site):
    for path in ("index.html", "about-us/index.html", "our-programs/index.html", "contact/index.html"):
        tree = page(built_site, f"es/{path}")
        assert tree.get("lang") == "es", path
        assert tree.xpath("//main//h1") and "LACEPS" in tree.findtext(".//title"), path
    about = page(built_site, "es/about-us/index.html")
    headings = [normalise(h.text_content()) for h in about.xpath("//main//h2")]
    assert headings == ["Nuestra trayectoria", "Un modelo de escuelas comunitarias", "LACEPS hoy", "Quiénes somos"]
    assert len(about.xpath("//main//article/p")) == len(page(built_site, "about-us/index.html").xpath("//main//article/p"))


def test_every_page_with_a_translation_links_to_it_and_back(built_site):
    translated = 0
    for path in english_pages(built_site):
        english = page(built_site, path)
        assert english.get("lang") == "en", path
        spanish_path = built_site / "es" / path
        if not spanish_path.exists():
            # No translation (the 404 page): the switch leads to the Spanish home page.
            assert switch(english) == {"es": ("Español", f"{ES_URL}/")}, path
            assert not alternates(english), path
            continue
        translated += 1
        spanish = page(built_site, f"es/{path}")
        assert switch(english) == {"es": ("Español", url_of(path, ES_URL))}, path
        assert switch(spanish) == {"en": ("English", url_of(path))}, path
        assert english.xpath('//header//a[@hreflang="es"]/@lang') == ["es"], path
        assert spanish.xpath('//header//a[@hreflang="en"]/@lang') == ["en"], path
        expected = {"en": url_of(path), "es": url_of(path, ES_URL), "x-default": url_of(path)}
        assert alternates(english) == expected == alternates(spanish), path
        assert spanish.xpath('//link[@rel="canonical"]/@href') == [url_of(path, ES_URL)], path
        assert spanish.xpath('//meta[@property="og:locale"]/@content') == ["es_US"], path
    assert translated >= 10


def test_the_spanish_navigation_marks_the_current_page(built_site):
    tree = page(built_site, "es/about-us/index.html")
    links = tree.xpath('//nav[@aria-label="Principal"]//a')
    assert [normalise(a.text_content()) for a in links] == [
        "Inicio", "Quiénes somos", "Nuestro equipo", "Nuestros miembros", "Nuestros programas", "En las noticias",
    ]
    assert [a.get("href") for a in links if a.get("aria-current") == "page"] == [f"{ES_URL}/about-us/"]


def test_dates_and_numbers_are_written_the_spanish_way(built_site):
    home = page(built_site, "es/index.html")
    figures = [normalise(li.text_content()) for li in home.xpath('//ul[@class="figures"]/li')]
    assert figures == ["9 redes de escuelas públicas chárter sin fines de lucro", "104 escuelas", "51,000+ niños y jóvenes"]
    dates = page(built_site, "es/news/news-stories/index.html").xpath("//main//time/text()")
    assert "25 de abril de 2025" in dates


# --- The catalog --------------------------------------------------------------------
def test_every_string_in_the_catalog_is_translated():
    catalog = spanish_catalog()
    untranslated = [m.id for m in catalog if m.id and (not all(m.string if isinstance(m.string, tuple) else [m.string]) or m.fuzzy)]
    assert not untranslated


def test_the_catalog_holds_every_string_of_the_templates_and_settings(tmp_path):
    translations.extract(tmp_path / "messages.pot")
    with (tmp_path / "messages.pot").open("rb") as pot:
        extracted = {m.id for m in read_po(pot) if m.id}
    assert extracted == {m.id for m in spanish_catalog() if m.id}, "run `invoke translations` and translate the new strings"


def english_fragments():
    """The English wording of each translated string, without its placeholders and markup."""
    for message in spanish_catalog():
        for english, spanish in zip(
            message.id if isinstance(message.id, tuple) else [message.id],
            message.string if isinstance(message.string, tuple) else [message.string],
        ):
            if not english or english == spanish:
                continue
            for fragment in re.split(r"%\(\w+\)s|\{\w+\}|<[^>]+>", english):
                if len(fragment.strip(" .,–-()“”:")) >= 4:
                    yield fragment.strip()


def chrome_text(tree):
    """What the theme writes on a page: text and attributes, less the parts marked as another language."""
    foreign_texts = set()
    for foreign in tree.xpath('//body//*[@lang and @lang!="es"]'):
        foreign_texts.update(normalise(element.text_content()) for element in foreign.iter())
        foreign.drop_tree()
    attributes = tree.xpath("//@aria-label | //@title | //@alt | //meta/@content | //@*[starts-with(name(), 'data-')]")
    text = normalise(" ".join([tree.text_content(), *attributes]))
    # An untranslated page's English title also fills <title> and the meta tags, which cannot carry lang.
    for foreign_text in sorted(filter(None, foreign_texts), key=len, reverse=True):
        text = text.replace(foreign_text, " ")
    return text


def test_no_english_template_string_on_a_spanish_page(built_site):
    fragments = set(english_fragments())
    assert len(fragments) > 40
    for path in html_files(built_site):
        if path.startswith("es/"):
            text = chrome_text(page(built_site, path))
            left = [f for f in fragments if re.search(rf"(?<!\w){re.escape(normalise(f))}(?!\w)", text)]
            assert not left, (path, left)


def test_the_build_compiles_the_catalogs_outside_the_theme_and_git_holds_only_their_sources(built_site):
    sources = translations.catalogs()
    assert sources
    for source in sources:
        compiled = io.BytesIO()
        with source.open("rb") as po:
            write_mo(compiled, read_po(po))
        assert translations.compiled_catalog(source).read_bytes() == compiled.getvalue(), source
        assert not translations.compiled_catalog(source).is_relative_to(PROJECT_ROOT / "theme"), source
    tracked = subprocess.run(["git", "ls-files", "*.mo", "*.pot", "*.po"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert sorted(tracked.stdout.split()) == sorted(
        p.relative_to(PROJECT_ROOT).as_posix() for p in [translations.TEMPLATE, *sources]
    )
    compiled = [str(translations.compiled_catalog(s)) for s in sources]
    ignored = subprocess.run(["git", "check-ignore", "-q", *compiled], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0


# --- News in both versions --------------------------------------------------------------
def test_spanish_news_items_are_marked_spanish_in_both_versions_and_listed_once(built_site):
    items = {normalise(i["Title"]): i.get("Lang", "en") for i in news_items()}
    for site in ("", "es/"):
        for path in NEWS_LISTS:
            listed = [
                (normalise(li.find_class("news-item__title")[0].text_content()), li.get("lang"))
                for li in page(built_site, site + path).xpath('//main//li[contains(@class, "news-item")]')
            ]
            titles = [title for title, _ in listed]
            assert len(titles) == len(set(titles)), (site + path, titles)
            for title, lang in listed:
                assert items[title] == (lang or "en"), (site + path, title)
                if items[title] == "es":
                    assert lang == "es", (site + path, title)
    stories = page(built_site, "es/news/news-stories/index.html").xpath('//li[@lang="es"]')
    assert len(stories) == len([i for i in items.values() if i == "es"])


ENGLISH_ITEM = """Title: A coalition update
Date: 2026-01-15
Category: Press Releases
Source: LACEPS

The body of the update.
"""
SPANISH_ITEM = """Title: Una noticia de la coalición
Date: 2026-01-16
Category: Press Releases
Source: LACEPS
Lang: es

El texto de la noticia.
"""
UNTRANSLATED_PAGE = """Title: Family resources
Summary: A page that has no Spanish text yet.

Only in English for now.
"""


def test_an_item_with_a_page_has_it_once_in_its_language_and_both_lists_link_there(tmp_path):
    def add(content):
        (content / "news/update.md").write_text(ENGLISH_ITEM)
        (content / "news/noticia.md").write_text(SPANISH_ITEM)
        (content / "pages/family-resources.md").write_text(UNTRANSLATED_PAGE)

    output = build_variant(tmp_path, add)
    english_page = f"{PRODUCTION_URL}/news/2026/a-coalition-update/"
    spanish_page = f"{ES_URL}/news/2026/una-noticia-de-la-coalicion/"
    assert (output / "news/2026/a-coalition-update/index.html").exists()
    assert not (output / "es/news/2026/a-coalition-update").exists()
    assert (output / "es/news/2026/una-noticia-de-la-coalicion/index.html").exists()
    assert not (output / "news/2026/una-noticia-de-la-coalicion").exists()
    for listing in ("news/press-releases/index.html", "es/news/press-releases/index.html"):
        links = html.fromstring((output / listing).read_bytes()).xpath("//main//li//a/@href")
        assert links == [spanish_page, english_page], listing
    # No Spanish translation: the switch leads to the Spanish home page, and back to English home.
    article = html.fromstring((output / "news/2026/a-coalition-update/index.html").read_bytes())
    assert switch(article)["es"][1] == f"{ES_URL}/"
    # An untranslated page is still in the Spanish frame, its English text marked as such.
    kept = html.fromstring((output / "es/family-resources/index.html").read_bytes())
    assert kept.get("lang") == "es" and kept.xpath("//main/article/@lang") == ["en"]
    assert switch(kept)["en"][1] == f"{PRODUCTION_URL}/family-resources/"


# --- Feeds and sitemap ---------------------------------------------------------------------
def test_each_language_has_its_own_feeds(built_site):
    titles = sorted(normalise(i["Title"]) for i in news_items())
    for site, lang, section in (("", "en", "News Stories"), ("es/", "es", "Noticias")):
        everything = etree.parse(str(built_site / site / "feeds/all.atom.xml")).getroot()
        assert everything.get(XML_LANG) == lang
        entries = everything.findall("{http://www.w3.org/2005/Atom}entry")
        assert sorted(normalise(e.findtext("{http://www.w3.org/2005/Atom}title")) for e in entries) == titles
        links = [e.find("{http://www.w3.org/2005/Atom}link").get("href") for e in entries]
        assert all(link.startswith(url_of(site + "news/")) for link in links), links
        stories = etree.parse(str(built_site / site / "feeds/news-stories.atom.xml")).getroot()
        assert stories.findtext("{http://www.w3.org/2005/Atom}title").endswith(section)
        head = page(built_site, site + "news/index.html")
        assert f"{url_of(site)}feeds/all.atom.xml" in head.xpath('//link[@type="application/atom+xml"]/@href')


def test_the_sitemap_gives_every_page_its_language_versions(built_site):
    tree = etree.parse(str(built_site / "sitemap.xml"))
    checked = 0
    for url in tree.xpath("//s:url", namespaces=SITEMAP_NS):
        loc = url.findtext("s:loc", namespaces=SITEMAP_NS)
        links = {link.get("hreflang"): link.get("href") for link in url.findall("{http://www.w3.org/1999/xhtml}link")}
        path = loc.removeprefix(ES_URL + "/") if loc.startswith(ES_URL + "/") else loc.removeprefix(PRODUCTION_URL + "/")
        assert links == {"en": url_of(path), "es": url_of(path, ES_URL), "x-default": url_of(path)}, loc
        checked += 1
    assert checked == len(site_pages(built_site)) - 1  # every page but the 404


@pytest.mark.parametrize("path", ["es/index.html", "es/news/index.html"])
def test_the_spanish_site_shares_the_main_site_theme_files(built_site, path):
    tree = page(built_site, path)
    assert tree.xpath('//link[@rel="stylesheet"]/@href')[0].startswith(f"{PRODUCTION_URL}/theme/")
    assert not (built_site / "es/theme").exists() and not (built_site / "es/robots.txt").exists()
