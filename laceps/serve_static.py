"""Serve a production build on loopback the way its static host would, for the browser
tests and `invoke audit`: links point at the local server, and the `_headers` file applies."""

import contextlib
import fnmatch
import functools
import http.server
import socket
import threading
from pathlib import Path

from laceps import site


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def read_headers_file(path):
    """The rules of a Netlify / Cloudflare Pages `_headers` file: [(path pattern, [(name, value)])]; a
    `! Name` line, which detaches a header that earlier rules gave (Cloudflare Pages), is (name, None)."""
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            entry = line.strip()
            if entry.startswith("!"):
                rules[-1][1].append((entry[1:].strip(), None))
            else:
                name, _, value = entry.partition(":")
                rules[-1][1].append((name.strip(), value.strip()))
        else:
            rules.append((line.strip(), []))
    return rules


def headers_for_path(rules, path):
    """The headers the rules give a path, as Cloudflare Pages applies them: every matching rule's, in
    order ("*" matches across folders), each `! Name` dropping what the rules before it gave."""
    headers = []
    for pattern, rule in rules:
        if fnmatch.fnmatchcase(path, pattern):
            detached = {name.lower() for name, value in rule if value is None}
            headers = [(name, value) for name, value in headers if name.lower() not in detached]
            headers += [(name, value) for name, value in rule if value is not None]
    return headers


class StaticHostHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files quietly, adding the headers the `_headers` rules give each path."""

    def __init__(self, *args, header_rules, **kwargs):
        self.header_rules = header_rules
        super().__init__(*args, **kwargs)

    def end_headers(self):
        for name, value in headers_for_path(self.header_rules, self.path.split("?", 1)[0]):
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, *args):
        pass


class SiteServer:
    """A static file server for a built site, on a loopback port, in a background thread."""

    def __init__(self, root: Path, port: int):
        self.root = Path(root)
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        headers_file = self.root / "_headers"
        handler = functools.partial(
            StaticHostHandler,
            directory=str(self.root),
            header_rules=read_headers_file(headers_file) if headers_file.exists() else [],
        )
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def serve_production_build(output, cache):
    """Build the production site into `output`, its links pointing at a loopback server, and serve it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    site.build(
        settings=site.PRODUCTION_SETTINGS,
        output=output,
        extra={"CACHE_PATH": str(cache), "SITEURL": url, "FEED_DOMAIN": url},
        quiet=True,
    )
    with SiteServer(output, port) as server:
        yield server
