"""Internal links: none may lead nowhere.

Two checks, because an editor needs an answer before the build and a visitor needs
every link of the built site to work:

- `check_page_links` (a content check, with `path:line`) predicts the address of every
  page, news item and section from the URL settings, and reports a Markdown or HTML link
  to a page address that is not among them (`[members](/our-member/)`).
- `broken_links` reads a built site and reports every link to a missing page or file, or
  to a `#fragment` the target does not have: what the prediction cannot see (drafts left
  out of production, the menu and footer, feeds, search, links to a section of a page).
"""

import difflib
import math
import posixpath
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import html
from pelican.utils import slugify

from laceps.plugins.templating import canonical_path

# A link's address in Markdown (`[text](address)`, `[label]: address`) or in HTML (`href="address"`).
MARKDOWN_LINK = re.compile(r"\]\(\s*<?(?P<address>[^)\s>]+)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:\s*<?(?P<address>[^\s>]+)")
HTML_LINK = re.compile(r"""\bhref\s*=\s*["'](?P<address>[^"']+)""", re.IGNORECASE)
PAGE_FILE = "index.html"


def page_address(path):
    """An address as the site's pages are named: "about-us/", "" for Home, a file name as it is."""
    return canonical_path(path.lstrip("/"))


def looks_like_a_page(address):
    """Page addresses end with "/" (or name no file); files the build makes (feeds, images) are left
    to the check of the built site."""
    name = posixpath.basename(address.rstrip("/"))
    return address.endswith("/") or address == "" or "." not in name or name.endswith(".html")


