"""The language versions of the site: pelican-i18n-subsites builds /es/; this adds what it leaves out.

- `language_versions()` tells the templates (hreflang links) and laceps.plugins.sitemap where
  the page is in each language; `language_switch()` links to the other languages.
- A news item with its own page is written once, in its own language's site; the other
  site lists it and links there.
- A hidden page without a translation (the 404 page) exists in its own language's site only.
- Each language's feeds live in its own site (/es/feeds/…), in that language.
"""

import gettext
import posixpath
from urllib.parse import urljoin

from jinja2 import pass_context
from pelican import signals
from pelican.contents import Page
from pelican.plugins.i18n_subsites.i18n_subsites import relpath_to_site

from laceps.plugins import is_subsite
from laceps.plugins.templating import canonical_path


@pass_context
def site_url(context, url):
    """The absolute URL of a link Pelican gives relative to this site, even one into another language's."""
    return urljoin(f"{context['SITEURL']}/", url)


@pass_context
def versions(context):
    """This page in each language that has it: {lang: URL}, in the order of the sites."""
    item = context.get("article") or context.get("page")
    sites = context["lang_siteurls"]
    path = canonical_path(context["output_file"])
    shared = item is None or (
        # Lists and the search page are in every site; so are untranslated pages (kept, not hidden).
        isinstance(item, Page)
        and item.status == "published"
        and not item.translations
        and context["I18N_UNTRANSLATED_PAGES"] == "keep"
    )
    if shared:
        return {lang: f"{siteurl}/{path}" for lang, siteurl in sites.items()}
    found = {context["DEFAULT_LANG"]: f"{context['SITEURL']}/{path}"}
    for translation in item.translations:
        # i18n_subsites gives a translation a URL relative to this site ("../about-us/").
        found[translation.lang] = site_url(context, translation.url)
    return {lang: found[lang] for lang in sites if lang in found}


@pass_context
def language_switch(context):
    """Links to the other languages: this page's version, or that language's home page."""
    found = versions(context)
    return [
        {"lang": lang, "name": context["LANGUAGE_NAMES"][lang], "url": found.get(lang, f"{siteurl}/")}
        for lang, siteurl in context["lang_siteurls"].items()
        if lang != context["DEFAULT_LANG"]
    ]


def add_globals(pelican):
    settings = pelican.settings
    settings["JINJA_FILTERS"] = {**settings.get("JINJA_FILTERS", {}), "site_url": site_url}
    settings["JINJA_GLOBALS"] = {
        **settings.get("JINJA_GLOBALS", {}),
        "language_versions": versions,
        "language_switch": language_switch,
    }
    if is_subsite(settings):
        # Pelican set FEED_DOMAIN from the main site's URL; this site's feeds are its own.
        settings["FEED_DOMAIN"] = settings["SITEURL"]


def link_news_to_its_language(generator):
    """An item with its own page in another language links to that page instead of a copy here."""
    here = generator.settings["DEFAULT_LANG"]
    for item in generator.articles:
        if item.lang != here and item.has_page:
            item.override_url = posixpath.join(relpath_to_site(here, item.lang), item.url)
            item.override_save_as = ""


def hidden_pages_in_their_language(generator):
    here = generator.settings["DEFAULT_LANG"]
    generator.hidden_pages[:] = [page for page in generator.hidden_pages if page.lang == here]


def feed_in_site_language(context, feed):
    """xml:lang on the feed, and its section name ("SITENAME - News Stories") translated."""
    lang = context["DEFAULT_LANG"]
    # The compiled catalogs the templates use (the build writes them outside the theme).
    catalog = gettext.translation("messages", context["I18N_GETTEXT_LOCALEDIR"], languages=[lang], fallback=True)
    feed.feed["language"] = lang
    site, separator, section = feed.feed["title"].partition(" - ")
    if section:
        feed.feed["title"] = site + separator + catalog.gettext(section)


def register():
    signals.initialized.connect(add_globals)
    signals.article_generator_finalized.connect(link_news_to_its_language)
    signals.page_generator_finalized.connect(hidden_pages_in_their_language)
    signals.feed_generated.connect(feed_in_site_language)
