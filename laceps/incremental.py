"""`invoke livereload`'s resident build: Pelican kept warm, the content in memory, and after a save
only the pages whose inputs changed are rendered again.

How a page is known to be unchanged: its last render recorded every name it read from its
template context (the templates' variables and what the context functions look up, through
Jinja's context), and a digest of each value. A render is a function of what it reads, so when
every one of those values has the same digest, the page is the same: its file is written again
from the last render. After a Markdown save the content is read again (changed files only: the
reader cache stays in memory) and every page's inputs are compared, in both languages; the item,
its section's pages, home and In The News come out changed, the rest does not. Any other save
(templates, data, images, settings) renders everything again, still warm.

Pages that a build no longer writes, and files no page uses any more (an old share card), are
deleted: the output is what a clean build writes. Search is indexed after each build, in the
background, from every page in the order a clean build writes them (`update_search`); a save
that comes meanwhile does not wait for it: the indexing gives up and the next one starts after.
"""

import contextlib
import hashlib
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from urllib.parse import unquote, urlsplit

from jinja2.runtime import Context
from pelican import signals as pelican_signals
from pelican.contents import Content
from pelican.writers import Writer

from laceps import build as pipeline

SCALARS = (str, bytes, int, float, bool, type(None), date, datetime, timedelta, Decimal)
CODE = (FunctionType, BuiltinFunctionType, MethodType, ModuleType, type)
NOT_RENDERED = ("_context", "settings")  # a Content's links back to everything: settings are digested on their own
# Where a page names another file of the site: a link, an image, a share card in a meta tag.
FILE_REFERENCE = re.compile(r'\b(?:href|src|srcset|content)="([^"]+)"')
PARTIAL_INDEX = ".pagefind-"  # the folder a background indexing writes before it replaces pagefind/
SETTLE_SECONDS = 0.05  # a file's change time may trail the clock by a few milliseconds


class Digests:
    """Digests of the values pages read, each computed once per build (values are keyed by identity,
    and kept alive, for the build's length)."""

    def __init__(self):
        self.memo = {}

    def of(self, value, nested=False):
        if isinstance(value, SCALARS):
            return hashlib.blake2b(f"{type(value).__name__}:{value!r}".encode(), digest_size=16).digest()
        key = (id(value), nested)
        if key not in self.memo:
            self.memo[key] = (value, b"cycle")  # a value met again inside itself
            self.memo[key] = (value, self.compute(value, nested))
        return self.memo[key][1]

    def compute(self, value, nested):
        digest = hashlib.blake2b(type(value).__qualname__.encode(), digest_size=16)
        if isinstance(value, Content):
            # A content's own fields; another content it names (a translation) counts by its own
            # fields only, so that the cycles between translations end.
            for name, field in sorted(vars(value).items()):
                if name not in NOT_RENDERED:
                    digest.update(name.encode())
                    digest.update(value_source(field) if nested and isinstance(field, Content) else self.of(field, nested=True))
            if "{" in (value._content or ""):  # {filename} links: their text is the other content's URL
                digest.update(self.addresses(value._context))
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


    def addresses(self, context):
        """The URL of every content and static file, which intrasite links are written with."""
        key = ("addresses", id(context))
        if key not in self.memo:
            known = {**context.get("generated_content", {}), **context.get("static_content", {})}
            self.memo[key] = (context, self.of({path: getattr(item, "url", None) for path, item in known.items()}))
        return self.memo[key][1]


def value_source(content):
    return f"source:{content.source_path}".encode()


class ReadingContext(Context):
    """Jinja's context, noting each name a render looks up (templates and context functions alike)."""

    reads = None

    def resolve_or_missing(self, key):
        if ReadingContext.reads is not None:
            ReadingContext.reads.add(key)
        return super().resolve_or_missing(key)


