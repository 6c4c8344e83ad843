"""`invoke livereload`'s resident build: Pelican kept warm, the content in memory, and after a save
only the pages whose inputs changed are rendered again.

How a page is known to be unchanged: by the record of its last render (laceps.render_records),
kept in memory with its text; an unchanged page's file, which holds that render, is left as it
is. After a Markdown save only the saved files are read and made into
contents again: every other file's content is copied from its record of the last build
(ContentRecords), and so are the digests of its fields; then every page's inputs are compared, in
both languages. The item, its page of its section, home and In The News come out changed, the
rest does not. Any other save (templates, data, images, settings) reads and renders everything
again, still warm.

The browser is told as soon as the pages are written. Then, meanwhile, pages that the build no
longer writes, and files no page uses any more (an old share card), are deleted: the output is
what a clean build writes. Search is indexed from every page in the order a clean build writes
them (`update_search`), in the background, once saves pause: a save that comes during an indexing
does not wait for it: the indexing gives up and the next one starts after.
"""

import atexit
import contextlib
import gc
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from pelican import signals as pelican_signals
from pelican.contents import Content
from pelican.generators import CachingGenerator

from laceps import build as pipeline
from laceps import cache_files, checks
from laceps.plugins import images, typography_cache
from laceps.render_records import (ABSENT, NOT_RENDERED, BuildPages, Digests, KeepingWriter, linked_files, remember_templates,
                                   unchanged)

CONTAINERS = (dict, list, set)  # what copied() copies
# Methods of Pelican's (4.12) contents that work their answer out again at every call (6,000 URLs a
# build at 1,000 items), from their arguments, the settings, and these fields only.
REMEMBERED_METHODS = {
    "get_url_setting": ("override_url", "override_save_as", "metadata", "source_path", "slug", "lang", "date",
                        "author", "category", "_status", "in_default_lang"),
    "get_relative_source_path": ("source_path",),
    "get_static_links": ("_content", "source_path"),
}
PARTIAL_INDEX = ".pagefind-"  # the folder a background indexing writes before it replaces pagefind/
SETTLE_SECONDS = 0.05  # a file's change time may trail the clock by a few milliseconds
# What the project's plugins note down while a content is made, besides the content itself: the
# sized copies of the photos it shows (laceps.plugins.images, written when the site is done), and
# its typogrified texts (laceps.plugins.typography_cache, saved for the next start). A content
# copied from its record notes them again. Each a module's dict, of dicts or of values.
NOTEBOOKS = ((images, "published"), (typography_cache, "used"))


class Record:
    """A content as its generator made it from its file, before the build sorted, linked and changed
    it, with the notes its making took (NOTEBOOKS)."""

    def __init__(self, stamp, content, notes):
        self.stamp, self.kind, self.notes = stamp, type(content), notes
        self.fields = copied({name: value for name, value in vars(content).items() if name not in NOT_RENDERED})
        self.digests = {}  # field -> digest of the record's value, as Digests computes a content's
        self.linked = None  # linked_files of its text
        self.answers = {}  # (method, arguments) -> a REMEMBERED_METHODS' answer for a content as recorded

    def content(self, settings, context):
        """A content equal to the one the generator would make again from the same file."""
        content = self.kind.__new__(self.kind)
        vars(content).update(copied(self.fields), settings=settings, _context=context)
        for (module, name), notes in zip(NOTEBOOKS, self.notes):
            merge(getattr(module, name), notes)
        return content

    def holds(self, name, value):
        """True when a content's field is still what the record gave it."""
        return name in self.fields and unchanged(value, self.fields[name])

    def links(self, content):
        """linked_files(content), once for as long as its text and place are the record's."""
        if not (self.holds("_content", content._content) and self.holds("source_path", content.source_path)):
            return linked_files(content)
        if self.linked is None:
            self.linked = linked_files(content)
        return self.linked

    def answer(self, method, fields, content, arguments, work_out):
        """What a content's `method` answers to `arguments` (positional, then named), worked out
        once for as long as the fields it answers from are the record's."""
        positional, named = arguments
        now = vars(content)
        for name in fields:
            value, recorded = now.get(name, ABSENT), self.fields.get(name, ABSENT)
            if value is not recorded and not unchanged(value, recorded):
                return work_out(content, *positional, **named)
        key = (method, positional, tuple(sorted(named.items())))
        if key not in self.answers:
            self.answers[key] = work_out(content, *positional, **named)
        return copied(self.answers[key])

    def digest(self, name, digests):
        if name not in self.digests:
            self.digests[name] = digests.of(self.fields[name], nested=True)
        return self.digests[name]


def copied(value):
    """Dicts, lists and sets copied all the way down, anything else shared: what a build changes in
    place (a content's metadata, its translations) it changes in its own copy."""
    kind = type(value)
    if kind is dict:
        return {name: copied(field) if type(field) in CONTAINERS else field for name, field in value.items()}
    if kind is list:
        return [copied(field) if type(field) in CONTAINERS else field for field in value]
    if kind is set:
        return set(value)
    return value


