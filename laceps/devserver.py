"""The local server of `invoke serve` and `invoke livereload`.

`serve_folder` serves a built site as it is. `LiveReload` also watches the sources, calls a
`rebuild(changed_paths) -> BuildResult` function after each save (laceps.site gives it the
resident build of laceps.incremental), prints one line per build, and tells the open pages
through Server-Sent Events: every page it serves gets /__reload.js, which reloads
the page when a build finishes. While the last build has failed, every page shows the
problems instead, and reloads by itself once a save fixes them. The built files are never
changed: the script is added to the responses only.
"""

import contextlib
import errno
import functools
import html
import http.server
import os
import queue
import secrets
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import watchfiles

HOST = "127.0.0.1"
RELOAD_SCRIPT = "/__reload.js"
BUILD_EVENTS = "/__reload"
# Quiet time that ends a save: an editor that writes a temporary file and renames it over
# the original makes several changes within a few milliseconds; they make one rebuild. Every
# save waits this long before its build starts.
SETTLE_MS = 50
KEEPALIVE_SECONDS = 15  # a comment line now and then: a closed tab is noticed, its thread freed
LOG_TAIL_LINES = 25
SCRIPT_SOURCE = b"""\
// Added by `invoke livereload` (laceps/devserver.py) to the pages it serves, never to the built files.
(() => {
  const shown = document.currentScript.dataset.build;
  new EventSource("/__reload").onmessage = (event) => {
    if (event.data !== shown) location.reload();
  };
})();
"""
ERROR_PAGE_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class BuildResult:
    """What a rebuild reports: success, or the content problems (`path:line: what — how to fix`),
    or, for any other failure, the last lines the build printed."""

    ok: bool
    problems: tuple = ()
    log_tail: tuple = ()


class CannotListen(Exception):
    """The server cannot take the port; the message is one line that names --port."""


def port_number(value):
    """The --port value as a number, or CannotListen saying what is wrong with it."""
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise CannotListen(f"--port {value} is not a port: give a whole number from 1 to 65535, for example --port 8001")
    return port


class LocalServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # open event streams must not keep Ctrl+C waiting

    def handle_error(self, request, client_address):
        # A browser that closes a tab or reloads mid-response is not an error worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def listen(port, handler):
    """A server bound to the port on loopback, or CannotListen with a one-line reason."""
    try:
        return LocalServer((HOST, port), handler)
    except OSError as error:
        reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
        raise CannotListen(
            f"port {port} on {HOST} {reason}: stop the program that holds it, "
            f"or choose another port with --port, for example --port {port + 1 if port < 65535 else 8001}"
        ) from None


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built folder quietly, never cached: each reload shows the latest build."""

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass

    def send_body(self, body, content_type, status=HTTPStatus.OK, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def serve_folder(root, port):
    """Serve `root` on http://127.0.0.1:<port>/ until Ctrl+C."""
    server = listen(port, functools.partial(SiteHandler, directory=str(root)))
    say(f"Serving {root} on http://{HOST}:{port}/ — Ctrl+C stops.")
    with server, stopped_by_ctrl_c():
        server.serve_forever()


@contextlib.contextmanager
def stopped_by_ctrl_c():
    """Ctrl+C ends the block quietly. The terminal sends it to uv as well, which passes it on
    once more: a second one must not cut the shutdown short, so the shutdown ignores it."""
    try:
        yield
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class Builds:
    """The last build's result, and a token that changes with every build, for the pages to wait on."""

    def __init__(self):
        self.finished = threading.Condition()
        self.session = secrets.token_hex(4)  # a restarted server never repeats a token
        self.count = 0
        self.result = BuildResult(ok=True)

    @property
    def token(self):
        return f"{self.session}-{self.count}"

    def record(self, result):
        with self.finished:
            self.result = result
            self.count += 1
            self.finished.notify_all()

    def latest(self):
        """The last result and its token, read together: a page must not pair one with another's."""
        with self.finished:
            return self.result, self.token

    def next_token(self, seen, timeout):
        """The token once it differs from `seen`; `seen` itself if no build finished within timeout."""
        with self.finished:
            self.finished.wait_for(lambda: self.token != seen, timeout)
            return self.token


class LiveHandler(SiteHandler):
    """Pages with the reload script, the build events, and the error page while the build is broken."""

    def __init__(self, *args, builds, **kwargs):
        self.builds = builds
        super().__init__(*args, **kwargs)

    def do_GET(self):
        route = urlsplit(self.path).path
        if route == BUILD_EVENTS:
            return self.send_build_events()
        if route == RELOAD_SCRIPT:
            return self.send_body(SCRIPT_SOURCE, "text/javascript; charset=utf-8")
        page = self.page()
        if page is None:
            return super().do_GET()
        file, status = page
        result, token = self.builds.latest()
        if not result.ok:
            body, headers = error_page(result, token), [("Content-Security-Policy", ERROR_PAGE_POLICY)]
            return self.send_body(body, "text/html; charset=utf-8", HTTPStatus.INTERNAL_SERVER_ERROR, headers)
        if not file.is_file():
            return self.send_error(HTTPStatus.NOT_FOUND)
        self.send_body(with_reload_script(file.read_bytes(), token), "text/html; charset=utf-8", status)

    def page(self):
        """The page this request shows, as (file, status); None for other files and folder redirects."""
        target = Path(self.translate_path(self.path))
        if target.is_dir() and urlsplit(self.path).path.endswith("/"):
            target = target / "index.html"
        if target.is_file():
            return (target, HTTPStatus.OK) if target.suffix == ".html" else None
        if target.is_dir():
            return None
        # As on the CDN: a missing address shows the site's 404 page.
        return Path(self.directory) / "404.html", HTTPStatus.NOT_FOUND

    def send_build_events(self):
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen = None
        try:
            while True:
                token = self.builds.next_token(seen, KEEPALIVE_SECONDS)
                self.wfile.write(f"data: {token}\n\n".encode() if token != seen else b": waiting for a build\n\n")
                self.wfile.flush()
                seen = token
        except ConnectionError:
            pass


