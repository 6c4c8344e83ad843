"""Reading the built site as a visitor would: shared by the tests of its pages."""

import re
import unicodedata

from lxml import html
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, site
from laceps.checks import parse_date
from laceps.plugins.scheduled import build_time

PRODUCTION_URL = "https://lacfeps.org"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def normalise(text):
    """Text as a reader sees it: typography and line breaks made plain."""
    text = unicodedata.normalize("NFKC", text)
    for fancy, plain in {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}.items():
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", " ", text).strip()


def page(built_site, path):
    return html.fromstring((built_site / path).read_bytes())


def main_text(tree):
    return normalise(tree.find(".//main").text_content())


def html_files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))


# The web editor's page (laceps.cms): Decap CMS's app, not a page of the site. It has no header, footer,
# <main> or translation, and no place in the sitemap or search; tests/test_cms.py checks what it must be.
ADMIN_PAGE = "admin/index.html"


def site_pages(root):
    """Every built page of the site itself: all but the web editor's."""
    return [path for path in html_files(root) if path != ADMIN_PAGE]


def is_scheduled(date):
    """True for a Date still to come by the build's clock: the build holds that item (laceps.plugins.scheduled)."""
    now = build_time(read_settings(str(site.DEV_SETTINGS)))
    return parse_date(date).replace(tzinfo=now.tzinfo) > now


def news_items():
    """The published news items of the real content, from their Markdown headers (drafts and scheduled items left out)."""
    items = []
    for path in sorted((PROJECT_ROOT / "content" / "news").glob("*.md")):
        header, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        fields = dict(line.split(": ", 1) for line in header.splitlines())
        if fields.get("Status", "published") == "published" and not is_scheduled(fields["Date"]):
            items.append({**fields, "has_body": bool(body.strip())})
    return items
