"""The design as a visitor meets it: the first screen on a phone and a laptop, the typeface and
the wordmark, member cards and news tags, share cards, and the pages under zoom, reduced motion,
forced colours and print. Pages are the production build (conftest), in headless Chromium where
their look matters."""

import contextlib
import re

import pytest
import yaml
from fontTools.ttLib import TTFont
from lxml import etree
from PIL import Image

from laceps import PROJECT_ROOT, brand, screenshots, site
from laceps.plugins import share_cards
from tests.content_copy import build_variant, replace_in
from tests.reading import PRODUCTION_URL, SITEMAP_NS, normalise, page

PHONE = {"width": 375, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
HOMES = ("/", "/es/")
MAIN_PAGES = ("/", "/about-us/", "/our-members/", "/news/", "/es/", "/es/our-members/", "/es/news/")
FONT_BUDGET = 30 * 1024
MEMBERS = yaml.safe_load((PROJECT_ROOT / "content/data/members.yaml").read_text(encoding="utf-8"))["members"]

# The box of each visible element a selector matches, in the viewport.
BOXES = """(selector) => [...document.querySelectorAll(selector)].filter((el) => el.checkVisibility())
  .map((el) => { const box = el.getBoundingClientRect();
                 return {top: box.top, bottom: box.bottom, left: box.left, right: box.right, text: el.textContent.trim()}; })"""


@contextlib.contextmanager
def tab(browser, **options):
    """A tab in a browser context of its own (viewport, emulated media, …), closed after use."""
    context = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def phone(browser):
    """A phone without JavaScript: everything on the first screen must work without it."""
    with tab(browser, viewport=PHONE, java_script_enabled=False) as phone:
        yield phone


@pytest.fixture(scope="module")
def laptop(browser):
    with tab(browser, viewport=LAPTOP) as laptop:
        yield laptop


def boxes(tab, selector):
    return tab.evaluate(BOXES, selector)


def public_pages(root):
    """The pages visitors reach: those in the sitemap, and the 404 page (not the editors' /admin/)."""
    addresses = etree.parse(str(root / "sitemap.xml")).xpath("//s:url/s:loc/text()", namespaces=SITEMAP_NS)
    return ["404.html", *(address.removeprefix(f"{PRODUCTION_URL}/") + "index.html" for address in addresses)]


# --- The typeface and the wordmark --------------------------------------------------
def test_committed_fonts_wordmark_and_favicon_equal_a_fresh_run_of_invoke_brand():
    stale = [str(path.relative_to(PROJECT_ROOT)) for path, data in brand.generated_files().items()
             if not path.is_file() or path.read_bytes() != data]
    assert not stale, f"run `uv run invoke brand` and commit the result; these differ from a fresh run: {stale}"


@pytest.mark.parametrize("weight", brand.WEIGHTS)
def test_each_web_font_is_small_and_has_every_letter_spanish_needs(weight):
    path = brand.FONTS / f"public-sans-{weight}.woff2"
    assert path.stat().st_size <= FONT_BUDGET, f"{path.name}: {path.stat().st_size} B"
    letters = set(TTFont(path).getBestCmap())
    missing = [character for character in "áéíóúüñÁÉÍÓÚÜÑ¿¡«»“”‘’–—…€" if ord(character) not in letters]
    assert not missing, f"{path.name} lacks {missing}"


def test_every_page_preloads_the_fonts_its_stylesheet_uses_and_shows_text_while_they_load(built_site):
    (stylesheet,) = built_site.glob("theme/site.*.css")
    css = stylesheet.read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    fonts = [re.search(r"url\(([^)]+)\)", face)[1] for face in faces]
    assert fonts and all("font-display: swap" in face for face in faces)
    assert all((stylesheet.parent / font).is_file() for font in fonts), fonts
    expected = {f"{PRODUCTION_URL}/theme/{font}" for font in fonts}
    for path in public_pages(built_site):
        preloads = page(built_site, path).xpath('//link[@rel="preload"][@as="font"]')
        assert {link.get("href") for link in preloads} == expected, path
        # Fonts are fetched in CORS mode: a preload without crossorigin is fetched twice.
        assert all(link.get("crossorigin") is not None and link.get("type") == "font/woff2" for link in preloads), path


def test_the_wordmark_in_the_header_keeps_its_proportions(built_site):
    (wordmark,) = built_site.glob("theme/wordmark.*.svg")
    view_box = re.search(r'viewBox="0 0 (\d+) (\d+)"', wordmark.read_text(encoding="utf-8")).groups()
    for path in ("index.html", "es/index.html"):
        (img,) = page(built_site, path).xpath('//header//a[@class="brand"]/img')
        assert img.get("src") == f"{PRODUCTION_URL}/theme/{wordmark.name}"
        assert (img.get("width"), img.get("height")) == view_box
        assert img.get("alt")


# --- The first screen ---------------------------------------------------------------
@pytest.mark.parametrize("home", HOMES)
def test_a_phone_shows_the_header_heading_and_figures_without_scrolling(phone, served_site, home):
    screenshots.open_page(phone, served_site.url + home)
    (header,) = boxes(phone, "header.site-header")
    assert header["bottom"] <= 120, f"the header is {header['bottom']} px tall"
    (heading,) = boxes(phone, "main h1")
    assert heading["bottom"] <= PHONE["height"], "the heading is below the fold"
    figures = [figure for figure in boxes(phone, ".figures li") if figure["bottom"] <= PHONE["height"]]
    assert figures, "no figure on the first screen"
    # The menu is closed, its button and the language switch in the header row.
    assert not boxes(phone, "header nav a")
    for control in (".menu__button", ".language-switch"):
        (box,) = boxes(phone, control)
        assert box["top"] >= header["top"] and box["bottom"] <= header["bottom"] and box["right"] <= PHONE["width"], control


def test_the_phone_menu_opens_without_javascript(phone, served_site):
    screenshots.open_page(phone, served_site.url + "/")
    phone.locator(".menu__button").click()
    links = boxes(phone, ".menu__panel a")
    assert len(links) == 7 and all(link["right"] <= PHONE["width"] for link in links), links


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_the_header_is_one_row_on_a_laptop(laptop, served_site, path):
    screenshots.open_page(laptop, served_site.url + path)
    assert not boxes(laptop, ".menu__button"), "the menu button shows at 1280 px"
    items = boxes(laptop, ".brand img, header nav a, .menu__search, .language-switch")
    centres = [(item["top"] + item["bottom"]) / 2 for item in items]
    assert len(items) == 9 and max(centres) - min(centres) <= 4, [(i["text"], i["top"]) for i in items]


@pytest.mark.parametrize("home", HOMES)
def test_home_leads_to_members_news_and_contact(built_site, home):
    tree = page(built_site, home.lstrip("/") + "index.html")
    actions = [a.get("href") for a in tree.xpath('//main//ul[@class="actions"]//a')]
    base = PRODUCTION_URL + home
    assert actions == [base + "our-members/", base + "news/", base + "contact/"]


# --- Members and news ---------------------------------------------------------------
def test_member_cards_fill_a_laptop_three_to_a_row_and_link_out(laptop, served_site):
    screenshots.open_page(laptop, served_site.url + "/our-members/")
    cards = boxes(laptop, ".cards > li")
    assert len(cards) == len(MEMBERS)
    assert len({round(card["left"]) for card in cards}) == 3, "not three columns at 1280 px"
    for member, card in zip(MEMBERS, laptop.locator(".cards > li").all()):
        links = card.locator("a")
        if member.get("website"):
            assert links.get_attribute("href") == member["website"]
            assert set(links.get_attribute("rel").split()) >= {"noopener", "external"}
            assert "(external site)" in links.text_content()
        else:
            assert links.count() == 0
        if not member.get("description"):
            assert card.locator("p:not(.card__link)").count() == 0, f"{member['name']}: text where none is known"


@pytest.mark.parametrize("path, lang, tag", [("/news/", "es", "En español"), ("/es/news/", "en", "In English")])
def test_an_item_in_the_other_language_carries_a_visible_tag(laptop, served_site, path, lang, tag):
    screenshots.open_page(laptop, served_site.url + path)
    other = laptop.locator(f'main li.news-item[lang="{lang}"]')
    assert other.count()
    for index in range(other.count()):
        assert other.nth(index).locator(".tag").inner_text() == tag
        assert other.nth(index).locator(".tag").is_visible()
    same = laptop.locator(f'main li.news-item:not([lang="{lang}"]) .tag')
    assert same.count() == 0


EXTERNAL_ITEM = """Title: Coverage on a news site
Date: 2026-01-10
Category: News Stories
Source: Green Dot
Link: https://news.example/story
"""


def test_external_coverage_is_marked_and_a_description_shows_when_known(tmp_path):
    def change(content):
        (content / "news/external.md").write_text(EXTERNAL_ITEM, encoding="utf-8")
        replace_in(content / "data/members.yaml", f"  - name: {MEMBERS[0]['name']}\n",
                   f"  - name: {MEMBERS[0]['name']}\n    description: A sentence the network confirmed.\n")

    output = build_variant(tmp_path, change)
    listing = page(output, "news/news-stories/index.html")
    for item in listing.xpath('//li[@class="news-item"]'):
        external = bool(item.xpath('.//a[@href="https://news.example/story"]'))
        assert ("Coverage on another website" in normalise(item.text_content())) == external
    (card,) = page(output, "our-members/index.html").xpath('//ul[@class="cards"]/li[1]')
    assert "A sentence the network confirmed." in normalise(card.text_content())


# --- Share cards --------------------------------------------------------------------
def test_every_page_has_a_share_card_of_its_own_title_and_size(built_site):
    for path in public_pages(built_site):
        tree = page(built_site, path)
        meta = {m.get("property") or m.get("name"): m.get("content") for m in tree.xpath("//meta[@content]")}
        image = meta["og:image"]
        assert image.startswith(f"{PRODUCTION_URL}/"), (path, image)
        file = built_site / image.removeprefix(f"{PRODUCTION_URL}/")
        with Image.open(file) as card:
            assert (card.format, card.size) == ("PNG", (1200, 630)), path
        assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630"), path
        assert meta["og:image:alt"] == f"LACEPS: {meta['og:title']}", path
        assert meta["twitter:card"] == "summary_large_image", path
        assert file.stat().st_size < 60 * 1024, (path, file.stat().st_size)


def test_a_translated_page_has_its_own_card(built_site):
    def card(path):
        return page(built_site, path).xpath('//meta[@property="og:image"]/@content')[0]

    assert card("our-members/index.html") != card("es/our-members/index.html")
    assert "/es/" in card("es/our-members/index.html")


def test_a_card_is_drawn_once_for_its_inputs(tmp_path, monkeypatch):
    from pelican.settings import read_settings

    settings = read_settings(str(site.DEV_SETTINGS), override={"CACHE_PATH": str(tmp_path)})
    name, cached = share_cards.card_file(settings, "Niños periodistas de Boyle Heights", "es")
    with Image.open(cached) as card:
        assert card.size == (1200, 630)

    def draw_again(*arguments):
        raise AssertionError("a cached card was drawn again")

    monkeypatch.setattr(share_cards, "draw_card", draw_again)
    assert share_cards.card_file(settings, "Niños periodistas de Boyle Heights", "es") == (name, cached)
    with pytest.raises(AssertionError, match="drawn again"):
        share_cards.card_file(settings, "Niños periodistas de Boyle Heights", "en")  # another input, another card


def test_the_wordmark_is_drawn_from_its_svg_in_its_colours():
    svg = brand.WORDMARK.read_text(encoding="utf-8")
    mark = share_cards.wordmark_image(svg, 64)
    assert mark.size == (257, 64) and mark.getbbox()[2] >= 250  # the letters reach the end
    colours = {colour for _, colour in mark.convert("RGB").getcolors(maxcolors=1 << 16)}
    for expected in (brand.BRAND, brand.SUN, brand.PAPER):
        assert tuple(int(expected[i:i + 2], 16) for i in (1, 3, 5)) in colours, expected


def test_an_outline_inside_another_is_a_hole_as_in_a_letter():
    ring = "M0 0H10V10H0Z M3 3L7 3 7 7 3 7Z"  # the second outline with an implied lineto, as fontTools writes
    mask = share_cards.outline_mask(ring, (10, 10), 1)
    assert mask.getpixel((1, 1)) == 255 and mask.getpixel((5, 5)) == 0


def test_the_readme_shows_the_home_page_at_both_widths():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for width in screenshots.SIZES:
        picture = screenshots.SCREENSHOTS / screenshots.screenshot_name("home", width)
        assert f'src="{picture.relative_to(PROJECT_ROOT)}"' in readme
        with Image.open(picture) as image:
            assert image.width == width
        assert picture.stat().st_size < 100 * 1024, f"{picture.name}: run `uv run invoke screenshots`, which keeps it small"


# --- Zoom, motion, forced colours, print --------------------------------------------
def test_at_200_percent_zoom_the_page_reflows_and_the_menu_works(browser, served_site):
    # A 1280 by 800 window at 200% zoom lays pages out in 640 by 400 CSS pixels.
    with tab(browser, viewport={"width": 640, "height": 400}, device_scale_factor=2) as zoomed:
        for path in MAIN_PAGES:
            screenshots.open_page(zoomed, served_site.url + path)
            assert zoomed.evaluate("document.documentElement.scrollWidth") <= 640, path
            (header,) = boxes(zoomed, "header.site-header")
            assert header["bottom"] <= 120, path
        zoomed.locator(".menu__button").click()
        assert all(link["right"] <= 640 for link in boxes(zoomed, ".menu__panel a"))


@pytest.mark.parametrize("motion, behaviour", [("reduce", "auto"), ("no-preference", "smooth")])
def test_scrolling_is_smooth_only_for_those_who_want_motion(browser, served_site, motion, behaviour):
    with tab(browser, reduced_motion=motion) as moving:
        screenshots.open_page(moving, served_site.url + "/news/")
        assert moving.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == behaviour


def test_forced_colours_keep_the_wordmark_and_the_buttons_visible(browser, served_site):
    with tab(browser, forced_colors="active", viewport=PHONE) as contrast:
        screenshots.open_page(contrast, served_site.url + "/")
        wordmark = contrast.evaluate("getComputedStyle(document.querySelector('.brand img')).backgroundColor")
        assert wordmark == "rgb(255, 255, 255)"  # its blue letters need their own light ground
        for selector in (".button", ".menu__button"):
            border = contrast.evaluate(f"getComputedStyle(document.querySelector('{selector}')).borderTopStyle")
            width = contrast.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{selector}')).borderTopWidth)")
            assert border == "solid" and width >= 2, selector


def test_print_keeps_the_content_and_drops_the_controls(browser, served_site):
    with tab(browser) as printed:
        printed.emulate_media(media="print")
        screenshots.open_page(printed, served_site.url + "/our-members/")
        for selector in (".menu", ".language-switch", ".site-footer"):
            assert not boxes(printed, selector), f"{selector} prints"
        assert len(boxes(printed, ".cards > li")) == len(MEMBERS)
        assert boxes(printed, ".brand img"), "the wordmark does not print"
