"""Build, serve and watch the site: the work behind the invoke tasks."""

import functools
import hashlib
import re
import shutil
import sys
from pathlib import Path

from invoke.exceptions import Exit
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, devserver
from laceps import build as pipeline
from laceps import incremental, warm
from laceps.checks import check_content
from laceps.links import broken_links

DEV_SETTINGS = PROJECT_ROOT / "pelicanconf.py"
PRODUCTION_SETTINGS = PROJECT_ROOT / "publishconf.py"
OUTPUT = PROJECT_ROOT / "output"
CONTENT = PROJECT_ROOT / "content"
# What the development build reads: a save in any of them rebuilds (invoke livereload).
WATCHED_FOLDERS = (CONTENT, PROJECT_ROOT / "theme", PROJECT_ROOT / "laceps")
WATCHED_FILES = (DEV_SETTINGS,)
CACHE_KEY_LENGTH = 12  # hexadecimal digits of the digest that names a cache folder
CACHE_KEY = re.compile(f"[0-9a-f]{{{CACHE_KEY_LENGTH}}}")
LINKS_MEMORY = "built-links.pickle"  # in the cache folder: laceps.links.broken_links
# A content problem as laceps.checks.Problem prints it: `path:line: what — how to fix`.
PROBLEM_LINE = re.compile(r"^[^\s:][^:]*:\d+: .+ — .+$")


class BuildFailed(Exit):
    """The build stopped on a problem. Its messages are on the terminal, or, for a build that
    captured them, in `log`; `problems` holds the content problems among them."""

    def __init__(self, message, log=""):
        super().__init__(message, code=1)
        self.log = log
        self.problems = [line for line in log.splitlines() if PROBLEM_LINE.match(line)]


def cache_folder():
    """Pelican's content cache ignores changes to settings and plugins: key it by them."""
    digest = hashlib.sha256()
    for path in sorted([DEV_SETTINGS, PRODUCTION_SETTINGS, *(PROJECT_ROOT / "laceps").rglob("*.py")]):
        digest.update(path.read_bytes())
    return PROJECT_ROOT / "cache" / digest.hexdigest()[:CACHE_KEY_LENGTH]


def build(settings=DEV_SETTINGS, output=OUTPUT, content=CONTENT, extra=None, quiet=False):
    """Compile the catalogs, run Pelican with every warning fatal, index the site for search as it is
    written (laceps.build), then, in production, check every link of the built site.

    Raise BuildFailed on any problem. quiet: show the build's messages only when it fails.
    """
    try:
        return run_build(settings, output, content, extra, capture=quiet)
    except BuildFailed as failure:
        if quiet:
            print(failure.log, file=sys.stderr)
        raise


def run_build(settings=DEV_SETTINGS, output=OUTPUT, content=CONTENT, extra=None, capture=False):
    """build(), its messages either printed as they come or, with capture, kept in BuildFailed.log."""
    extra = {"CACHE_PATH": str(cache_folder()), **(extra or {})}
    problems = []
    try:
        built = pipeline.run(settings, content, output, extra, capture=capture,
                             meanwhile=lambda settings: problems.extend(built_link_problems(Path(output), settings)))
    except pipeline.Failed as failure:
        raise BuildFailed("the build failed; the messages above say why", log=failure.log) from None
    if problems:
        report = "\n".join(problems)
        if not capture:
            print(report, file=sys.stderr)
        raise BuildFailed(f"{len(problems)} broken link(s) in the built site: restore what they lead to, or change them", log=report)
    forget_other_caches(Path(built["CACHE_PATH"]))
    return Path(output)


def forget_other_caches(kept):
    """Delete the cache folders of other versions of the settings and plugins beside `kept`: no build
    reads them again, and CI saves the whole cache/ after every publish."""
    for folder in kept.parent.iterdir() if kept.parent == PROJECT_ROOT / "cache" else ():
        if folder != kept and CACHE_KEY.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)


def built_link_problems(output, settings):
    """With CHECK_BUILT_LINKS (production), every link of a built page to a missing page, file or
    #fragment. Pagefind's files are not there yet (the check runs while Pagefind makes them): a
    link to one is reported, never passed unchecked."""
    if not settings["CHECK_BUILT_LINKS"]:
        return []
    # Each page's links kept for the next check, as the content cache keeps each file's reading.
    memory = Path(settings["CACHE_PATH"]) / LINKS_MEMORY if settings["CACHE_CONTENT"] else None
    return broken_links(output, settings["SITEURL"], memory)[1]


def check(content=CONTENT):
    """Print every problem in the content; raise Exit (non-zero) when there is any."""
    problems = check_content(read_settings(str(DEV_SETTINGS), override={"PATH": str(content)}))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise Exit(f"{len(problems)} problem(s) in the content: fix them, then run `invoke check` again (EDITING.md explains each message).", code=1)
    print("No problems found in the content.")


def clean(output=OUTPUT):
    """Remove the built site (and a last one a stopped build set aside), and the caches."""
    for folder in (Path(output), *warm.set_aside(Path(output)), PROJECT_ROOT / "cache"):
        shutil.rmtree(folder, ignore_errors=True)


def serve(output=OUTPUT, port=8000):
    """Serve the built site on localhost until interrupted."""
    if not Path(output, "index.html").is_file():
        raise Exit(f"{output} holds no built site: run `uv run invoke build` first.", code=1)
    try:
        devserver.serve_folder(output, devserver.port_number(port))
    except devserver.CannotListen as error:
        raise Exit(str(error), code=1) from None


def livereload(port=8000):
    """Build, serve, and rebuild and reload the browser on every save, one line per build."""
    resident = incremental.Worker(DEV_SETTINGS, CONTENT, OUTPUT, livereload_settings)
    try:
        server = devserver.LiveReload(OUTPUT, functools.partial(rebuild_for_livereload, resident), WATCHED_FOLDERS, WATCHED_FILES, devserver.port_number(port))
    except devserver.CannotListen as error:
        raise Exit(str(error), code=1) from None
    server.run()


def livereload_settings():
    return {"CACHE_PATH": str(cache_folder()), "LIVERELOAD": True}


def rebuild_for_livereload(resident, changed_paths):
    """For devserver.LiveReload: the resident build (laceps.incremental) renders what the saves changed."""
    log = resident.build(changed_paths)
    if log is None:
        return devserver.BuildResult(ok=True)
    problems = BuildFailed("", log=log).problems
    tail = () if problems else tuple(log.splitlines()[-devserver.LOG_TAIL_LINES:])
    return devserver.BuildResult(ok=False, problems=tuple(problems), log_tail=tail)
