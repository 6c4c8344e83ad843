"""A warm build writes each language's subsite (/es/) in a process of its own, while its own
process writes the main site.

pelican-i18n-subsites runs the Spanish site inside the main site's run, at its `get_writer`: the
Spanish site reads, then writes all its pages, and only then does the main site write its own.
Once the last subsite has its writer, every site has read and i18n-subsites has linked their
translations: from there the sites' writing is independent. In a warm build (laceps.warm) that
writing is mostly the build's own process's work (deciding that a page is unchanged, linking it
from the last output, Pelican's signals), so the subsite's writing is forked there (`Subsite`)
and the main site's goes on at once.

When the main site's contents are written (`JoinSubsites`, a generator Pelican runs after the
news and pages, before its `finalized`, whose receivers need every site's pages), each child's
effects are taken in as if they had happened first, as they do in Pelican's order: what it printed,
its render records and the pages it reused (laceps.warm), its sitemap entries and typography, and
the pages it wrote, which go to the search index before the main site's (they wait meanwhile:
Pagefind counts pages in the order they come). A child that failed fails the build with its
messages; a build that fails first ends its children. Output is byte for byte what one process
writes (tests/test_warm_build.py compares every warm build with a clean one).
"""

import contextlib
import os
import pickle
import signal
import sys
import traceback

from pelican import Pelican, signals

from laceps.plugins import is_subsite, sitemap, typography_cache

armed = None  # the build's Forks while it may fork


class WrittenElsewhere(Exception):
    """In the build's process: the subsite's writing went to a child."""


class SubsiteFailed(Exception):
    """A subsite's writing failed, or stopped, in its child (whose error the build prints first)."""


class Subsite(Pelican):
    """PELICAN_CLASS of the languages' subsites: Pelican, whose writing is forked when a build has
    armed it (see the module's docstring)."""

    def _get_writer(self):
        writer = super()._get_writer()  # i18n-subsites links every site's contents in this signal
        if armed is not None:
            armed.fork(self)  # returns in the child only
        return writer

    def run(self):
        error = None
        try:
            super().run()
        except WrittenElsewhere:
            pass
        except BaseException as failure:
            error = failure
            raise
        finally:
            if armed is not None and armed.in_child:
                armed.end_child(error)  # in a child, the run's end is the process's


class Forks:
    """The children writing subsites, and what the build shares with them."""

    def __init__(self, reuse, index, out, printed):
        self.reuse, self.index, self.out, self.printed = reuse, index, out, printed
        self.children = []  # (language, process id, the read end of its report's pipe), in order
        self.in_child = False
        self.report = None  # in a child: its pipe's write end, and what it held when forked

    def fork(self, subsite):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered is written twice
        if self.index is not None and self.index.held is None:
            self.index.held = []  # the main site's pages wait for the subsites' (`join`)
        reading, writing = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a limit, memory): written here, as Pelican does
            os.close(reading)
            os.close(writing)
            return
        if pid:
            os.close(writing)
            self.children.append((subsite.settings["DEFAULT_LANG"], pid, reading))
            raise WrittenElsewhere
        os.close(reading)
        self.start_child(writing)

    def start_child(self, pipe):
        self.in_child, self.children = True, []
        # What this process prints reaches the build's streams through the build (`join`). Pagefind
        # stops once its input is closed in every process: this one holds /dev/null in its place.
        quiet = os.open(os.devnull, os.O_WRONLY)
        descriptors = [1, 2]
        if self.index is not None:
            self.index.held = []
            descriptors += [service._backend.stdin.transport.get_extra_info("pipe").fileno() for service in self.index.services()]
        for descriptor in descriptors:
            os.dup2(quiet, descriptor)
        pages, written = self.reuse.pages, self.reuse.written
        self.report = (pipe, self.printed.tell(), dict(pages.renders), set(pages.reused), set(written),
                       set(sitemap.entries), set(typography_cache.used))

    def end_child(self, error):
        """In a child, at the end of its subsite's run: send what it did to the build, and end."""
        pipe, printed_from, renders, reused, written, entries, used = self.report
        try:
            pages = self.reuse.pages
            new_written = self.reuse.written - written
            report = {
                "printed": self.printed.getvalue()[printed_from:],
                # As laceps.build.run prints an error, for the build to print.
                "error": error and f"{type(error).__name__}: {error}\n{''.join(traceback.format_exception(error))}",
                "search": self.index.held if self.index is not None else [],
                "written": new_written,
                "renders": {path: pages.renders[path] for path in new_written
                            if path in pages.renders and pages.renders[path] is not renders.get(path)},
                "reused": pages.reused - reused,
                "sitemap": {path: entry for path, entry in sitemap.entries.items() if path not in entries},
                "typography": {key: text for key, text in typography_cache.used.items() if key not in used},
            }
            with os.fdopen(pipe, "wb") as stream:
                pickle.dump(report, stream, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(1 if error else 0)  # a forked child ends without the build's clean-up

    def join(self):
        """In the build's process: take in each child's work, in the order Pelican writes the sites."""
        searched = []
        while self.children:
            lang, pid, pipe = self.children[0]
            try:
                with os.fdopen(pipe, "rb") as stream:
                    data = stream.read()
            finally:
                _, status = os.waitpid(pid, 0)
                self.children.pop(0)
            if not data:
                raise SubsiteFailed(f"the writing of the {lang!r} site stopped (exit status {os.waitstatus_to_exitcode(status)})")
            searched += self.take_in(lang, pickle.loads(data))
        if self.index is not None and self.index.held is not None:
            held, self.index.held = self.index.held, None
            for path in [*searched, *held]:
                self.index.add(path)

    def take_in(self, lang, report):
        """A child's work, taken in; the pages it wrote, for the search index."""
        self.out.write(report["printed"])
        if report["error"]:
            self.out.write(report["error"])
            raise SubsiteFailed(f"the writing of the {lang!r} site failed: its error is above")
        pages = self.reuse.pages
        self.reuse.written.update(report["written"])
        pages.renders.update((path, (pages.shared(reads), *rest)) for path, (reads, *rest) in report["renders"].items())
        pages.reused.update(report["reused"])
        for path, entry in report["sitemap"].items():
            sitemap.entries.setdefault(path, entry)  # the main site's, written after, would replace it
        typography_cache.used.update(report["typography"])
        return report["search"]

    def end(self):
        """Whatever happened: no child outlives the build (a failed build ends them at once)."""
        for _, pid, pipe in self.children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
            os.close(pipe)
        self.children = []
        if self.index is not None:
            self.index.held = None


class JoinSubsites:
    """A generator of the main site whose output is the subsites' forked writing, taken in."""

    def __init__(self, *args, **kwargs):
        pass

    def generate_output(self, writer):
        if armed is not None:
            armed.join()


def join_in_main_site(pelican):
    return None if is_subsite(pelican.settings) else JoinSubsites


@contextlib.contextmanager
def forking(reuse, index, out, printed):
    """Around a warm build's Pelican run: its subsites written in children (see the module's docstring)."""
    global armed
    armed = Forks(reuse, index, out, printed)
    signals.get_generators.connect(join_in_main_site)
    try:
        yield armed
    finally:
        signals.get_generators.disconnect(join_in_main_site)
        armed.end()
        armed = None
