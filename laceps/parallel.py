"""Pelican's two slow loops, reading and rendering, on every core.

Pelican reads the content files one after the other, then renders the pages one after the other,
on one core. A build (laceps.build) with many files does both in worker processes forked from the
build's own, so they start with everything it has (settings, plugins, the context, the templates):

- Reading: before a generator reads, the files its reader cache lacks are read by the workers,
  each through the generator's own `Readers.read_file` (Markdown, sanitizing, typogrify): what
  they fill in (the reader cache's entries and laceps.plugins.typography_cache's) comes back, and
  Pelican's own loop then finds every file in its cache.
- Rendering: `ParallelWriter` holds Pelican's `write_file` calls for the news (nearly every page),
  and when their generator has made them all (Pelican's `article_writer_finalized` signal) has the
  workers render the templates; then it makes each call itself, in Pelican's order, with the text
  already rendered.
  Writing the files, Pelican's checks on them and the `content_written` signal (the search
  index, the sitemap) stay in the build's process, exactly as without workers.

A file or page that fails in a worker, or logs any warning there, is read or rendered again by
the build itself, which shows the problem as it always does. Output is byte for byte the same
(tests/test_build_identity.py).
"""

import collections
import contextlib
import logging
import multiprocessing
import os
import weakref

from pelican import signals
from pelican.contents import Article, Page
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.writers import Writer

from laceps.plugins import typography_cache

# Below this many files or pages, starting workers costs more than it saves.
WORTH_FORKING = 64
CHUNK = 32  # files or pages per message to a worker: few messages, and the work still shared evenly
# What each kind of generator reads: its content class and the settings that list its files.
CONTENT_KINDS = {
    ArticlesGenerator: (Article, "ARTICLE_PATHS", "ARTICLE_EXCLUDES"),
    PagesGenerator: (Page, "PAGE_PATHS", "PAGE_EXCLUDES"),
}

forked = None  # (function, items) the workers run: they inherit it when forked, and get only ranges of items
# The template environments of the generators whose pages ParallelWriter renders on the workers: the
# news (ArticlesGenerator), nearly every page of the site, whose writing ends with a signal.
deferred_environments = weakref.WeakSet()


class Warned(Exception):
    """A worker's reading or rendering logged a warning: the build's own process does it again."""


class RaiseOnWarning(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            raise Warned(record.getMessage())


def quiet_worker():
    """In a worker: no output of its own (the build shows every problem once, itself), and no
    `content_written`: the build sends it when it writes the file."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(RaiseOnWarning())
    signals.content_written.send = lambda *args, **kwargs: []


@contextlib.contextmanager
def on_workers(function, items):
    """function(item) for each item, on forked workers: within the `with`, the results in order (None
    where it failed). Leaving the `with`, even midway (the build failed meanwhile), ends the workers
    at once: each holds a copy of the build's open files, Pagefind's input among them, and Pagefind
    stops only once its input is closed in every process (the build would wait for it forever)."""
    global forked
    ranges = [(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]
    workers = len(os.sched_getaffinity(0))
    forked = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=quiet_worker) as pool:
            yield results_in_order(pool, ranges, workers)
    finally:
        forked = None


def results_in_order(pool, ranges, workers):
    # A few chunks ahead of the build, no more: rendered pages waiting for the build to write
    # them would pile up in its memory (25 MB at 1,000 items), as Pool.imap lets them.
    waiting = collections.deque()
    for bounds in ranges:
        if len(waiting) == 2 * workers:
            yield from waiting.popleft().get()
        waiting.append(pool.apply_async(run_range, (bounds,)))
    while waiting:
        yield from waiting.popleft().get()


def run_range(bounds):
    function, items = forked
    results = []
    for item in items[slice(*bounds)]:
        try:
            results.append(function(item))
        except Exception:  # noqa: BLE001 - the build's own process does it again and reports it
            results.append(None)
    return results


# --- Reading -----------------------------------------------------------------------------------------
def read_ahead(generator):
    """Fill `generator`'s reader cache with the files it lacks, read by the workers."""
    kind = CONTENT_KINDS.get(type(generator))
    readers = generator.readers
    if kind is None or not readers._cache_data_policy:
        return
    content_class, paths, excludes = kind
    missing = [path for path in generator.get_files(generator.settings[paths], exclude=generator.settings[excludes])
               if readers.get_cached_data(os.path.abspath(os.path.join(generator.path, path))) is None]
    if len(missing) < WORTH_FORKING:
        return
    with on_workers(lambda path: read_in_worker(generator, content_class, path), missing) as reads:
        for read in reads:
            if read:
                entry, typographies = read
                readers._cache.update(entry)
                typography_cache.used.update(typographies)


def read_in_worker(generator, content_class, path):
    """In a worker: read one file as Pelican does; what that put in the reader and typography caches
    (the worker's own copy of the latter starts empty for each file: all it holds is new)."""
    typography_cache.used.clear()
    generator.readers.read_file(base_path=generator.path, path=path, content_class=content_class, context=generator.context)
    key = os.path.abspath(os.path.join(generator.path, path))
    return {key: generator.readers._cache[key]}, dict(typography_cache.used)


# --- Rendering ---------------------------------------------------------------------------------------
class Rendered:
    """A template whose renders give texts already rendered elsewhere, in order; rendering itself
    where there is none (a worker failed)."""

    def __init__(self, template, texts):
        self.template, self.texts = template, list(texts or ())

    def render(self, *args, **kwargs):
        return self.texts.pop(0) if self.texts else self.template.render(*args, **kwargs)


class Capturing:
    """In a worker: a template whose renders are kept, in order."""

    def __init__(self, template):
        self.template, self.texts = template, []

    def render(self, *args, **kwargs):
        self.texts.append(self.template.render(*args, **kwargs))
        return self.texts[-1]


class ParallelWriter(Writer):
    """Pelican's writer, whose `write_file` calls for the news wait for the end of their generator's
    writing, then are rendered on every core and written in order (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting = []

    def write_file(self, name, template, context, **options):
        if getattr(template, "environment", None) in deferred_environments:
            self.waiting.append((name, template, context, options))
        else:
            self.flush()
            super().write_file(name, template, context, **options)

    def flush(self):
        calls, self.waiting = self.waiting, []
        rendering = on_workers(self.render_in_worker, calls) if len(calls) >= WORTH_FORKING else contextlib.nullcontext([None] * len(calls))
        with rendering as texts:
            for (name, template, context, options), rendered in zip(calls, texts):
                super().write_file(name, Rendered(template, self.texts_of(rendered)), context, **options)

    def texts_of(self, rendered):
        """The texts in what render_in_worker returned (None: the worker failed)."""
        return rendered

    def render_in_worker(self, call):
        name, template, context, options = call
        capturing = Capturing(template)
        self._open_w = lambda *args, **kwargs: open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - Pelican closes it
        super().write_file(name, capturing, context, **options)
        return capturing.texts


def use_parallel_writer(pelican):
    return ParallelWriter


def defer_news(generator):
    """At the news generator's start: ParallelWriter holds its pages' calls (its template environment names them)."""
    deferred_environments.add(generator.env)


def flush(generator, writer):
    if isinstance(writer, ParallelWriter):
        writer.flush()
