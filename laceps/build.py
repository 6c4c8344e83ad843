"""The site's build, in this process: Pelican with every warning fatal, both languages from one
reading of the content, and the search index fed each page as Pelican writes it.

What it saves over running Pelican's and Pagefind's commands one after the other (which write
the same bytes: tests/test_build_identity.py): a second Python start-up that imports Pelican;
the Spanish pass reading and parsing every file again (pelican-i18n-subsites gives each language
its own content cache: here the languages share one, in memory); and a separate indexing pass
(Pagefind indexes on the other core while Pelican renders).
"""

import asyncio
import base64
import collections
import contextlib
import dataclasses
import functools
import io
import json
import logging
import os
import re
import sys
import threading
import traceback
import types
from pathlib import Path

from jinja2 import FileSystemBytecodeCache
from pagefind.service import PagefindService
from pelican import Pelican, signals
from pelican.log import FatalLogger, LimitFilter
from pelican.plugins.i18n_subsites import i18n_subsites
from pelican.settings import read_settings

from laceps import cache_files, memo, parallel, subsite_writing, warm
from laceps.translations import compile_catalogs

SETTINGS_MODULES = ("pelicanconf", "publishconf")
# Sends of pages to Pagefind not yet indexed: more would only wait in memory (65 MB at 5,000 items).
IN_FLIGHT = 32
PAGES_PER_SEND = 16  # pages sent to Pagefind in one write (PromptPagefindService.add_pages)
SEARCH_RECORD = "search-record.pickle"  # in the cache folder: the last index's pages in order, and its files (LastSearch)
STAMPS = "file-digests.pickle"  # in the cache folder (ReaderCaches)
HTML_TAG = re.compile(r"<html\b[^>]*>")
LANG = re.compile(r"""\slang\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
UNKNOWN_LANGUAGE = "unknown"  # Pagefind's language of a page without one
ONE_INDEX = ""  # SearchIndex.indexes' key when every language is in one index
ENTRY = "pagefind-entry.json"  # the file of Pagefind's that lists the languages
TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)


class Failed(Exception):
    """Pelican stopped (a content problem, a warning, an error); `log` holds what it printed."""

    def __init__(self, log):
        super().__init__("the build failed")
        self.log = log


def settings_for(settings_file, content, output, extra):
    """Pelican's settings as its command line reads them, from a fresh run of the settings files."""
    for name in SETTINGS_MODULES:
        # publishconf imports pelicanconf: a copy left from an earlier build would hand this one
        # objects that build changed (pelican-i18n-subsites fills in I18N_SUBSITES' dicts).
        sys.modules.pop(name, None)
    override = {"PATH": str(Path(content).resolve()), "OUTPUT_PATH": str(Path(output).resolve()), **extra}
    settings = read_settings(str(settings_file), override=override)
    # Each template compiled once, not once per language and build: Jinja keeps the code of each in
    # the cache folder, checked against the template's source.
    templates = Path(settings["CACHE_PATH"]) / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    settings["JINJA_ENVIRONMENT"] = {**settings["JINJA_ENVIRONMENT"], "bytecode_cache": FileSystemBytecodeCache(str(templates))}
    for overrides in settings["I18N_SUBSITES"].values():
        # Every language reads through the main site's content cache (see ReaderCaches).
        overrides.update(CACHE_PATH=settings["CACHE_PATH"], LOAD_CONTENT_CACHE=False, CACHE_CONTENT=False)
        overrides["PELICAN_CLASS"] = subsite_writing.Subsite  # Pelican, whose writing a warm build forks
    return settings


class ReaderCaches:
    """One content cache per kind of content for every language's pass: the main site loads it
    from disk (unless the build has none) and fills it; each language's site then reads the same
    parsed files from memory. The cache is saved whole or not at all (`save_whole`).

    Pelican knows a cached file by a digest of its bytes (CHECK_MODIFIED_METHOD), which it works
    out by reading the file each time it asks (four times a file in a build): here each file's digest
    is kept with its status (`stamp`), in the cache folder, and read again only once that changes;
    the status is taken once a build, when first asked (before the file is read). Its generators,
    whose own cache is off (CONTENT_CACHING_LAYER is "reader"), work out the same digest four times
    more, for nothing: they get none (`unstamped`)."""

    def __init__(self):
        self.by_path = {}
        self.stamps = None  # path -> (its status, its digest), loaded from `stamps_file` on first use
        self.stamps_file = None
        self.stamped = {}  # path -> its digest, for the paths this build asked about
        self.restamped = False  # whether any digest was worked out again since the last save

    def share(self, generator):
        readers = generator.readers
        if not hasattr(readers, "_cache_path"):
            return  # the static files' readers
        if readers._filestamp_func not in (None, os.path.getmtime):
            if self.stamps is None:
                if readers._cache_data_policy:
                    self.stamps_file = Path(readers.settings["CACHE_PATH"]) / STAMPS
                self.stamps = cache_files.load(self.stamps_file) if self.stamps_file else {}
            readers._filestamp_func = functools.partial(self.stamp, readers._filestamp_func)
        if not readers._cache_data_policy:
            # A build without a content cache (CACHE_CONTENT off: publishing) keeps it in memory only.
            readers._cache_data_policy = True
            readers.save_cache = lambda: None
        else:
            readers.save_cache = types.MethodType(save_whole, readers)
        readers._cache = self.by_path.setdefault(readers._cache_path, readers._cache)
        parallel.read_ahead(generator)  # what the cache lacks, read on every core

    def stamp(self, digest_of, path):
        found = self.stamped.get(path)
        if found is None:
            now = cache_files.status(path)
            known = self.stamps.get(path)
            if known is None or known[0] != now:
                known = self.stamps[path] = (now, digest_of(path))
                self.restamped = True
            found = self.stamped[path] = known[1]
        return found

    @contextlib.contextmanager
    def shared(self):
        self.stamped = {}  # (emptied here: the last build may have stopped midway)
        with contextlib.ExitStack() as receivers:
            for signal, receiver in [(signals.generator_init, self.share), (signals.article_generator_init, unstamped),
                                     (signals.page_generator_init, unstamped)]:
                receivers.enter_context(connected(signal, receiver))
            yield
        if self.stamps_file and self.restamped:  # after a build that ran to its end (not one stopped)
            self.stamps = {path: self.stamps[path] for path in self.stamped}  # files still read
            cache_files.save(self.stamps_file, self.stamps)
            self.restamped = False


def unstamped(generator):
    """At a content generator's start (once its own cache is set up): no stamps for a cache that
    keeps nothing (it never compares one)."""
    if not generator._cache_data_policy and not generator._cache:
        generator._filestamp_func = lambda path: b""


def save_whole(cache):
    """Pelican's FileDataCacher.save_cache, saved whole or not at all (Pelican cannot load half of one)."""
    cache_files.save(cache._cache_path, cache._cache, opener=cache._cache_open)


class PromptPagefindService(PagefindService):
    """Pagefind's service, its answers read as they come. The library's own reader (pagefind 1.5.2)
    sleeps a tenth of a second before each answer (1,000 pages took 100 s instead of 2), and reads
    at most 2 MiB at a time, less than the whole index that `get_files` answers with."""

    async def _wait_for_responses(self):
        self.received = bytearray()
        while chunk := await self._backend.stdout.read(1 << 20):
            start = len(self.received)
            self.received += chunk
            while (end := self.received.find(b",", start)) >= 0:
                self.answer(self.first_message(end))
                start = 0

    def first_message(self, end):
        """The message that ends at `end`, taken out of what has come. The index's files come in one
        message (tens of MB at 5,000 pages): it is decoded without a copy, and what held it is let go
        before its JSON is read: a third less memory for it (at 5,000 pages, 56 MB more than the build's
        own instead of 85)."""
        with memoryview(self.received) as whole:
            message = base64.b64decode(whole[:end])
            self.received = bytearray(whole[end + 1:])
        return json.loads(message)

    def answer(self, response):
        payload = response["payload"]
        # An answer to a message the service could not read names it in original_message.
        message_id = response.get("message_id") or json.loads(payload.get("original_message") or "{}").get("message_id")
        future = self._responses.pop(message_id, None)  # each answered once: kept, thousands would pile up
        if future is None or future.done():
            return
        if payload["type"] == "Error":
            future.set_exception(RuntimeError(f"Pagefind: {payload['message']}"))
        else:
            future.set_result(payload)

    async def add_pages(self, index_id, pages):
        """Add each (path from the site's folder, HTML) to the index, in order, as the library's
        add_html_file does one at a time, with one write for them all: the library's coroutine for
        each page (and its debug messages, made whether shown or not) was half of the Python time of
        giving Pagefind a page, all of it taken from the build's own process (0.64 s for 1,222
        pages against 0.32 s sent 16 at a time)."""
        answers, messages = [], []
        for relative, page in pages:
            self._message_id += 1
            answer = self._responses[self._message_id] = self._loop.create_future()
            answers.append(answer)
            payload = {"type": "AddFile", "index_id": index_id, "url": None, "file_contents": page, "file_path": relative}
            messages.append(base64.b64encode(json.dumps({"message_id": self._message_id, "payload": payload}).encode()) + b",")
        self._backend.stdin.write(b"".join(messages))
        await self._backend.stdin.drain()
        await asyncio.gather(*answers)

    async def close(self):
        self._backend.stdin.close()  # the service stops once its input ends
        await self._backend.wait()
        self._poll_task.cancel()


def searchable(page):
    """What Pagefind reads of a page: its language and title, and its <main> (data-pagefind-body),
    in the body as it opens. The rest (the head's other tags, the header, the footer: half of a page)
    is left out, and Pagefind makes the same index a third quicker (tests/test_build_identity.py
    compares it with `pagefind --site` on whole pages). A page that has any other data-pagefind
    attribute, or no <main>, goes whole."""
    main, body, end = page.find("<main"), page.find("<body"), page.rfind("</main>")
    html, title = HTML_TAG.search(page), TITLE.search(page)
    if min(main, body, end) < 0 or not html or main < body:
        return page
    opened = page.index(">", body) + 1
    if "data-pagefind" in page[:body] or "data-pagefind" in page[opened:main] or "data-pagefind" in page[end:]:
        return page
    return f"<!doctype html>{html[0]}<head>{title[0] if title else ''}</head>{page[body:opened]}{page[main:end]}</main></body></html>"


class SearchIndex:
    """Pagefind's index, through its Python API: each HTML page `add`ed is indexed meanwhile by
    Pagefind's own process (the build adds each as Pelican writes it); `write` adds the index to the
    site. Pages count in the order they are added.

    last: the last output's folder, set aside by a warm build (laceps.warm), and its pages in the
    order they were added (`added`, saved by the last build). Pagefind's service indexes one page at
    a time, as long as a core's whole work on the pages Pelican writes: so the last output's pages
    are given to it first, in their last order, while Pelican reads. A page then written in the same
    place of the order is the one given when it is the same file (a warm build links the unchanged
    ones from the last output), and is given again when not: Pagefind replaces a page of the same
    address where it stands. At the first page out of that order, or when fewer pages come, the
    index starts again from the pages written. So the index is always the one of the pages in the
    order they were written. A language none of whose pages was given again has the same pages as
    the last build, in the same order: its index is the last one, taken from the last output
    (`last_answers`) instead of made again.

    Each language has a service and an index of its own: Pagefind builds a language's index apart
    from the others' (the same files), one language after the other and on one core, and building
    the index is the longest part of a warm build. Apart, the languages' indexes are built at once.
    A page without a language (Pagefind counts it in the language of most pages) makes one index of
    every page, as Pagefind does."""

    def __init__(self, output, last=None):
        self.output = Path(output).resolve()
        self.last = last  # a LastSearch
        self.root = f"{self.output}{os.sep}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.indexes = {}  # a language, as Pagefind reads it (or ONE_INDEX) -> (its service, its index)
        self.opening = threading.Lock()  # the build's thread and AheadPages' both give pages
        self.pending = collections.deque()
        self.added = []  # the pages' paths from the site's folder, in the order added
        self.unsent = []  # pages added, not yet sent: (path from the site's folder, HTML)
        self.held = None  # while a list: the pages added, waiting there (laceps.subsite_writing)
        self.changed = set()  # the languages of the last output's pages given again (changed)
        self.made = {}  # each index's files, as `write` made them (LastSearch.indexes)
        self.ahead = AheadPages(self, last.folder, last.order) if last else None

    async def open_index(self):
        service = await PromptPagefindService().launch()  # made in the loop: it keeps the running one
        return service, await service.create_index()

    def index_of(self, lang):
        """The (service, index) of the pages of `lang`, opened when its first page comes."""
        with self.opening:
            if ONE_INDEX in self.indexes:
                lang = ONE_INDEX
            if lang not in self.indexes:
                self.indexes[lang] = self.wait(self.open_index())
            return self.indexes[lang]

    def services(self):
        return [service for service, _ in self.indexes.values()]

    def wait(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def give(self, pages, pending):
        """Send the searchable parts of pages, [(path from the site's folder, HTML)], to Pagefind, with
        at most IN_FLIGHT sends in `pending` unanswered."""
        if len(pending) >= IN_FLIGHT:
            pending.popleft().result()
        by_language = {}
        for relative, page in pages:
            part = searchable(page)
            by_language.setdefault(language(part), []).append((relative, part))
        for lang, searchables in by_language.items():
            service, index = self.index_of(lang)
            # The library's own number for the index: the pages go in messages of ours (add_pages).
            pending.append(asyncio.run_coroutine_threadsafe(service.add_pages(index._index_id, searchables), self.loop))

    def add(self, path, context=None):
        if not path.endswith(".html"):
            return
        if self.held is not None:
            return self.held.append(path)
        relative, place = self.relative(path), len(self.added)
        self.added.append(relative)
        if self.ahead:
            if self.ahead.at(place) != relative:
                return self.start_again()
            if self.ahead.holds(place, path):
                return
        text = Path(path).read_text(encoding="utf-8")
        if self.ahead:
            if warm.same_bytes(self.ahead.folder / relative, text.encode("utf-8")):
                return  # written again, the same: Pagefind has it
            lang = language(text)
            if lang != self.ahead.languages[place]:
                return self.start_again()  # Pagefind would keep it in its last language's index too
            self.changed.add(lang)
        self.unsent.append((relative, text))
        if len(self.unsent) == PAGES_PER_SEND:
            self.send_unsent()

    def send_unsent(self):
        if self.unsent:
            self.give(self.unsent, self.pending)
            self.unsent = []

    def start_again(self, one_index=False):
        """A new index of the pages added so far, in their order: the last output's order was not kept
        (or, one_index: every language in one index, as Pagefind makes it for a page without one)."""
        if self.ahead:
            self.ahead.stop()
        self.ahead, self.unsent = None, []  # all added are sent again below
        for added in self.pending:
            added.result()
        indexes, self.indexes = self.indexes, {}
        for service, index in indexes.values():
            self.wait(index.delete_index())
        if one_index:
            first, *others = [service for service, _ in indexes.values()]
            self.indexes[ONE_INDEX] = (first, self.wait(first.create_index()))
            for service in others:
                self.wait(service.close())
        else:
            self.indexes = {lang: (service, self.wait(service.create_index())) for lang, (service, _) in indexes.items()}
        for start in range(0, len(self.added), PAGES_PER_SEND):
            batch = self.added[start:start + PAGES_PER_SEND]
            self.give([(relative, (self.output / relative).read_text(encoding="utf-8")) for relative in batch], self.pending)

    def relative(self, path):
        """`path` from the site's folder, as Pagefind names pages. Pelican writes inside OUTPUT_PATH,
        which the build resolves: most paths need no look-ups on disk (a third of the time of `add`)."""
        inside = os.path.abspath(path)
        if not inside.startswith(self.root):
            inside = str(Path(path).resolve())
        return Path(inside).relative_to(self.output).as_posix()

    def write(self, folder=None, meanwhile=None, last=None):
        """Write the index into `folder` (the site's pagefind/), calling `meanwhile()` while Pagefind
        makes it; a file that the folder of the last index (`last`) holds the same (most fragments,
        after an edit) is linked from there (laceps.warm.put). The files come in the answer: the
        service's own writing goes on after it answers, so a file read then may be half written."""
        if self.ahead and self.ahead.given() > len(self.added):  # pages of the last output not written again
            self.start_again()
        if self.ahead:
            self.ahead.stop()
        self.send_unsent()
        if UNKNOWN_LANGUAGE in self.indexes and len(self.indexes) > 1:
            self.start_again(one_index=True)
        for added in self.pending:
            added.result()
        if not self.indexes:
            self.index_of(ONE_INDEX)  # a site without pages still gets Pagefind's files
        kept = self.last_answers()
        answers = {key: kept.get(key) or asyncio.run_coroutine_threadsafe(index.get_files(), self.loop) for key, (_, index) in self.indexes.items()}
        if meanwhile:
            meanwhile()
        answers = {key: answer if key in kept else answer.result() for key, answer in answers.items()}
        folder = Path(folder or self.output / "pagefind")
        for name, content in merged(answers.values()).items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            warm.put(path, content, last and Path(last, name))
        # A kept index is the last one: its record stands (its files' digests were just checked).
        self.made = {key: self.last.indexes[key] if key in kept else made_index(answer) for key, answer in answers.items()}

    def last_answers(self):
        """{index: Pagefind's last answer} for the indexes whose pages are all the last build's, in
        the same order (none given again, none out of the order): the same pages make the same files,
        which the last output holds. Only files still as they were written are taken."""
        if not self.ahead or ONE_INDEX in self.indexes and self.changed:
            return {}
        answers = {}
        for key in self.indexes.keys() - self.changed:
            made = self.last.indexes.get(key)
            answer = made and made.answer(self.last.folder / "pagefind")
            if answer is not None:
                answers[key] = answer
        return answers

    def record(self):
        return {"order": self.added, "indexes": self.made}

    def close(self):
        if self.ahead:
            self.ahead.stop()
        for service in self.services():
            self.wait(service.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def language(page):
    """A page's language as Pagefind reads it: its <html lang>, in lower case, or UNKNOWN_LANGUAGE."""
    html = HTML_TAG.search(page)
    found = html and LANG.search(html[0])
    value = found and next(group for group in found.groups() if group is not None)
    return value.lower() if value else UNKNOWN_LANGUAGE


def merged(answers):
    """The files of the site's search, {name: bytes}, from each index's answer to get_files. Each
    language's files are its own; the files every index writes are the same bytes, except the entry,
    which lists the languages: it lists all of them."""
    files, languages, entry = {}, {}, None
    for answer in answers:
        for file in answer:
            name, content = file["path"], file["content"]
            if name == ENTRY:
                entry = json.loads(content)
                if entry["languages"].keys() & languages.keys():  # one language in two indexes: never apart
                    raise RuntimeError(f"Pagefind: a language in two indexes ({', '.join(entry['languages'])})")
                languages.update(entry["languages"])
            elif files.setdefault(name, content) != content:
                raise RuntimeError(f"Pagefind: two languages' indexes differ on {name}")
    if entry is not None:
        # Pagefind lists the languages in a random order: sorted, an unchanged site rebuilds byte for byte.
        files[ENTRY] = json.dumps({**entry, "languages": languages}, sort_keys=True, ensure_ascii=False).encode()
    return files


@dataclasses.dataclass
class MadeIndex:
    """The files of one index of a build (one language's, or every language's), as they came from
    Pagefind: the entry as its index's own answer had it (`merged` makes the site's of all answers)."""

    files: dict  # name -> a digest of its bytes (laceps.cache_files.digest)
    entry: bytes | None

    def answer(self, folder):
        """What Pagefind answered, from its files in `folder`; None when one is not as written (a
        digest, not a file's identity: CI restores the last output, as new files)."""
        answer = [{"path": ENTRY, "content": self.entry}] if self.entry is not None else []
        for name, digest in self.files.items():
            try:
                content = (folder / name).read_bytes()
            except OSError:
                return None
            if cache_files.digest(content) != digest:
                return None
            answer.append({"path": name, "content": content})
        return answer


def made_index(answer):
    """The MadeIndex of Pagefind's answer for one index."""
    entry = next((file["content"] for file in answer if file["path"] == ENTRY), None)
    return MadeIndex({file["path"]: cache_files.digest(file["content"]) for file in answer if file["path"] != ENTRY}, entry)


@dataclasses.dataclass
class LastSearch:
    """The last build's search: its output's folder (set aside by laceps.warm), its pages in the order
    indexed, and its indexes' files (MadeIndex, by SearchIndex.indexes' keys)."""

    folder: Path
    order: list
    indexes: dict


class AheadPages:
    """The last output's pages, given to a SearchIndex in a thread of their own, in their last order."""

    def __init__(self, index, folder, order):
        self.index, self.folder, self.order = index, Path(folder), order
        self.files = []  # the identity of each page's file given so far, in order
        self.languages = []  # and its language (as Pagefind reads it)
        self.progress = threading.Condition()
        self.stopping = self.done = False
        self.error = None  # what stopped the thread, raised in the build's
        self.thread = threading.Thread(target=self.give_all, daemon=True)
        self.thread.start()

    def give_all(self):
        pending, batch, entries = collections.deque(), [], []
        try:
            for relative in self.order:
                if self.stopping:
                    break
                try:
                    with open(self.folder / relative, "rb") as file:
                        entry, page = cache_files.identity(os.fstat(file.fileno())), file.read().decode("utf-8")
                except (OSError, UnicodeDecodeError):
                    break  # a page gone from the last output: the order given so far is all there is
                batch.append((relative, page))
                entries.append((entry, language(page)))
                if len(batch) == PAGES_PER_SEND:
                    self.give(batch, entries, pending)
                    batch, entries = [], []
            if batch:
                self.give(batch, entries, pending)
            for added in pending:
                added.result()
        except Exception as error:  # noqa: BLE001 - Pagefind's: the build's thread raises it
            self.error = error
        finally:
            with self.progress:
                self.done = True
                self.progress.notify_all()

    def give(self, batch, entries, pending):
        self.index.give(batch, pending)
        with self.progress:
            for entry, lang in entries:
                self.files.append(entry)
                self.languages.append(lang)
            self.progress.notify_all()

    def waited(self, condition):
        with self.progress:
            self.progress.wait_for(lambda: condition() or self.done)
        if self.error:
            raise self.error

    def given(self):
        """How many pages were given, once all are."""
        self.waited(lambda: False)
        return len(self.files)

    def at(self, place):
        """The page given at `place` (waiting until it is), or None."""
        self.waited(lambda: len(self.files) > place)
        return self.order[place] if place < len(self.files) else None

    def holds(self, place, path):
        """Whether the file given at `place` is the one at `path` now."""
        try:
            return cache_files.identity(os.stat(path)) == self.files[place]
        except OSError:
            return False

    def stop(self):
        with self.progress:
            self.stopping = True
        self.thread.join()


@contextlib.contextmanager
def pelican_logging(stream):
    """Pelican's logging as `pelican --fatal warnings --log-handler plain` sets it: messages alone,
    to `stream`, and any warning stops the build."""
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = root.level, FatalLogger.fatal_lvl
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    FatalLogger.fatal_lvl = logging.WARNING
    # Pelican shows a message once per process: each build must show its own.
    LimitFilter._raised_messages.clear()
    LimitFilter._group_count.clear()
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.level, FatalLogger.fatal_lvl = saved


@contextlib.contextmanager
def connected(signal, receiver):
    signal.connect(receiver)
    try:
        yield
    finally:
        signal.disconnect(receiver)


def last_output(settings):
    """The LastSearch of the last output, set aside by laceps.warm; or None."""
    former = warm.set_aside(Path(settings["OUTPUT_PATH"]))[0]
    record = cache_files.load(Path(settings["CACHE_PATH"]) / SEARCH_RECORD) if former.is_dir() else None
    return LastSearch(former, record["order"], record["indexes"]) if record else None


def run(settings_file, content, output, extra, capture=False, caches=None, search=True, during=None, meanwhile=None):
    """Build the site, its messages printed as Pelican's command prints them (Pelican's on standard
    output, the content problems on standard error), or with capture, only kept. Raise Failed with
    what was printed on any problem.

    caches: a ReaderCaches kept by the caller across builds (laceps.incremental); search: index
    the pages as they are written; during(settings): a context manager the run happens in;
    meanwhile(settings): called once every page is written, while Pagefind makes the index on its
    own process (the link check: about as long, on the other core).
    """
    compile_catalogs()
    printed = io.StringIO()
    out, err = (printed, printed) if capture else (Tee(sys.stdout, printed), Tee(sys.stderr, printed))
    with pelican_logging(out), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.ExitStack() as stack:
        try:
            settings = settings_for(settings_file, content, output, extra)
            stack.enter_context((caches or ReaderCaches()).shared())
            stack.enter_context(memo.remembering())
            i18n_subsites._MAIN_SETTINGS = None  # a failed build in this process may have left its own
            # A caller's `during` brings its own writer (laceps.incremental); else laceps.warm's,
            # which sets the last output aside first. Search starts before Pelican's plugins load:
            # Pagefind takes the last output's pages meanwhile.
            reuse = None if during else stack.enter_context(warm.reusing(settings_file, settings, extra))
            index = stack.enter_context(contextlib.closing(SearchIndex(settings["OUTPUT_PATH"], last_output(settings)))) if search else None
            pelican = Pelican(settings)
            if during:
                stack.enter_context(during(settings))
            else:
                for signal, receiver in [*reuse.receivers, (signals.article_generator_init, parallel.defer_news),
                                         (signals.article_writer_finalized, parallel.flush)]:
                    stack.enter_context(connected(signal, receiver))
                if reuse.pages is not None and reuse.pages.renders:  # warm: writing is mostly this process's work
                    stack.enter_context(subsite_writing.forking(reuse, index, out, printed))
            with connected(signals.content_written, index.add) if index else contextlib.nullcontext():
                pelican.run()
            after_pages = functools.partial(meanwhile, settings) if meanwhile else None
            if index:
                index.write(meanwhile=after_pages, last=warm.in_last_output(settings["OUTPUT_PATH"], "pagefind"))
                if settings["CACHE_CONTENT"]:
                    cache_files.save(Path(settings["CACHE_PATH"]) / SEARCH_RECORD, index.record())
            elif after_pages:
                after_pages()
        except (Exception, SystemExit) as error:
            if not isinstance(error, SystemExit):
                print(f"{type(error).__name__}: {error}", "".join(traceback.format_exception(error)), sep="\n")
            raise Failed(printed.getvalue()) from error
    return settings


class Tee(io.TextIOBase):
    """Text written to several streams at once."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()
