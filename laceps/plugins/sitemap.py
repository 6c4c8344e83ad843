"""sitemap.xml: every published page of every language's site, with its hreflang alternates.

pelican-sitemap 1.2.2 lists a subsite's pages at the main site's addresses and writes its
alternates with a misspelled attribute (`ref`), so the site writes its own. Settings:
SITEMAP = {"save_as": its path in the output, "exclude": [regular expressions matched against
paths from the site's root]}.
"""

import re
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from pelican import signals

from laceps.plugins import is_subsite
from laceps.plugins.languages import versions
from laceps.plugins.templating import canonical_path

HEADER = """<?xml version="1.0" encoding="utf-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">
"""

entries = {}  # path from the main site's root -> (URL, {lang: URL}); filled by every site


def start(pelican):
    """A build's sitemap starts empty: one that failed in this process (`invoke livereload` runs
    every build in one) leaves the pages it wrote."""
    if not is_subsite(pelican.settings):  # the main site starts first, and its pages come last
        entries.clear()


def queue_page(path, context):
    if not path.endswith(".html"):
        return
    item = context.get("article") or context.get("page")
    if item and item.status != "published":
        return
    site_root = Path(context["OUTPUT_PATH"])
    if is_subsite(context):
        site_root = site_root.parent  # i18n_subsites writes each subsite into a folder of the main output
    relative = Path(path).relative_to(site_root).as_posix()
    entries[relative] = (f"{context['SITEURL']}/{canonical_path(context['output_file'])}", versions(context))


def write_sitemap(pelican):
    if is_subsite(pelican.settings):
        return  # the main site finishes last and writes one sitemap for all languages
    excluded = [re.compile(pattern) for pattern in pelican.settings["SITEMAP"]["exclude"]]
    lines = [HEADER]
    for relative, (url, alternates) in sorted(entries.items()):
        if any(pattern.search(relative) for pattern in excluded):
            continue
        lines.append(f"<url><loc>{escape(url)}</loc>\n")
        if len(alternates) > 1:
            main = next(iter(alternates.values()))
            for lang, href in [*alternates.items(), ("x-default", main)]:
                lines.append(f'  <xhtml:link rel="alternate" hreflang="{lang}" href={quoteattr(href)}/>\n')
        lines.append("</url>\n")
    lines.append("</urlset>\n")
    (Path(pelican.output_path) / pelican.settings["SITEMAP"]["save_as"]).write_text("".join(lines), encoding="utf-8")
    entries.clear()


def register():
    signals.initialized.connect(start)
    signals.content_written.connect(queue_page)
    signals.finalized.connect(write_sitemap)
