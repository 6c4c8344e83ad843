"""Raw HTML is safe: every page and news item body is cleaned by an allowlist sanitizer (nh3).

Markdown lets an editor write HTML (`<script>`, `<meta http-equiv="refresh">`) and
makes dangerous HTML without any (`[x](javascript:…)`, `{: onclick="…" }` from
attr_list). So each reader's output goes through nh3 (Ammonia), which keeps only
the tags, attributes and URL schemes below: what Markdown and its `extra`, `toc`
and `abbr` extensions make, and the little HTML an editor may want. EDITING.md
("HTML in the text") lists it for editors.

It runs inside the reader, right after Markdown: before Pelican's typogrify (which
runs on the reader's output), before its content cache stores the result, and
before laceps.plugins.images turns each <img> into a <picture>. Feeds are made
from the same bodies. Register it after laceps.plugins.templating, whose reader
it wraps (Pelican runs a signal's handlers in the order of PLUGINS).
"""

import nh3
from pelican import signals

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
TAGS = {
    *HEADINGS, "p", "br", "hr", "div", "span", "blockquote", "q", "cite", "pre", "code", "kbd",
    "em", "strong", "b", "i", "s", "del", "ins", "mark", "small", "sub", "sup", "abbr",
    "a", "img", "figure", "figcaption", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}
ATTRIBUTES = {
    "*": {"lang", "dir", "title"},
    **{heading: {"id"} for heading in HEADINGS},  # the toc extension's ids, for links to a section
    "a": {"href", "rel", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start", "reversed"},
    "li": {"id"},  # footnotes
    "sup": {"id"},  # footnote references
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "blockquote": {"cite"},
    "q": {"cite"},
}
CLASSES = {"div": {"footnote"}, "a": {"footnote-ref", "footnote-backref"}}  # footnotes, as the extra extension writes them
URL_SCHEMES = {"https", "http", "mailto", "tel"}  # and relative URLs: pages, files, {filename} links
# Removed with everything inside: their content is code or another document, never text to show.
DROPPED_WITH_CONTENT = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "form", "select", "textarea"}

cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    allowed_classes=CLASSES,
    url_schemes=URL_SCHEMES,
    clean_content_tags=DROPPED_WITH_CONTENT,
    link_rel=None,  # the page's own links keep their rel; outbound ones get none added
)


def sanitizing(reader_class):
    """A reader class like `reader_class` whose bodies come out sanitized."""

    def read(self, source_path):
        content, metadata = reader_class.read(self, source_path)
        return cleaner.clean(content) if content else content, metadata

    return type(f"Sanitizing{reader_class.__name__}", (reader_class,), {"read": read})


def sanitize_every_reader(readers):
    for extension, reader_class in readers.reader_classes.items():
        if reader_class:
            readers.reader_classes[extension] = sanitizing(reader_class)


def register():
    signals.readers_init.connect(sanitize_every_reader)
