"""Build, serve and watch the site: the work behind the invoke tasks."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from invoke.exceptions import Exit
from pelican.settings import read_settings

from laceps import PROJECT_ROOT
from laceps.checks import check_content
from laceps.translations import compile_catalogs

DEV_SETTINGS = PROJECT_ROOT / "pelicanconf.py"
PRODUCTION_SETTINGS = PROJECT_ROOT / "publishconf.py"
OUTPUT = PROJECT_ROOT / "output"
CONTENT = PROJECT_ROOT / "content"
WATCHED = ("content", "theme", "laceps", "pelicanconf.py", "publishconf.py")


class BuildFailed(Exit):
    """Pelican stopped on a problem; its messages are already on stderr."""

    def __init__(self, message):
        super().__init__(message, code=1)


def cache_folder():
    """Pelican's content cache ignores changes to settings and plugins: key it by them."""
    digest = hashlib.sha256()
    for path in sorted([DEV_SETTINGS, PRODUCTION_SETTINGS, *(PROJECT_ROOT / "laceps").rglob("*.py")]):
        digest.update(path.read_bytes())
    return PROJECT_ROOT / "cache" / digest.hexdigest()[:12]


def build(settings=DEV_SETTINGS, output=OUTPUT, content=CONTENT, extra=None, quiet=False):
    """Compile the catalogs, run Pelican with every warning fatal, then index the site for search.

    Raise BuildFailed on any problem. quiet: show Pelican's messages (all on stdout) only
    when the build fails.
    """
    compile_catalogs()
    extra = {"CACHE_PATH": str(cache_folder()), **(extra or {})}
    command = [
        sys.executable, "-m", "pelican", str(content),
        "--settings", str(settings),
        "--output", str(output),
        "--fatal", "warnings",
    ]
    # One --extra-settings with every KEY=VALUE: Pelican keeps only the last of repeated flags.
    command += ["--extra-settings", *(f"{key}={json.dumps(value)}" for key, value in extra.items())]
    result = subprocess.run(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE if quiet else None, text=True)
    if result.returncode != 0:
        if quiet:
            print(result.stdout, file=sys.stderr)
        raise BuildFailed(f"the build failed (exit {result.returncode}); the messages above say why")
    index_for_search(Path(output))
    return Path(output)


def index_for_search(output):
    """Pagefind reads the built pages (their <main>, in the language of <html lang>) into output/pagefind/."""
    result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(output), "--silent"], cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise BuildFailed(f"the search index failed (exit {result.returncode}); the messages above say why")
    # Pagefind lists the languages in a random order: sorted, an unchanged site rebuilds byte for byte.
    entry = output / "pagefind" / "pagefind-entry.json"
    entry.write_text(json.dumps(json.loads(entry.read_text(encoding="utf-8")), sort_keys=True, ensure_ascii=False), encoding="utf-8")


def check(content=CONTENT):
    """Print every problem in the content; raise Exit (non-zero) when there is any."""
    problems = check_content(read_settings(str(DEV_SETTINGS), override={"PATH": str(content)}))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise Exit(f"{len(problems)} problem(s) in the content: fix them, then run `invoke check` again (EDITING.md explains each message).", code=1)
    print("No problems found in the content.")


def clean(output=OUTPUT):
    """Remove the built site and Pelican's content cache."""
    for folder in (Path(output), PROJECT_ROOT / "cache"):
        shutil.rmtree(folder, ignore_errors=True)


def serve(output=OUTPUT, port=8000):
    """Serve the built site on localhost until interrupted."""
    subprocess.run(
        [sys.executable, "-m", "pelican", "--listen", "--bind", "127.0.0.1",
         "--port", str(port), "--output", str(output), "--settings", str(DEV_SETTINGS)],
        cwd=PROJECT_ROOT,
        check=False,
    )


def livereload(port=8000):
    """Build, serve, and rebuild and reload the browser on every edit."""
    from livereload import Server

    def rebuild():
        try:
            build(extra={"LIVERELOAD": True})
        except BuildFailed as error:
            print(error, file=sys.stderr)

    rebuild()
    server = Server()
    for name in WATCHED:
        path = PROJECT_ROOT / name
        server.watch(str(path / "**" / "*") if path.is_dir() else str(path), rebuild)
    server.serve(host="127.0.0.1", port=port, root=str(OUTPUT))