class RememberedTemplate:
    """A template whose render gives the last text of a page whose inputs are unchanged."""

    def __init__(self, template, renders, digests, root, root_url):
        self.template, self.renders, self.digests = template, renders, digests
        self.root, self.root_url = root, root_url

    def inputs(self, names, localcontext):
        digest = hashlib.blake2b(self.template.name.encode(), digest_size=16)
        for name in sorted(names):
            digest.update(name.encode() + (self.digests.of(localcontext[name]) if name in localcontext else b"missing"))
        return digest.digest()

    def render(self, localcontext):
        path = os.path.abspath(os.path.join(localcontext["OUTPUT_PATH"], localcontext["output_file"]))
        last = self.renders.get(path)
        if last and os.path.exists(path) and self.inputs(last[0], localcontext) == last[1]:
            return last[3]
        ReadingContext.reads = reads = set()
        try:
            text = self.template.render(localcontext)
        finally:
            ReadingContext.reads = None
        self.renders[path] = (reads, self.inputs(reads, localcontext), named_files(text, path, self.root, self.root_url), text)
        return text


def named_files(text, page, root, root_url):
    """The files of the site a page names, as paths from the main site's output folder (`root`,
    served at `root_url`: every language's site is in it)."""
    found = set()
    for value in FILE_REFERENCE.findall(text):
        for candidate in value.split(","):
            words = candidate.split()
            address = words[0] if words else ""
            if root_url and address.startswith(root_url + "/"):
                address = address[len(root_url):]
            parts = urlsplit(address)
            if parts.scheme or parts.netloc or not parts.path:
                continue
            path = unquote(parts.path)
            if not path.startswith("/"):
                path = os.path.relpath(os.path.join(os.path.dirname(page), path), root)
            found.add(path.replace(os.sep, "/").lstrip("/"))
    return frozenset(found)


class ResidentBuild:
    """Builds into one output folder, again and again, in this process (see the module's description)."""

    def __init__(self, settings_file, content, output, extra):
        self.settings_file, self.content, self.output = settings_file, Path(content), Path(output)
        self.extra = extra
        self.caches = pipeline.ReaderCaches()
        # Each page's last render, kept across builds, emptied when anything but content changes:
        # output path -> (names it read, digest of their values, files it names, its text).
        self.renders = {}
        self.written = []  # the pages of the last build, in the order Pelican wrote them
        self.search = None  # the background indexing of the last build
        self.generation = 0  # builds started

    def build(self, changed=()):
        """Build after the saves of `changed` (paths); raise pipeline.Failed on any problem."""
        self.generation += 1  # the indexing of an earlier build, if still running, gives up
        if not changed or any(Path(path).suffix != ".md" or self.content not in Path(path).parents for path in changed):
            self.renders.clear()
        started = time.time() - SETTLE_SECONDS
        self.written = []
        try:
            pipeline.run(self.settings_file, self.content, self.output, self.extra, capture=True,
                         caches=self.caches, search=False, during=self.remembering)
        except pipeline.Failed:
            self.renders.clear()  # a page's last render may not have been written
            raise
        self.remove_unused(started)

    @contextlib.contextmanager
    def remembering(self, settings):
        """Pelican's writers, for this build, give a page's last text when its inputs are unchanged."""
        digests, renders = Digests(), self.renders
        root, root_url = str(self.output.resolve()), settings["SITEURL"]

        class RememberingWriter(Writer):
            def write_file(self, name, template, context, *args, **kwargs):
                remembered = RememberedTemplate(template, renders, digests, root, root_url)
                return super().write_file(name, remembered, context, *args, **kwargs)

        # Signals hold their receivers weakly: these live as long as the build.
        def writer(pelican):
            return RememberingWriter

        def use_reading_context(generator):
            generator.env.context_class = ReadingContext

        def note(path, context=None):
            self.written.append(path)

        with (pipeline.connected(pelican_signals.get_writer, writer),
              pipeline.connected(pelican_signals.generator_init, use_reading_context),
              pipeline.connected(pelican_signals.content_written, note)):
            yield

    def remove_unused(self, started):
        """Delete what this build did not write: pages no more, and files that no page names."""
        written = {os.path.abspath(path) for path in self.written}
        for gone in set(self.renders) - written:
            del self.renders[gone]  # a page no more, whose files are no longer needed for it
        named = set().union(*(files for _, _, files, _ in self.renders.values()))
        for folder, _, files in os.walk(self.output, topdown=False):
            top = Path(folder).relative_to(self.output).parts[:1]
            if top and (top[0] == "pagefind" or top[0].startswith(PARTIAL_INDEX)):
                continue  # search's, indexed in the background
            for name in files:
                path = os.path.join(folder, name)
                # The change time, not the modification time: a copy may keep its source's.
                if path in written or os.stat(path).st_ctime >= started:
                    continue
                if name.endswith(".html") or os.path.relpath(path, self.output).replace(os.sep, "/") not in named:
                    os.remove(path)
            if not os.listdir(folder) and Path(folder) != self.output:
                os.rmdir(folder)

    def update_search(self):
        """Index every page for search, in the background, as a clean build would."""
        pages = [path for path in self.written if path.endswith(".html")]
        generation = self.generation

        def still_current():
            return self.generation == generation

        self.search = threading.Thread(target=index_pages, args=(self.output, pages, still_current), daemon=True)
        self.search.start()

    def wait_for_search(self):
        if self.search:
            self.search.join()


