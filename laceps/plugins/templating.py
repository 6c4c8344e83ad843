"""Safe text and theme helpers for the templates.

Jinja autoescaping is on, so anything an editor types is text, never markup.
Title and Summary are read as plain text: escaped before Pelican's typogrify
runs, then marked safe, so "<script>" shows as text while quotes still curl.
"""

import hashlib
import html
import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import pass_context
from markdown import Markdown
from markupsafe import Markup
from pelican import signals
from pelican.contents import Article
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open, slugify
from typogrify.filters import typogrify

from laceps import warm
from laceps.plugins import is_subsite

PLAIN_TEXT_FIELDS = ("title", "summary", "source")
STYLESHEET_URL = re.compile(rb"url\(([^)'\"]+)\)")  # url(fonts/x.woff2): a path in the theme's static/


def escape_text(text):
    """Escape for an HTML text node. Quotes stay as typed, so typogrify can curl them."""
    return html.escape(str(text), quote=False)


class PlainTextMetadataMarkdownReader(MarkdownReader):
    """Markdown reader whose plain-text fields come out HTML-escaped, and which parses every file
    with one Markdown instance, reset between files: Pelican's makes a new one for each, loading
    every extension again (a fifth of the time Markdown takes)."""

    def read(self, source_path):
        self._source_path = source_path
        if getattr(self, "_md", None) is None:
            self._md = Markdown(**self.settings["MARKDOWN"])
            # Pelican's _parse_metadata removes the metadata preprocessor from the instance: kept to put back.
            self.meta_preprocessor = next((self._md.preprocessors["meta"], "meta", item.priority)
                                          for item in self._md.preprocessors._priority if item.name == "meta")
        else:
            self._md.reset()
            self._md.preprocessors.register(*self.meta_preprocessor)
        with pelican_open(source_path) as text:
            content = self._md.convert(text)
        metadata = self._parse_metadata(self._md.Meta)
        if "title" in metadata and "slug" not in metadata:
            # The slug must come from the raw title, not its escaped form.
            metadata["slug"] = slugify(
                metadata["title"],
                regex_subs=self.settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
            )
        for field in PLAIN_TEXT_FIELDS:
            if isinstance(metadata.get(field), str):
                metadata[field] = escape_text(metadata[field])
        return content, metadata


def use_plain_text_reader(readers):
    for extension in PlainTextMetadataMarkdownReader.file_extensions:
        readers.reader_classes[extension] = PlainTextMetadataMarkdownReader


def mark_fields_safe(content):
    """The fields were escaped (then typogrified) by the reader: trust them now."""
    for field in PLAIN_TEXT_FIELDS:
        value = content.metadata.get(field)
        if isinstance(value, str):
            content.metadata[field] = trusted = Markup(value)  # one object: a page's records digest it once
            setattr(content, field, trusted)


def prose(text):
    """Plain text from data files, escaped, then typographically polished."""
    if text is None:
        return ""
    return Markup(typogrify(escape_text(text)))


@pass_context
def number(context, value):
    """A figure written the way the page's language writes numbers (51,000 / 51.000)."""
    return format_decimal(value, locale=context["BABEL_LOCALE"])


@pass_context
def date_label(context, value):
    """A date written out in the page's language: April 25, 2025 / 25 de abril de 2025."""
    return format_date(value, format="long", locale=context["BABEL_LOCALE"])


@pass_context
def structured_data(context, item, url, description):
    """JSON-LD for search engines: the Organization everywhere, plus NewsArticle on articles."""
    siteurl = context["main_siteurl"]  # one organization, whichever language the page is in
    organization = {
        "@type": "Organization",
        "@id": f"{siteurl}/#organization",
        "name": context["SITENAME"],
        "alternateName": context["SITE_SHORT_NAME"],
        "url": f"{siteurl}/",
        "email": context["DATA_SITE"]["contact"]["email"],
        "description": context["SITE_DESCRIPTION"],
    }
    graph = [organization]
    if isinstance(item, Article):
        graph.append(
            {
                "@type": "NewsArticle",
                "headline": Markup(item.title).striptags(),
                "datePublished": item.date.isoformat(),
                "inLanguage": item.lang,
                "url": url,
                "description": description,
                "author": {"@type": "Organization", "name": Markup(item.source).striptags()},
                "publisher": {"@id": organization["@id"]},
            }
        )
    return {"@context": "https://schema.org", "@graph": graph}