def merge(into, notes):
    for key, value in notes.items():
        if isinstance(value, dict):
            merge(into.setdefault(key, {}), value)
        else:
            into[key] = value


class Notes(dict):
    """A notebook's entries made while one content is made. An entry the notebook holds already,
    which the plugin looks up (`in`) rather than making it again, is the content's note too."""

    def __init__(self, book):
        super().__init__()
        self.book = book

    def __contains__(self, key):
        if not dict.__contains__(self, key) and key in self.book:
            self[key] = self.book[key]
        return dict.__contains__(self, key)


@contextlib.contextmanager
def noted(notes):
    """The NOTEBOOKS' entries made meanwhile, also listed in `notes` (one dict per notebook)."""
    books = [getattr(module, name) for module, name in NOTEBOOKS]
    notes[:] = [Notes(book) for book in books]
    for (module, name), fresh in zip(NOTEBOOKS, notes):
        setattr(module, name, fresh)
    try:
        yield
    finally:
        for (module, name), book, fresh in zip(NOTEBOOKS, books, notes):
            setattr(module, name, book)
            merge(book, fresh)
        notes[:] = [dict(fresh) for fresh in notes]


class ContentRecords:
    """Each generator's contents (pages, news items) kept from one build to the next: the file of
    one unchanged since is not read and made into a content again (its metadata processed, its URL
    worked out, the plugins' per-content work done) but copied from its record; what a build does
    with its contents afterwards (translations, lists, sections, links) it does as ever. Pelican's
    generator-level content cache, in memory."""

    def __init__(self):
        self.records = {}  # (generator's kind, site's language, file's absolute path) -> Record
        self.used = set()  # the keys this build read or made
        self.origins = {}  # id of a content this build copied or recorded -> (the content, its record)

    def origin(self, content):
        """The record `content` was copied from, or made from, in this build, if any."""
        found = self.origins.get(id(content))
        return found[1] if found and found[0] is content else None

    def forget(self, paths=None):
        """Before a build, or after one that failed: drop the records of `paths`, or all of them."""
        if paths is None:
            self.records.clear()
        for path in paths or ():
            for key in [key for key in self.records if key[2] == os.path.abspath(path)]:
                del self.records[key]
        self.used, self.origins = set(), {}

    def keep_only_used(self):
        """After a build: files no longer there, or no longer read, lose their records."""
        self.records = {key: record for key, record in self.records.items() if key in self.used}
        self.used, self.origins = set(), {}

    @contextlib.contextmanager
    def remembering_answers(self):
        """Meanwhile, a content with a record takes the answers of REMEMBERED_METHODS from it."""
        originals = {method: getattr(Content, method) for method in REMEMBERED_METHODS}

        def remembering(method, fields, work_out):
            def answer(content, *positional, **named):
                record = self.origin(content)
                if record is None:
                    return work_out(content, *positional, **named)
                return record.answer(method, fields, content, (positional, named), work_out)
            return answer

        for method, fields in REMEMBERED_METHODS.items():
            setattr(Content, method, remembering(method, fields, originals[method]))
        try:
            yield
        finally:
            for method, work_out in originals.items():
                setattr(Content, method, work_out)

    def attach(self, generator):
        """For generator_init: the generator asks these records before reading a file (its
        generator-level cache, which the settings leave off), and gives them what it made."""
        if not isinstance(generator, CachingGenerator) or not generator.settings["WITH_FUTURE_DATES"]:
            # Static files; or, with WITH_FUTURE_DATES off, news items that Pelican makes drafts of
            # by the clock as it reads them (its own generator-level cache warns of the same).
            return
        lang, read_file = generator.settings["DEFAULT_LANG"], generator.readers.read_file
        notes_of = {}  # path -> what making its content noted

        def key(filename):
            return type(generator).__name__, lang, os.path.abspath(os.path.join(generator.path, filename))

        def get_cached_data(filename, default=None):
            found = key(filename)
            record = self.records.get(found)
            if record is None or record.stamp is None or record.stamp != stamp(found[2]):
                return default
            self.used.add(found)
            content = record.content(generator.settings, generator.context)
            self.origins[id(content)] = (content, record)
            return content

        def noting_read_file(base_path, path, *args, **kwargs):
            notes = notes_of[os.path.abspath(os.path.join(base_path, path))] = []
            with noted(notes):
                return read_file(base_path, path, *args, **kwargs)

        def cache_data(filename, content):
            made = key(filename)
            self.used.add(made)
            record = self.records[made] = Record(stamp(made[2]), content, notes_of.pop(made[2]))
            self.origins[id(content)] = (content, record)  # as if copied from it: the record learns its answers and digests now

        generator.get_cached_data, generator.cache_data = get_cached_data, cache_data
        generator.readers.read_file = noting_read_file


def stamp(path):
    try:
        return cache_files.status(path)
    except OSError:
        return None  # gone meanwhile: read it, and let the reader say so