SWAPPING = threading.Lock()  # one index at a time replaces the last


def index_pages(output, pages, still_current):
    """Index `pages` into output/pagefind, replacing the last index at once when the new one is
    whole; given up as soon as a newer build has begun (still_current() is false): the pages it
    would read are being written again."""
    fresh = Path(tempfile.mkdtemp(prefix=PARTIAL_INDEX, dir=output))
    try:
        with contextlib.closing(pipeline.SearchIndex(output)) as index:
            for page in pages:
                if not still_current():
                    return
                index.add(page)
            index.write(fresh)
        with SWAPPING:
            if not still_current():
                return
            current, old = output / "pagefind", fresh.with_name(fresh.name + "-old")
            if current.exists():
                current.rename(old)
            fresh.rename(current)
            shutil.rmtree(old)
    except FileNotFoundError:
        pass  # a page deleted by a newer build: this index is out of date
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


# Saves that a running process cannot take: new code (plugins, settings), and new catalogs (gettext
# keeps the translations it has read for the life of the process).
RESTART_FOR = (".py", ".po")


class Worker:
    """A ResidentBuild in a process of its own, for `invoke livereload`, started again after a save
    of RESTART_FOR."""

    def __init__(self, settings_file, content, output, extra):
        self.arguments = (settings_file, content, output)
        self.extra = extra  # a function: the settings to add, worked out again at each start
        self.process = self.connection = None

    def build(self, changed):
        """Build after the saves of `changed`; None once built, or the build's messages if it failed."""
        if self.process and any(Path(path).suffix in RESTART_FOR for path in changed):
            self.stop()
        if not self.process:
            context = multiprocessing.get_context("spawn")
            self.connection, theirs = context.Pipe()
            self.process = context.Process(target=serve_builds, args=(theirs, *self.arguments, self.extra()), daemon=True)
            self.process.start()
        self.connection.send(sorted(str(path) for path in changed))
        try:
            return self.connection.recv()
        except EOFError:
            self.stop()
            return "The build's process stopped; the next save starts another."

    def stop(self):
        self.process.terminate()
        self.process.join()
        self.process = self.connection = None


def serve_builds(connection, settings_file, content, output, extra):
    """The worker's loop: build on each list of saved paths, answer, then index search meanwhile."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which ends this process
    resident = ResidentBuild(settings_file, content, output, extra)
    while True:
        try:
            changed = connection.recv()
        except EOFError:
            return
        try:
            resident.build(changed)
        except pipeline.Failed as failure:
            connection.send(failure.log)
            continue
        connection.send(None)
        resident.update_search()