class SiteAddresses:
    """The page addresses a build of the content will have, predicted from the URL settings."""

    def __init__(self, settings):
        self.settings = settings
        self.main_lang = settings["DEFAULT_METADATA"]["lang"]
        self.other_langs = list(settings["I18N_SUBSITES"])
        self.addresses = set()
        self.section_sizes = {}

    def in_site(self, lang, address):
        return address if lang == self.main_lang else f"{lang}/{address}"

    def in_every_site(self, address):
        for lang in [self.main_lang, *self.other_langs]:
            self.addresses.add(self.in_site(lang, address))

    def slug(self, fields):
        if "slug" in fields:
            return fields["slug"][0]
        return slugify(fields.get("title", ("",))[0], regex_subs=self.settings["SLUG_REGEX_SUBSTITUTIONS"])

    def page_url(self, fields):
        """A page's own address: its URL field, or PAGE_URL. Every page exists in every language's site."""
        if "url" in fields:
            return page_address(fields["url"][0])
        return page_address(self.settings["PAGE_URL"].format(slug=self.slug(fields)))

    def item_url(self, fields):
        """A news item's page address, or None when it has no page (or its date is unreadable)."""
        try:
            date = datetime.strptime(fields["date"][0][:10], "%Y-%m-%d")
        except (KeyError, ValueError):
            return None
        url = page_address(self.settings["ARTICLE_URL"].format(slug=self.slug(fields), date=date))
        return self.in_site(fields.get("lang", (self.main_lang,))[0], url)

    def add_page(self, source):
        self.in_every_site(self.page_url(source.fields))

    def add_news_item(self, source):
        if any(text.strip() for _, text in source.body):
            url = self.item_url(source.fields)
            if url is not None:
                self.addresses.add(url)
        section = source.fields.get("category", ("",))[0]
        self.section_sizes[section] = self.section_sizes.get(section, 0) + 1

    def finish(self):
        """The addresses that come from settings: the menu, direct templates, sections and their pages."""
        for _, url in self.settings["NAV"]:
            self.in_every_site(page_address(url))
        for name in self.settings["DIRECT_TEMPLATES"]:
            self.in_every_site(page_address(self.settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html")))
        per_page = self.settings["DEFAULT_PAGINATION"]
        for name in self.settings["NEWS_SECTIONS"]:
            slug = slugify(name, regex_subs=self.settings["SLUG_REGEX_SUBSTITUTIONS"])
            section = page_address(self.settings["CATEGORY_URL"].format(slug=slug))
            count = self.section_sizes.get(name, 0)
            if count:
                self.in_every_site(section)
            for number in range(2, math.ceil(count / per_page) + 1):
                self.in_every_site(f"{section}page/{number}/")
        return self.addresses


def links_in(text):
    """The addresses of the links on one line of Markdown."""
    for pattern in (MARKDOWN_LINK, REFERENCE_LINK, HTML_LINK):
        for match in pattern.finditer(text):
            yield match["address"]


def resolve(address, own_url):
    """A link's target as a page address, or None when the link leaves the site or names a file
    by {filename}/{static} (checked apart), mail, a phone or a fragment of the same page."""
    parts = urlsplit(address)
    if parts.scheme or parts.netloc or address.startswith(("{", "#")) or not parts.path:
        return None
    path = unquote(parts.path)
    if not path.startswith("/"):
        path = posixpath.join("/" + posixpath.dirname(own_url.rstrip("/")) + "/", path)
    target = posixpath.normpath(path).lstrip("/")
    target = "" if target == "." else target
    return target + "/" if path.endswith("/") and target else target


def check_page_links(checker, news, pages):
    """Report, with path:line, each link in a news item or page to a page address the site will not have."""
    predicted = SiteAddresses(checker.settings)
    for source in pages:
        predicted.add_page(source)
    for source in news:
        predicted.add_news_item(source)
    addresses = predicted.finish()
    for source, own_url in [*((s, predicted.page_url(s.fields)) for s in pages), *((s, predicted.item_url(s.fields) or "") for s in news)]:
        for number, text in source.body:
            for address in links_in(text):
                target = resolve(address, own_url)
                if target is None or not looks_like_a_page(target):
                    continue
                if target in addresses or target + "/" in addresses:
                    continue  # "/about-us" is redirected to "/about-us/" by the CDN
                close = difflib.get_close_matches(target, addresses, n=1)
                checker.report(
                    source.display,
                    number,
                    f"link to {address}: no page of the site has that address",
                    f"did you mean /{close[0]}?" if close else "copy the page's address from the site, from the / after the domain",
                )


def served_file(root, path):
    """The built file that serves a site path, as the CDN does: folders from their index.html."""
    target = root / path.lstrip("/")
    if path.endswith("/") or path == "" or target.is_dir():
        return target / PAGE_FILE
    return target


def page_ids(tree):
    # As plain strings: lxml's results keep their whole page in memory (100 MB for 1,000 pages).
    return {str(value) for value in tree.xpath("//@id")}


def broken_links(root, site_url):
    """Every link of the built pages under `root` to a missing file or #fragment: (count checked, problems)."""
    root = Path(root)
    site = urlsplit(site_url)
    ids = {}  # file -> the ids it has, read once
    served = {}  # site path -> the file that serves it, or None: most links are on every page
    checked, problems = 0, []
    for page in sorted(root.rglob("*.html")):
        own = page.relative_to(root).as_posix()
        tree = html.fromstring(page.read_bytes())
        ids.setdefault(page, page_ids(tree))
        tree.make_links_absolute(f"{site_url}/{own}", resolve_base_href=False)
        for element, _, address, _ in tree.iterlinks():
            parts = urlsplit(address)
            if element.tag == "meta" or (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
                continue
            path = unquote(parts.path)[len(site.path):] if parts.path.startswith(site.path) else None
            if path not in served:
                target = served_file(root, path) if path is not None else None
                served[path] = target if target is not None and target.is_file() else None
            target = served[path]
            checked += 1
            if target is None:
                problems.append(f"/{page_address(own)}: the link to {address} leads to no page or file of the site")
            elif parts.fragment:
                if target not in ids:
                    ids[target] = page_ids(html.fromstring(target.read_bytes())) if target.suffix == ".html" else set()
                if unquote(parts.fragment) not in ids[target]:
                    problems.append(f"/{page_address(own)}: the link to {address} leads to no #{parts.fragment} on that page")
    return checked, problems
