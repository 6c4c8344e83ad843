"""Shared fixtures: the real site, built once per test session.

`built_site` is the production build (publishconf.py, SITEURL https://lacfeps.org),
read as files. `served_site` is the same production build with SITEURL set to a
loopback server that serves it, for tests that open pages in Chromium.
"""

import contextlib
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from laceps import site, toolchain
from laceps.plugins.templating import canonical_path
from laceps.serve_static import serve_production_build
from tests.reading import ADMIN_PAGE, html_files


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("site")
    cache = tmp_path_factory.mktemp("site-cache")
    site.build(settings=site.PRODUCTION_SETTINGS, output=output, extra={"CACHE_PATH": str(cache)})
    return output


def html_pages(root):
    """Every built HTML page, as its path on the site: "/", "/about-us/", "/404.html"."""
    return ["/" + canonical_path(file) for file in html_files(root)]


def page_file(root, path):
    """The file behind a page's path on the site (see html_pages)."""
    return root / path.lstrip("/") / "index.html" if path.endswith("/") else root / path.lstrip("/")


SERVED_SITE = pytest.StashKey()


def served_production_site(config):
    """Build and serve once per session, at first need: collecting the per-page tests needs it."""
    if SERVED_SITE not in config.stash:
        stack = contextlib.ExitStack()
        config.add_cleanup(stack.close)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="served-site-")))
        config.stash[SERVED_SITE] = stack.enter_context(
            serve_production_build(folder / "output", cache=folder / "cache")
        )
    return config.stash[SERVED_SITE]


@pytest.fixture(scope="session")
def served_site(request):
    """The production build, with its links pointing at a loopback server that serves it."""
    return served_production_site(request.config)


def pytest_generate_tests(metafunc):
    """A test that takes `site_page` runs once per built HTML page, named by its path."""
    if "site_page" in metafunc.fixturenames:
        # Not the web editor's page, Decap's app: tests/test_cms.py checks it under its own policy.
        pages = html_pages(served_production_site(metafunc.config).root)
        metafunc.parametrize("site_page", [page for page in pages if page != "/" + canonical_path(ADMIN_PAGE)])


@pytest.fixture(scope="session")
def browser():
    """The machine's headless Chromium (laceps.toolchain), one for the whole session: Playwright runs one at a time."""
    executable = toolchain.chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=list(toolchain.CHROMIUM_FLAGS))
        yield browser
        browser.close()
