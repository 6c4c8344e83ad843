"""A production build after an earlier one (`invoke preview`, a publish): the pages whose inputs are
unchanged are taken from the last build's output instead of being rendered again.

Each page's render is recorded as `invoke livereload` records it (laceps.render_records: every name
it read from its template context, a digest of their values, the files it names), with a digest of
its text instead of the text, and the records are saved in the cache folder. The next build moves
the last output aside (where Pelican's DELETE_OUTPUT_DIRECTORY would delete it) and builds into an
empty folder, as a clean build does: a page whose inputs have the same digests, and whose last
file still holds the recorded text, is linked from the last output instead of rendered and
written, and so are the files it names that nothing else in the build wrote (its share card, the
sizes of a photo it shows). Everything else is written as ever.

The records see only what pages read from their context. Whatever else can change a page (the
theme and its templates, the settings and plugins, content besides the Markdown, the translations,
the locked packages) is digested whole (`world_digest`): when it changed, every page is rendered.
"""

import contextlib
import dataclasses
import hashlib
import os
import shutil
import sys
import threading
from pathlib import Path

from pelican import signals

from laceps import PROJECT_ROOT, cache_files, parallel
from laceps.render_records import BuildPages, Digests, KeepingWriter, remember_templates

RECORDS = "page-renders.pickle"  # in the cache folder
# Beside the settings file, what every build's settings import or run (publishconf imports pelicanconf).
CODE = (PROJECT_ROOT / "pelicanconf.py", PROJECT_ROOT / "publishconf.py", PROJECT_ROOT / "uv.lock")
deletions = []  # the last outputs being deleted meanwhile


def world_digest(settings_file, settings, extra):
    """A digest of what can change a page besides the values it reads from its context."""
    digest = hashlib.blake2b(repr([sys.version, sorted(map(repr, extra.items())), settings["OUTPUT_PATH"]]).encode())
    files = [Path(settings_file), *CODE, *sorted((PROJECT_ROOT / "laceps").rglob("*.py"))]
    for folder in (settings["THEME"], settings["I18N_GETTEXT_LOCALEDIR"]):
        files += [Path(folder, name) for name in sorted(files_in(folder))]
    files += [Path(settings["PATH"], name) for name in sorted(files_in(settings["PATH"])) if not name.endswith(".md")]
    for path in files:
        digest.update(str(path).encode() + b"\0")
        if path.is_symlink():
            digest.update(os.readlink(path).encode())  # where it leads: the content checks refuse it anyway
        elif path.is_file():
            digest.update(cache_files.digest(path.read_bytes()))
    return digest.digest()


class FormerPages(BuildPages):
    """The pages of a build into an empty folder, whose last renders are in `former` (the last
    output, moved aside): a page found unchanged there is linked from it."""

    def __init__(self, renders, root, root_url, former):
        super().__init__(renders, Digests(), root, root_url)
        self.former = former

    def former_path(self, path):
        return os.path.join(self.former, os.path.relpath(path, self.root))

    def last_text(self, path, last):
        try:
            with open(self.former_path(path), "rb") as file:
                data = file.read()
        except OSError:
            return None
        return data.decode("utf-8") if cache_files.digest(data) == last[3] else None

    def noted(self, text):
        return cache_files.digest(text.encode("utf-8"))

    def keep(self, path):
        link(self.former_path(path), path)
        return super().keep(path)

    def bring_named_files(self):
        """The files the reused pages name that this build did not write: the side effects of
        their last renders (a share card, a photo's sizes), from the last output."""
        if not self.reused:
            return
        named = set().union(*(self.renders[path][2] for path in self.reused))
        for name in sorted(named):
            if name.endswith(".html") or not set(name.split("/")).isdisjoint(("", ".", "..")):
                continue  # a page; or a name that does not stay in the output (a page can name any)
            source, target = os.path.join(self.former, name), os.path.join(self.root, name)
            if os.path.isfile(source) and not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                link(source, target)


def files_in(root):
    """The files under `root`, as paths from it with "/", as os.walk finds them (a linked folder is
    not entered). Names joined as they are found: os.path.relpath took four fifths of the time."""
    found, folders = set(), [("", root)]
    while folders:
        prefix, folder = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir():
                found.add(prefix + entry.name)
            elif not entry.is_symlink():
                folders.append((f"{prefix}{entry.name}/", entry.path))
    return found


def in_last_output(output, name):
    """Where `name` (a path from the output folder `output`) is in the last output, while a warm
    build has that set aside; else None."""
    former = set_aside(Path(output))[0]
    return former / name if former.is_dir() else None


def put(path, data, last=None):
    """Write `data` (bytes) at `path`, unless it holds them already (then only its times are new:
    laceps.incremental deletes what a build left untouched); where the file `last` (its place in
    the last output) holds them, link that one instead. A new file needs an inode, which ext4 is
    slow to find among the many freed lately, and each warm build frees the last output's:
    Pagefind's 1,263 files at 1,000 items took 0.3 to 0.6 s to write in a warm build, 0.04 s to link.
    Never written through: `path` may be a link to another output's file."""
    path = Path(path)
    if same_bytes(path, data):
        os.utime(path)
        return
    path.unlink(missing_ok=True)
    if last and same_bytes(last, data):
        with contextlib.suppress(OSError):  # gone meanwhile, or a file system without hard links
            os.link(last, path)
            return
    path.write_bytes(data)


