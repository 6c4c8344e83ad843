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
import functools
import math
import os
import posixpath
import re
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree, html
from pelican.utils import slugify

from laceps import cache_files
from laceps.plugins.templating import canonical_path

# A link's address in Markdown (`[text](address)`, `[label]: address`) or in HTML (`href="address"`).
MARKDOWN_LINK = re.compile(r"\]\(\s*<?(?P<address>[^)\s>]+)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:\s*<?(?P<address>[^\s>]+)")
HTML_LINK = re.compile(r"""\bhref\s*=\s*["'](?P<address>[^"']+)""", re.IGNORECASE)
PAGE_FILE = "index.html"
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The attributes the built-link check reads, on the element lxml parsed the page into and all inside it:
# of those lxml's iterlinks reads, the ones this site's pages carry (its templates', and those
# laceps.plugins.sanitize lets a body keep). tests/test_links.py holds them to iterlinks on every built page.
LINK_ATTRIBUTES = ("href", "src", "cite")
PAGE_LINKS = etree.XPath(" | ".join(f"descendant-or-self::*/@{name}" for name in LINK_ATTRIBUTES), smart_strings=False)
# And the responsive images' other copies (laceps.plugins.images), which iterlinks does not read:
# each candidate of a srcset, "address width" separated by commas.
PAGE_IMAGE_SETS = etree.XPath("descendant-or-self::*/@srcset", smart_strings=False)
PAGE_IDS = etree.XPath("//@id", smart_strings=False)


def page_address(path):
    """An address as the site's pages are named: "about-us/", "" for Home, a file name as it is."""
    return canonical_path(path.lstrip("/"))


def slug(fields, substitutions):
    """A page's or news item's slug: its Slug field, or its Title as Pelican slugifies it with
    SLUG_REGEX_SUBSTITUTIONS (as a tuple of pairs)."""
    if "slug" in fields:
        return fields["slug"][0]
    return slugified(fields.get("title", ("",))[0], substitutions)


def substitutions(settings):
    return tuple(map(tuple, settings["SLUG_REGEX_SUBSTITUTIONS"]))


# Memoized for the life of the process, as links_in and resolve below: the checks run before each
# build, and meet the same titles, dates and lines each time.
@functools.cache
def slugified(title, substitutions):
    return slugify(title, regex_subs=substitutions)


@functools.cache
def day(date):
    """The day a Date field starts with, or None."""
    try:
        if ISO_DAY.fullmatch(date[:10]):  # as strptime reads it, ten times quicker
            return datetime(int(date[:4]), int(date[5:7]), int(date[8:10]))
        return datetime.strptime(date[:10], "%Y-%m-%d")
    except ValueError:
        return None


def looks_like_a_page(address):
    """Page addresses end with "/" (or name no file); files the build makes (feeds, images) are left
    to the check of the built site."""
    name = posixpath.basename(address.rstrip("/"))
    return address.endswith("/") or address == "" or "." not in name or name.endswith(".html")


class SiteAddresses:
    """The page addresses a build of the content will have, predicted from the URL settings."""

    def __init__(self, settings):
        self.settings = settings
        self.substitutions = substitutions(settings)
        self.main_lang = settings["DEFAULT_METADATA"]["lang"]
        self.other_langs = list(settings["I18N_SUBSITES"])
        self.addresses = set()
        self.section_sizes = {}

    def in_site(self, lang, address):
        return address if lang == self.main_lang else f"{lang}/{address}"

    def in_every_site(self, address):
        for lang in [self.main_lang, *self.other_langs]:
            self.addresses.add(self.in_site(lang, address))

    def page_url(self, fields):
        """A page's own address: its URL field, or PAGE_URL. Every page exists in every language's site."""
        if "url" in fields:
            return page_address(fields["url"][0])
        return page_address(self.settings["PAGE_URL"].format(slug=slug(fields, self.substitutions)))

    def item_url(self, fields):
        """A news item's page address, or None when it has no page (or its date is unreadable)."""
        date = day(fields["date"][0]) if "date" in fields else None
        if date is None:
            return None
        url = page_address(self.settings["ARTICLE_URL"].format(slug=slug(fields, self.substitutions), date=date))
        return self.in_site(fields.get("lang", (self.main_lang,))[0], url)

    def add_news_item(self, source, url):
        if url is not None and any(text.strip() for _, text in source.body):
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
            section = page_address(self.settings["CATEGORY_URL"].format(slug=slugified(name, self.substitutions)))
            count = self.section_sizes.get(name, 0)
            if count:
                self.in_every_site(section)
            for number in range(2, math.ceil(count / per_page) + 1):
                self.in_every_site(f"{section}page/{number}/")
        return self.addresses


@functools.cache
def links_in(text):
    """The addresses of the links on one line of Markdown."""
    # Each pattern only on a line with what it cannot match without: most lines have none of them.
    patterns = [pattern for pattern, needs in ((MARKDOWN_LINK, "]("), (REFERENCE_LINK, "]:"), (HTML_LINK, "=")) if needs in text]
    return tuple(match["address"] for pattern in patterns for match in pattern.finditer(text))


