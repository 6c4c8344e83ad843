"""Shared fixtures: the real site, built once per test session.

`built_site` is the production build (publishconf.py, SITEURL https://lacfeps.org),
read as files. `served_site` is the same production build with SITEURL set to a
loopback server that serves it, for tests that open pages in Chromium.
"""

import functools
import http.server
import socket
import threading
from pathlib import Path

import pytest

from laceps import site

PRODUCTION_URL = "https://lacfeps.org"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_site(tmp_path_factory, name, **extra):
    output = tmp_path_factory.mktemp(name)
    cache = tmp_path_factory.mktemp(f"{name}-cache")
    site.build(settings=site.PRODUCTION_SETTINGS, output=output, extra={"CACHE_PATH": str(cache), **extra})
    return output


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory, "site")


class SiteServer:
    """A static file server for a built site, with the headers a CDN would add."""

    def __init__(self, root: Path, port: int):
        self.root = root
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        handler = functools.partial(QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served_site(tmp_path_factory):
    """The production build, with its links pointing at a loopback server that serves it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    output = build_site(tmp_path_factory, "served-site", SITEURL=url, FEED_DOMAIN=url)
    with SiteServer(output, port) as server:
        yield server