class ResidentBuild:
    """Builds into one output folder, again and again, in this process (see the module's description)."""

    def __init__(self, settings_file, content, output, extra):
        self.settings_file, self.content, self.output = settings_file, Path(content), Path(output).resolve()
        self.extra = extra
        checks.MEMORY.enabled = True  # each file's own checks kept until it changes: this process checks again and again
        self.caches = pipeline.ReaderCaches()
        self.contents = ContentRecords()
        # Each page's last render, kept across builds, emptied when anything but content changes:
        # output path -> (names it read, digest of their values, files it names, its text).
        self.renders = {}
        self.written = []  # the pages of the last build, in the order Pelican wrote them
        self.started = None  # when the last build began
        self.unsaved = []  # the content caches' saves, which only the next start needs
        self.search = None  # the background indexing of the last build
        self.generation = 0  # builds started

    def build(self, changed=()):
        """Write the pages after the saves of `changed` (paths); raise pipeline.Failed on any
        problem. What the browser need not wait for is left to `finish`."""
        self.generation += 1  # the indexing of an earlier build, if still running, gives up
        if not changed or any(Path(path).suffix != ".md" or self.content not in Path(path).parents for path in changed):
            self.renders.clear()
            self.contents.forget()
        self.contents.forget(changed)
        for cache in self.caches.by_path.values():
            for path in changed:
                cache.pop(os.path.abspath(path), None)  # a save within the file's last modification time is still read again
        for memo in (Content.get_content, Content.get_summary):
            memo.cache.clear()  # Pelican's, per content: the last build's contents are not asked again
        self.started = time.time() - SETTLE_SECONDS
        self.written, self.unsaved = [], []
        try:
            pipeline.run(self.settings_file, self.content, self.output, self.extra, capture=True,
                         caches=self.caches, search=False, during=self.remembering)
        except pipeline.Failed:
            self.contents.forget(())  # the records still tell their files, and each page's file its last render
            raise
        self.contents.keep_only_used()

    def finish(self):
        """After a build, while the browser shows it: tidy up, and index search in the background."""
        self.tidy()
        self.update_search()

    def tidy(self):
        """Save the content cache for the next start, and delete what the last build did not write."""
        while self.unsaved:
            pipeline.save_whole(self.unsaved.pop())
        self.remove_unused()

    @contextlib.contextmanager
    def remembering(self, settings):
        """Pelican's generators, for this build, copy the contents of unchanged files from their
        records, and its writers give a page's last text when its inputs are unchanged, leaving its
        file as it is."""
        pages = BuildPages(self.renders, Digests(self.contents.origin), str(self.output), settings["SITEURL"])

        writer_class = type("RememberingWriter", (KeepingWriter,), {"pages": pages})

        # Signals hold their receivers weakly: these live as long as the build.
        def writer(pelican):
            return writer_class

        def prepare(generator):
            readers = generator.readers
            if getattr(readers.save_cache, "__func__", None) is pipeline.save_whole:  # the one that writes
                readers.save_cache = lambda: self.unsaved.append(readers)
            remember_templates(generator)
            self.contents.attach(generator)

        def note(path, context=None):
            self.written.append(path)
            pages.written(os.path.abspath(path))

        with (pipeline.connected(pelican_signals.get_writer, writer),
              pipeline.connected(pelican_signals.generator_init, prepare),
              pipeline.connected(pelican_signals.content_written, note),
              self.contents.remembering_answers()):
            yield

    def remove_unused(self):
        """Delete what the last build did not write: pages no more, and files that no page names."""
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
                if path in written or os.stat(path).st_ctime >= self.started:
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
            index.write(fresh, last=output / "pagefind")
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
# Indexing search takes longer than a build (10 s at 1,000 news items), and a build meanwhile
# shares the processor with it: the worker indexes once saves pause this long.
SEARCH_AFTER_QUIET_SECONDS = 2


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
            # Not a daemon: the build forks workers of its own (laceps.parallel). Stopped before
            # multiprocessing, at exit, waits for it.
            self.process = context.Process(target=serve_builds, args=(theirs, *self.arguments, self.extra()))
            self.process.start()
            atexit.register(self.stop)
        self.connection.send(sorted(str(path) for path in changed))
        try:
            return self.connection.recv()
        except EOFError:
            self.stop()
            return "The build's process stopped; the next save starts another."

    def stop(self):
        if self.process:
            atexit.unregister(self.stop)
            self.process.terminate()
            self.process.join()
            self.process = self.connection = None


def serve_builds(connection, settings_file, content, output, extra):
    """The worker's loop: build on each list of saved paths, answer, tidy up, and index search
    once no save has come for SEARCH_AFTER_QUIET_SECONDS. Python's cyclic garbage collector waits
    for the answer: during a build, its collections look through everything the build made and
    keeps (0.15 s of a build at 1,000 items); after it, one collection takes what the build left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which ends this process
    gc.disable()
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
            gc.collect()
            continue
        connection.send(None)
        resident.tidy()
        gc.collect()
        if not connection.poll(SEARCH_AFTER_QUIET_SECONDS):
            resident.update_search()