def copy_tree(source, target, last=None):
    """shutil.copytree with dirs_exist_ok, through `put`: each file is linked from the folder `last`
    (the same folder in the last output) where that holds the same bytes."""
    def copy(file, into):
        into = Path(into)
        put(into, Path(file).read_bytes(), last and last / into.relative_to(target))
    shutil.copytree(source, target, dirs_exist_ok=True, copy_function=copy)


def same_bytes(path, data):
    try:
        with open(path, "rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:
        return False


def link(source, target):
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def move_retained(source, target, retained):
    """Move what OUTPUT_RETENTION names from one output folder to the other."""
    for name in retained:
        if os.path.lexists(source / name) and not os.path.lexists(target / name):
            target.mkdir(exist_ok=True)
            (source / name).rename(target / name)


def put_back(former, output, retained):
    """The last whole output (`former`) in place of a new one left unfinished; what OUTPUT_RETENTION
    names, moved into the new one, goes back with it (a deployment's .git, say: never deleted)."""
    move_retained(output, former, retained)
    shutil.rmtree(output, ignore_errors=True)
    former.rename(output)


def set_aside(output):
    """Where a build keeps the last output while it writes (`former`), and where that goes to be
    deleted (`discarded`): beside the output folder, hidden."""
    return output.with_name(f".{output.name}-former"), output.with_name(f".{output.name}-discarded")


class RecordingWriter(KeepingWriter, parallel.ParallelWriter):
    """laceps.parallel's writer, remembering pages: the workers check and record the news pages
    they render, and send the records back with the texts."""

    def flush(self):
        if len(self.waiting) >= parallel.WORTH_FORKING:
            # What the last renders read from the context every page shares (all the news, the
            # sections, the settings), digested before the workers start: each would digest it again.
            read = set().union(*(record[0] for record in self.pages.renders.values()))
            for context in {id(context): context for _, _, context, _ in self.waiting}.values():
                for name in read & context.keys():
                    self.pages.digests.of(context[name])
        super().flush()

    def render_in_worker(self, call):
        self.pages.pending, self.pages.reused = {}, set()  # this worker's copies: what this call adds
        return super().render_in_worker(call), self.pages.pending, self.pages.reused

    def texts_of(self, rendered):
        if rendered is None:
            return None
        texts, pending, reused = rendered
        self.pages.pending.update((path, (self.pages.shared(reads), *rest)) for path, (reads, *rest) in pending.items())
        self.pages.reused.update(reused)
        return texts


@dataclasses.dataclass
class Reuse:
    """What `reusing` gives the build: the receivers of Pelican's signals to connect, and in a build
    that takes pages from the last output, its pages (FormerPages) and the paths written so far."""

    receivers: list
    pages: FormerPages | None = None
    written: set | None = None


@contextlib.contextmanager
def reusing(settings_file, settings, extra):
    """For laceps.build.run, around Pelican's run: a Reuse, whose receivers of Pelican's signals make the
    build write through RecordingWriter, taking unchanged pages from the last output; once the build
    succeeds, the records are saved. A build that does not start from an empty folder
    (DELETE_OUTPUT_DIRECTORY off: the development build) or keeps no cache (CACHE_CONTENT off)
    writes through laceps.parallel's writer alone."""
    if not (settings["DELETE_OUTPUT_DIRECTORY"] and settings["CACHE_CONTENT"]):
        yield Reuse([(signals.get_writer, parallel.use_parallel_writer)])
        return
    output = Path(settings["OUTPUT_PATH"])
    records = Path(settings["CACHE_PATH"]) / RECORDS
    world = world_digest(settings_file, settings, extra)
    saved = cache_files.load(records) if settings["LOAD_CONTENT_CACHE"] else {}
    renders = saved.get("renders", {}) if saved.get("world") == world else {}
    former, discarded = set_aside(output)
    while deletions:
        deletions.pop().join()
    shutil.rmtree(discarded, ignore_errors=True)
    retained = settings["OUTPUT_RETENTION"]  # what Pelican's cleaning keeps
    if former.is_dir():  # the last build was stopped midway: its former output is the last whole one
        put_back(former, output, retained)
    if renders and output.is_dir():
        output.rename(former)
        move_retained(former, output, retained)
    else:
        renders = {}
        records.unlink(missing_ok=True)  # none must outlast the output they tell of, should this build stop midway
    pages = FormerPages(renders, str(output), settings["SITEURL"], str(former))
    writer = type("RecordingWriter", (RecordingWriter,), {"pages": pages})
    written = set()

    def use_writer(pelican):
        return writer

    def note(path, context=None):
        path = os.path.abspath(path)
        written.add(path)
        pages.written(path)

    def all_written(pelican):
        """Every page is written once the main site's run ends (the Spanish subsite's, with settings
        of its own, ends first): the link check, next, finds the files they name."""
        if pelican.settings is settings:
            pages.bring_named_files()

    try:
        yield Reuse([(signals.get_writer, use_writer), (signals.generator_init, remember_templates),
                     (signals.content_written, note), (signals.finalized, all_written)], pages, written)
        cache_files.save(records, {"world": world, "renders": {path: pages.renders[path] for path in written if path in pages.renders}})
    except BaseException:
        if former.is_dir():  # the last whole output back, as the records tell it
            put_back(former, output, retained)
        raise
    if former.is_dir():
        # Deleted in a thread, not a daemon: the process waits for it before it exits. Renamed
        # first: a former output is always whole.
        former.rename(discarded)
        deletions.append(threading.Thread(target=shutil.rmtree, args=(discarded,), kwargs={"ignore_errors": True}))
        deletions[-1].start()
