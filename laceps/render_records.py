"""Each page's render, recorded so that a later build can tell the page is unchanged without
rendering it: `invoke livereload`'s resident build (laceps.incremental) and a production build
after an earlier one (laceps.warm) both write through KeepingWriter.

A render is a function of what it reads: its record holds every name the render looked up in its
template context (the templates' variables and what the context functions look up, through
Jinja's context: ReadingContext), a digest of each value (Digests), the files of the site the page
names, and its text (or what the build keeps of it: BuildPages.noted). When every one of those
values has the same digest again, the page is the same.
"""

import contextlib
import hashlib
import html
import operator
import os
import re
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from urllib.parse import unquote, urlparse, urlsplit

from jinja2.runtime import Context
from pelican.contents import Content
from pelican.paginator import Paginator
from pelican.urlwrappers import URLWrapper
from pelican.writers import Writer

SCALARS = (str, bytes, int, float, bool, type(None), date, datetime, timedelta, Decimal)
CODE = (FunctionType, BuiltinFunctionType, MethodType, ModuleType, type)
PLAIN = {str, bytes, int, float, bool, type(None)}  # values digested again each time (Digests.of)
PLAIN_NAMES = {kind: kind.__qualname__.encode() for kind in PLAIN}
ABSENT = object()
PAGINATED = ("articles", "dates")  # the lists Pelican's writer paginates, by their names in a page's context
NOT_RENDERED = ("_context", "settings")  # a Content's links back to everything: settings are digested on their own
# An attribute's value; named_files reads those of the attributes that name files (a link, an image,
# a share card in a meta tag's content). Found by its "=": a third quicker than naming the attributes.
ATTRIBUTE_VALUE = re.compile(r'="([^"]+)"')
FILE_ATTRIBUTES = {"href", "src", "srcset", "content"}


class Digests:
    """Digests of the values pages read, each computed once per build (values are keyed by identity,
    and kept alive, for the build's length). A content with a record (ContentRecords) takes the
    digest of each field it still has as the record holds it from the record, where it lasts from
    one build to the next."""

    def __init__(self, origin=lambda content: None):
        self.memo = {}
        self.origin = origin  # the record a content was copied from, if any

    def of(self, value, nested=False):
        kind = type(value)
        if kind in PLAIN:
            # Digested each time, not kept: kept, every field of every content stayed in memory to
            # the build's end, in the build and in each worker, to save a hash of a short text.
            # Hashed here, as compute() would, at once: most values a page reads are these.
            data = value.encode("utf-8", "surrogatepass") if kind is str else repr(value).encode()
            return hashlib.blake2b(PLAIN_NAMES[kind] + data, digest_size=16).digest()
        key = (id(value), nested)
        found = self.memo.get(key)
        if found is None:
            self.memo[key] = (value, b"cycle")  # a value met again inside itself
            found = self.memo[key] = (value, self.compute(value, nested))
        return found[1]

    def compute(self, value, nested):
        digest = hashlib.blake2b(type(value).__qualname__.encode(), digest_size=16)
        if isinstance(value, str):
            digest.update(value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, SCALARS):
            digest.update(repr(value).encode())
        elif isinstance(value, Content):
            # A content's own fields; another content it names (a translation) counts by its own
            # fields only, so that the cycles between translations end.
            record = self.origin(value)
            recorded = record.fields if record else {}
            for name, field in sorted(vars(value).items()):
                if name in NOT_RENDERED:
                    continue
                if nested and isinstance(field, Content):
                    part = value_source(field)
                elif field is recorded.get(name, ABSENT) or name in recorded and unchanged(field, recorded[name]):
                    part = record.digest(name, self)
                else:
                    part = self.of(field, nested=True)
                digest.update(name.encode() + part)
            # Its intrasite links ({filename}): their text is the URL of what they lead to.
            links = record.links(value) if record else linked_files(value)
            if links:
                digest.update(self.of([(key, path, getattr(value._context.get(key, {}).get(path), "url", None)) for key, path in links]))
        elif isinstance(value, URLWrapper):
            # A category or an author by what makes it: Pelican notes its slug and name in it
            # once its URL is first worked out, which changes nothing it shows.
            slug = None if value._slug_from_name else value._slug
            digest.update(self.of([value.name, slug, value.settings], nested))
        elif isinstance(value, Paginator):
            # Its shape, not its whole list: each page of a list shows its own items (a Page's
            # object_list); a template that reads the whole list reads the list itself (see
            # ReadingContext.noting_whole_lists).
            digest.update(self.of([value.name, value.url, value.per_page, value.orphans, value.count, value.settings], nested))
        elif isinstance(value, dict):
            for name, field in value.items():
                digest.update(self.of(name) + self.of(field, nested))
        elif isinstance(value, (set, frozenset)):
            for part in sorted(self.of(field, nested) for field in value):
                digest.update(part)
        elif isinstance(value, (list, tuple)):
            for field in value:
                digest.update(self.of(field, nested))
        elif isinstance(value, CODE):
            digest.update(f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)}".encode())
        elif hasattr(value, "__dict__"):
            digest.update(self.of(vars(value), nested))
        else:
            digest.update(repr(value).encode())  # an address in it only costs a render
        return digest.digest()