def web_host(url):
    """A web address as people say it: https://www.example.org/ -> example.org."""
    return urlsplit(url).hostname.removeprefix("www.")


def canonical_path(output_file):
    """The public path of a written file: folders, not index.html."""
    path = output_file.replace("\\", "/")
    return path[: -len("index.html")] if path.endswith("index.html") else path


def is_current(nav_url, output_file):
    """True when the navigation item at nav_url is (or contains) this page."""
    path = canonical_path(output_file)
    return path == nav_url if nav_url == "" else path.startswith(nav_url)


def asset_bytes(static_dir, name, urls):
    """An asset's content; in a stylesheet, each url() of another asset names that asset's hashed
    copy, which is in the same folder (theme/)."""
    data = (static_dir / name).read_bytes()
    if name.endswith(".css"):
        def hashed(match):
            path = match[1].decode()
            return f"url({posixpath.basename(urls[path])})".encode() if path in urls else match[0]

        data = STYLESHEET_URL.sub(hashed, data)
    return data


def fingerprinted_assets(pelican):
    """Give each theme asset a content-hashed name, so the CDN can cache it forever."""
    settings = pelican.settings
    static_dir = Path(settings["THEME"]) / "static"
    urls = {}
    # Stylesheets last: their hash covers the hashed names of the files they use.
    for name in sorted(settings["THEME_ASSETS"], key=lambda name: name.endswith(".css")):
        source = static_dir / name
        digest = hashlib.sha256(asset_bytes(static_dir, name, urls)).hexdigest()[:10]
        urls[name] = f"theme/{source.stem}.{digest}{source.suffix}"
    settings["ASSET_URLS"] = urls
    settings["JINJA_GLOBALS"] = {**settings.get("JINJA_GLOBALS", {}), "ASSET_URLS": urls}


def write_assets(pelican):
    if is_subsite(pelican.settings):
        return  # a language's subsite links to the main site's copy
    static_dir = Path(pelican.settings["THEME"]) / "static"
    urls = pelican.settings["ASSET_URLS"]
    for name, url in urls.items():
        target = Path(pelican.output_path) / url
        target.parent.mkdir(parents=True, exist_ok=True)
        warm.put(target, asset_bytes(static_dir, name, urls), warm.in_last_output(pelican.output_path, url))


def merge_policies(*policies):
    """One Content-Security-Policy from several: each directive once, with the sources of all.

    A browser obeys only the first of two directives with the same name, so extra
    permissions (the search page's, livereload's) must join the directive, not follow it.
    """
    directives = {}
    for policy in policies:
        for directive in filter(None, (part.split() for part in policy.split(";"))):
            sources = directives.setdefault(directive[0], [])
            sources += [source for source in directive[1:] if source not in sources]
    return "; ".join(
        " ".join([name, *([s for s in sources if s != "'none'"] or sources)]) for name, sources in directives.items()
    )


def configure_templates(pelican):
    """Filters, tests and globals for the theme; the livereload policy when asked."""
    settings = pelican.settings
    if settings["LIVERELOAD"]:
        settings["CONTENT_SECURITY_POLICY"] = merge_policies(settings["CONTENT_SECURITY_POLICY"], settings["LIVERELOAD_CSP"])
    settings["JINJA_FILTERS"] = {
        **settings.get("JINJA_FILTERS", {}),
        "prose": prose,
        "canonical_path": canonical_path,
        "web_host": web_host,
        "number": number,
        "date_label": date_label,
        "merge_policies": merge_policies,
    }
    settings["JINJA_GLOBALS"] = {
        **settings.get("JINJA_GLOBALS", {}),
        "structured_data": structured_data,
    }
    settings["JINJA_TESTS"] = {**settings.get("JINJA_TESTS", {}), "current": is_current}


def register():
    signals.initialized.connect(fingerprinted_assets)
    signals.initialized.connect(configure_templates)
    signals.readers_init.connect(use_plain_text_reader)
    signals.content_object_init.connect(mark_fields_safe)
    signals.finalized.connect(write_assets)
