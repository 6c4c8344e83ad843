"""The speed budget, on every built page: what a cheap phone on a slow network must fetch first.

Pages are read as files from the served production build, whose own origin is the loopback server.
"""

import gzip
import re
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from conftest import page_file

# Ten TCP segments: what a new connection delivers in its first round trip.
FIRST_ROUND_TRIP = 14 * 1024
GZIP_LEVEL = 6  # what CDNs typically use; brotli would do better
CLASSIC_SCRIPT_TYPES = ("", "text/javascript", "application/javascript")  # module scripts defer by themselves
RESOURCE_LINK_RELS = {"stylesheet", "icon", "apple-touch-icon", "mask-icon", "manifest", "preload", "modulepreload", "prefetch"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)""")
CSS_IMPORT = re.compile(r"@import\b")


@pytest.fixture
def page(served_site, site_page):
    """The page's parsed HTML, with its URL on the served site."""
    html = page_file(served_site.root, site_page).read_bytes()
    return lxml.html.document_fromstring(html, base_url=served_site.url + site_page), html


def gzipped_size(data):
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL))


def local_file(served_site, url):
    """The built file behind a URL on the served site."""
    return served_site.root / urlsplit(url).path.lstrip("/")


def blocking_stylesheets(document):
    """Stylesheets the browser must fetch before it can render (not print-only ones)."""
    return [
        urljoin(document.base_url, link.get("href"))
        for link in document.xpath('//link[@rel="stylesheet"]')
        if link.get("media", "all") in ("all", "screen") and link.get("disabled") is None
    ]


def test_html_and_its_css_fit_in_the_first_round_trip(served_site, page):
    document, html = page
    css = [local_file(served_site, url).read_bytes() for url in blocking_stylesheets(document)]
    total = gzipped_size(html) + sum(gzipped_size(sheet) for sheet in css)
    assert total <= FIRST_ROUND_TRIP, (
        f"gzip(HTML) {gzipped_size(html)} B + gzip(CSS) {[gzipped_size(s) for s in css]} B = {total} B, "
        f"over the {FIRST_ROUND_TRIP} B budget"
    )


def test_only_the_stylesheet_blocks_rendering(served_site, page):
    document, _ = page
    blocking_scripts = [
        lxml.html.tostring(script, encoding="unicode")[:120]
        for script in document.xpath("//head//script")
        if script.get("type", "").lower() in CLASSIC_SCRIPT_TYPES
        and not (script.get("src") and (script.get("async") is not None or script.get("defer") is not None))
    ]
    stylesheets = blocking_stylesheets(document)
    assert not blocking_scripts, f"scripts that block rendering: {blocking_scripts}"
    assert len(stylesheets) == 1, f"expected one render-blocking stylesheet, found {stylesheets}"
    css = local_file(served_site, stylesheets[0]).read_text(encoding="utf-8")
    assert not CSS_IMPORT.search(css), "@import in the stylesheet adds another render-blocking request"


def test_every_image_has_width_and_height(page):
    document, _ = page
    unsized = [
        img.get("src")
        for img in document.iter("img")
        if not (img.get("width", "").isdigit() and img.get("height", "").isdigit())
    ]
    assert not unsized, f"images without width and height (the layout shifts when they load): {unsized}"


def resource_urls(document):
    """Every URL the page makes the browser fetch (links to other pages are not fetched)."""
    urls = [
        link.get("href")
        for link in document.iter("link")
        if RESOURCE_LINK_RELS & set(link.get("rel", "").lower().split())
    ]
    for tag, attribute in (("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src"),
                           ("video", "src"), ("video", "poster"), ("audio", "src"), ("embed", "src"),
                           ("object", "data")):
        urls += document.xpath(f"//{tag}/@{attribute}")
    for srcset in document.xpath("//img/@srcset | //source/@srcset"):
        urls += [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]
    return [urljoin(document.base_url, url) for url in urls]


def test_nothing_loads_from_another_origin(served_site, page):
    document, _ = page
    urls = resource_urls(document)
    for stylesheet in blocking_stylesheets(document):
        css = local_file(served_site, stylesheet).read_text(encoding="utf-8")
        urls += [urljoin(stylesheet, url) for url in CSS_URL.findall(css) if not url.startswith("data:")]
    origin = urlsplit(served_site.url)
    foreign = [url for url in urls if urlsplit(url)[:2] != origin[:2]]
    assert not foreign, f"resources from other origins: {foreign}"