def value_source(content):
    return f"source:{content.source_path}".encode()


def linked_files(content):
    """Where the intrasite links of a content's text ({filename}, {static}, {attach}) may lead,
    looked up as Pelican looks them up (Content._link_replacer): [(context key, path)]."""
    found = []
    for match in content._get_intrasite_link_regex().finditer(content._content or ""):
        if match["what"] not in ("filename", "static", "attach"):
            continue
        url = urlparse(match["value"])
        for path in (url.path, unquote(url.path), urlparse(html.unescape(url.geturl())).path):
            if path.startswith("/"):
                path = path[1:]
            else:
                path = content.get_relative_source_path(os.path.join(content.relative_dir, path))
            found += [("generated_content", path), ("static_content", path)]
    return found


class ReadingContext(Context):
    """Jinja's context, noting each name a render looks up (templates and context functions alike)."""

    reads = None

    def resolve_or_missing(self, key):
        if ReadingContext.reads is not None:
            ReadingContext.reads.add(key)
        return super().resolve_or_missing(key)

    @staticmethod
    def noting_whole_lists(lookup):
        """An environment's getattr or getitem for the templates, which notes a read of a
        paginator's whole list as a read of the lists Pelican's writer paginates."""

        def noting(obj, attribute):
            if ReadingContext.reads is not None and isinstance(obj, Paginator) and attribute == "object_list":
                ReadingContext.reads.update(PAGINATED)
            return lookup(obj, attribute)

        return noting


class BuildPages:
    """What one build knows of its pages: their last renders (kept across builds), the digests of
    their inputs, the renders not written yet (`pending`: one counts once its file is written), and
    the pages left as they are (`reused`)."""

    def __init__(self, renders, digests, root, root_url):
        self.renders, self.digests = renders, digests
        self.root, self.root_url = root, root_url  # the main site's output folder, and its URL
        self.pending, self.reused = {}, set()
        self.read_sets = {}  # one frozenset for each set of names some render read (`shared`)

    def shared(self, names):
        """`names` (what a render read) as one frozenset for all the pages that read the same names."""
        names = frozenset(names)
        return self.read_sets.setdefault(names, names)

    def written(self, path):
        if path in self.pending:
            self.renders[path] = self.pending.pop(path)

    def last_text(self, path, last):
        """The text of `path`'s last render, `last`, while its file still holds it; else None."""
        return last[3] if os.path.exists(path) else None

    def noted(self, text):
        """What a page's render record keeps of its text: the text itself, for last_text."""
        return text

    def keep(self, path):
        """Where Pelican's writer writes a reused page: its file holds that text already."""
        return contextlib.nullcontext(KEPT)