@functools.cache
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
    page_urls = [(source, predicted.page_url(source.fields)) for source in pages]
    item_urls = [(source, predicted.item_url(source.fields)) for source in news]
    for _, url in page_urls:
        predicted.in_every_site(url)
    for source, url in item_urls:
        predicted.add_news_item(source, url)
    addresses = predicted.finish()
    for source, own_url in [*page_urls, *((source, url or "") for source, url in item_urls)]:
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
    """The built file (a path from `root`, a str) that serves a site path, as the CDN does: folders from their
    index.html; None when there is none. The path's parts are read as pathlib reads them ("" and "." dropped)."""
    target = "/".join([root, *(part for part in path.split("/") if part not in ("", "."))])
    if path.endswith("/") or path == "" or os.path.isdir(target):
        target = f"{target}/{PAGE_FILE}"
    return target if os.path.isfile(target) else None


def built_pages(root):
    """The .html files under `root` (a str), as paths from it, in the order of their folders' names."""
    pages = []
    for folder, _, files in os.walk(root):
        inside = folder[len(root) + 1 :]
        pages += [f"{inside}/{name}" if inside else name for name in files if name.endswith(".html")]
    return sorted(pages, key=lambda page: page.split("/"))


def page_ids(tree):
    # As plain strings: lxml's results keep their whole page in memory (100 MB for 1,000 pages).
    return frozenset(PAGE_IDS(tree))


class BuiltSite:
    """The files of a built site and what its addresses lead to, each worked out once: most links
    stand on every page."""

    def __init__(self, root, site_url, last=None):
        self.root = root
        self.site = urlsplit(site_url)
        # What a link leads to: (its absolute address, the file or None, its #fragment), or None off the
        # site. Keyed by the link alone when every page reads it alike (a web address, or a path from
        # the root), else by (the page's folder, or its own address for a bare ?query or #fragment, link).
        self.targets = {}
        self.served = {}  # site path -> the file that serves it, or None
        self.pages = {}  # page file -> digest of its bytes
        self.last = dict(last or {})  # digest of a page's bytes -> its links and ids (`page`)

    def target(self, page_url, link):
        """(the link's absolute address, the file it leads to or None, its #fragment), or None off the site."""
        if link in self.targets:
            return self.targets[link]
        parts = urlsplit(link)  # as urljoin reads it: what of the page's address it depends on
        kept = parts.scheme and (parts.scheme != self.site.scheme or parts.netloc)  # urljoin leaves it as it is
        if kept or parts.netloc or parts.path.startswith("/"):
            key = link
        else:
            key = (page_url.rsplit("/", 1)[0] if parts.path else page_url, link)
        if key not in self.targets:
            self.targets[key] = self.lead(link, parts) if kept else self.lead(urljoin(page_url, link))
        return self.targets[key]

    def lead(self, address, parts=None):
        parts = urlsplit(address) if parts is None else parts
        if (parts.scheme, parts.netloc) != (self.site.scheme, self.site.netloc):
            return None
        path = unquote(parts.path)[len(self.site.path):] if parts.path.startswith(self.site.path) else None
        if path not in self.served:
            self.served[path] = served_file(self.root, path) if path is not None else None
        return address, self.served[path], parts.fragment

    def has_id(self, target, wanted):
        """Whether the file `target` has an element with the id `wanted`."""
        return Path(target).suffix == ".html" and wanted in self.page(target)[1]

    def page(self, path):
        """(the addresses a built page links to, its ids), read once per check, and kept from one check
        to the next by the digest of the page's bytes (most pages of a build are the last one's)."""
        if path not in self.pages:
            data = Path(path).read_bytes()
            digest = cache_files.digest(data)
            if digest not in self.last:
                tree = html.fromstring(data)
                # Interned: most links are on every page (the menu, the footer), kept and saved once.
                links = tuple(sys.intern(link.strip()) for link in [*PAGE_LINKS(tree), *image_set_links(tree)])
                self.last[digest] = (links, page_ids(tree))
            self.pages[path] = digest
        return self.last[self.pages[path]]

    def read_pages(self):
        """What the pages read so far hold (for `last` of the next check)."""
        return {digest: self.last[digest] for digest in self.pages.values()}


def image_set_links(tree):
    """The address of each candidate of the page's srcset attributes."""
    return [candidate.split()[0] for value in PAGE_IMAGE_SETS(tree) for candidate in value.split(",") if candidate.strip()]


def broken_links(root, site_url, memory=None):
    """Every link of the built pages under `root` to a missing file or #fragment: (count checked, problems).
    A link is read as lxml's make_links_absolute reads it, against the page's own address: the site
    has no <base>, and the check would not follow one. memory: a file in which each page's links are
    kept for the next check (the cache folder's)."""
    root = str(Path(root))
    site = BuiltSite(root, site_url, last=cache_files.load(memory) if memory else {})
    checked, problems = 0, []
    for own in built_pages(root):
        page, page_url = f"{root}/{own}", f"{site_url}/{own}"
        for link in site.page(page)[0]:
            found = site.target(page_url, link)
            if found is None:
                continue
            address, target, fragment = found
            checked += 1
            if target is None:
                problems.append(f"/{page_address(own)}: the link to {address} leads to no page or file of the site")
            elif fragment and not site.has_id(target, unquote(fragment)):
                problems.append(f"/{page_address(own)}: the link to {address} leads to no #{fragment} on that page")
    if memory:
        cache_files.save(memory, site.read_pages())
    return checked, problems