def with_reload_script(page, token):
    tag = f'<script src="{RELOAD_SCRIPT}" data-build="{token}" defer></script>'.encode()
    end = page.rfind(b"</body>")
    return page[:end] + tag + page[end:] if end >= 0 else page + tag


def error_page(result, token):
    if result.problems:
        intro = "The site was not rebuilt: the content has these problems. Fix them and save; this page reloads by itself."
        details = "<ul>" + "".join(f"<li><code>{html.escape(line)}</code></li>" for line in result.problems) + "</ul>"
    else:
        intro = "The site was not rebuilt. The build ended with these lines; fix the cause and save, and this page reloads by itself."
        details = f"<pre>{html.escape(chr(10).join(result.log_tail))}</pre>"
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The build failed</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }}
li {{ margin-block: 0.5rem; }}
code, pre {{ font-size: 0.95rem; overflow-wrap: anywhere; white-space: pre-wrap; }}
</style>
</head>
<body>
<h1>The build failed</h1>
<p>{html.escape(intro)}</p>
{details}
</body>
</html>
"""
    return with_reload_script(page.encode(), token)


class Watcher:
    """Batches of saved source files, ignoring caches and editors' temporary files.

    Folders are watched recursively. A single file is watched through its folder: an editor
    that saves by renaming a new file over it replaces it, and a watch on the old file goes blind.
    A file created and gone again by the time the batch is read was an editor's (or sed's)
    temporary copy, whatever its name: it changes nothing.
    """

    def __init__(self, folders, files):
        self.stop = threading.Event()
        self.batches = queue.SimpleQueue()
        files = {Path(file) for file in files}
        self.threads = [threading.Thread(target=self.pump, args=(folders, True, SourceFilter()), daemon=True)]
        if files:
            def only_these(change, path):
                return Path(path) in files

            parents = {file.parent for file in files}
            self.threads.append(threading.Thread(target=self.pump, args=(parents, False, only_these), daemon=True))

    def pump(self, paths, recursive, keep):
        for changes in watchfiles.watch(
            *paths, watch_filter=keep, recursive=recursive, step=SETTLE_MS, stop_event=self.stop, raise_interrupt=False
        ):
            self.batches.put(changes)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()

    def next_batch(self):
        """Every path saved since the last call; waits for the first save."""
        while True:
            changes = self.batches.get()
            while not self.batches.empty():
                changes |= self.batches.get()
            created = {path for change, path in changes if change == watchfiles.Change.added}
            saved = {Path(path) for _, path in changes if not (path in created and not os.path.lexists(path))}
            if saved:
                return saved


class SourceFilter(watchfiles.DefaultFilter):
    """watchfiles' defaults (no __pycache__, no .pyc, no swap or backup files), and no hidden files."""

    ignore_entity_patterns = (
        *watchfiles.DefaultFilter.ignore_entity_patterns,
        r"^\.",  # hidden: editors' locks and temporary copies, never a source of the site
    )


class LiveReload:
    """Build, serve, and rebuild on every save until Ctrl+C (see the module's description)."""

    def __init__(self, root, rebuild, folders, files, port):
        self.rebuild = rebuild
        self.folders, self.files = folders, files
        self.builds = Builds()
        self.port = port
        self.server = listen(port, functools.partial(LiveHandler, directory=str(root), builds=self.builds))

    def run(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        say(f"Serving http://{HOST}:{self.port}/ — each save rebuilds the site and reloads the browser; Ctrl+C stops.")
        try:
            with stopped_by_ctrl_c(), Watcher(self.folders, self.files) as watcher:
                self.build(set())
                while True:
                    self.build(watcher.next_batch())
        finally:
            self.server.shutdown()
            self.server.server_close()

    def build(self, changed):
        started = time.monotonic()
        try:
            result = self.rebuild(changed)
        except Exception as error:  # a crash in the build code must not stop the server: show it instead
            result = BuildResult(ok=False, log_tail=tuple("".join(traceback.format_exception(error)).splitlines()[-LOG_TAIL_LINES:]))
        seconds = f"{time.monotonic() - started:.1f} s"
        self.builds.record(result)
        what = f" ({describe(changed)})" if changed else ""
        if result.ok:
            say(f"{'rebuilt' if changed else 'built'} in {seconds}{what}")
            return
        for line in result.problems or result.log_tail:
            say(line)
        advice = "fix the problems above and save" if result.problems else "the lines above say why"
        say(f"build failed in {seconds}{what}: {advice}; the browser shows them too")


def describe(paths):
    """The changed files as the editor knows them: from the current folder, the first and how many more."""
    names = sorted(os.path.relpath(path) for path in paths)
    return names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")


def say(line):
    print(line, flush=True)