class RememberedTemplate:
    """A template whose render gives the last text of a page whose inputs are unchanged (and notes
    the page as reused: its file already holds that text)."""

    def __init__(self, template, pages):
        self.template, self.pages = template, pages

    @property
    def environment(self):
        return self.template.environment

    def inputs(self, names, localcontext):
        digest = hashlib.blake2b(self.template.name.encode(), digest_size=16)
        for name in sorted(names):
            digest.update(name.encode() + (self.pages.digests.of(localcontext[name]) if name in localcontext else b"missing"))
        return digest.digest()

    def render(self, localcontext):
        pages = self.pages
        path = os.path.abspath(os.path.join(localcontext["OUTPUT_PATH"], localcontext["output_file"]))
        last = pages.renders.get(path)
        if last and self.inputs(last[0], localcontext) == last[1] and (text := pages.last_text(path, last)) is not None:
            pages.reused.add(path)
            return text
        ReadingContext.reads = reads = set()
        try:
            text = self.template.render(localcontext)
        finally:
            ReadingContext.reads = None
        pages.pending[path] = (pages.shared(reads), self.inputs(reads, localcontext), named_files(text, path, pages.root, pages.root_url), pages.noted(text))
        return text


class KeepingWriter(Writer):
    """Pelican's writer, its templates remembered (RememberedTemplate): a page whose inputs are
    unchanged keeps its last text (`pages.keep`), unless Pelican writes its file twice."""

    pages = None  # the build's BuildPages, set by a subclass made for the build

    def write_file(self, name, template, context, *args, **kwargs):
        return super().write_file(name, RememberedTemplate(template, self.pages), context, *args, **kwargs)

    def _open_w(self, filename, encoding, override=False):
        if filename not in self.pages.reused or filename in self._written_files or filename in self._overridden_files:
            return super()._open_w(filename, encoding, override)
        if override:  # a page with a Save_as of its own: Pelican then skips any other write of its file
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return self.pages.keep(filename)


def remember_templates(generator):
    """For generator_init: the generator's templates note every name a render reads (ReadingContext)."""
    generator.env.context_class = ReadingContext
    generator.env.getattr = ReadingContext.noting_whole_lists(generator.env.getattr)
    generator.env.getitem = ReadingContext.noting_whole_lists(generator.env.getitem)


class KeptFile:
    """Where Pelican's writer writes a page whose file is left as it is."""

    def write(self, text):
        return len(text)


KEPT = KeptFile()


def named_files(text, page, root, root_url):
    """The files of the site besides pages that a page names (a share card, an image, a feed), as
    paths from the main site's output folder (`root`, served at `root_url`: every language's site is
    in it). Pages are left out: none is kept or brought back for being named."""
    found = set()
    for match in ATTRIBUTE_VALUE.finditer(text):
        start = match.start()
        name, value = text[text.rfind(" ", 0, start) + 1:start], match[1]
        if name not in FILE_ATTRIBUTES or name == "content" and not value.startswith(("/", "http:", "https:")):
            continue  # a meta tag's content is a file's address only when it starts as one: others hold text
        for candidate in value.split(","):
            words = candidate.split()
            address = words[0] if words else ""
            if address.partition("#")[0].partition("?")[0].endswith(("/", ".html")):
                continue  # a page (most links): told apart before the slower parsing
            if root_url and address.startswith(root_url + "/"):
                address = address[len(root_url):]
            parts = urlsplit(address)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            path = unquote(parts.path)
            if not path.startswith("/"):
                path = os.path.relpath(os.path.join(os.path.dirname(page), path), root)
            found.add(sys.intern(path.replace(os.sep, "/").lstrip("/")))  # most are named by many pages
    return frozenset(found)


def unchanged(value, recorded):
    """True when `value` is `recorded`, or a copy (copied) in which nothing was replaced, added or
    taken out since: the same objects, in the same order."""
    if value is recorded:
        return True
    kind = type(value)
    if kind is not type(recorded) or kind not in (dict, list):
        return False
    if kind is dict:
        if list(value) != list(recorded):
            return False
        value, recorded = value.values(), recorded.values()
    elif len(value) != len(recorded):
        return False
    return all(map(operator.is_, value, recorded)) or all(map(unchanged, value, recorded))
