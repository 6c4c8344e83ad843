"""The Content-Security-Policy: forbids inline scripts and every other origin, allows inline styles
only by hash; on every page as a meta tag, and as a header for hosts that read a `_headers` file
(only a header can forbid framing: frame-ancestors). Chromium proves it in test_browser."""

import re
import urllib.request

import lxml.html

from conftest import page_file
from laceps.serve_static import read_headers_file

# The only source expressions a policy may use: this origin, nothing, a hash, and WebAssembly
# compilation (Pagefind's search). No hosts, schemes, wildcards, 'unsafe-inline' or nonces.
ALLOWED_SOURCES = re.compile(r"^'(self|none|wasm-unsafe-eval|sha(256|384|512)-[A-Za-z0-9+/=]+)'$")


def directives(policy):
    """{directive: [source, ...]} of a CSP string."""
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name.lower()] = sources
    return parsed


def loose_sources(policy):
    return {
        f"{name} {source}"
        for name, sources in directives(policy).items()
        if name not in ("frame-ancestors", "base-uri", "form-action")  # these only ever say 'none' here
        for source in sources
        if not ALLOWED_SOURCES.match(source)
    }


def test_page_carries_a_strict_policy(served_site, site_page):
    document = lxml.html.parse(str(page_file(served_site.root, site_page)))
    policies = document.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    assert len(policies) == 1, f"{len(policies)} CSP meta tags"
    policy = directives(policies[0])
    assert policy.get("default-src") == ["'none'"], policies[0]
    assert "frame-ancestors" not in policy, "frame-ancestors is ignored (with a console error) in a meta tag"
    assert not loose_sources(policies[0]), loose_sources(policies[0])


def test_headers_file_sets_the_policy_and_forbids_framing(served_site):
    rules = dict(read_headers_file(served_site.root / "_headers"))
    headers = dict(rules["/*"])
    policy = headers["Content-Security-Policy"]
    assert directives(policy)["frame-ancestors"] == ["'none'"]
    assert directives(policy)["default-src"] == ["'none'"]
    assert not loose_sources(policy), loose_sources(policy)
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_served_pages_get_the_headers(served_site):
    with urllib.request.urlopen(served_site.url + "/about-us/") as response:
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
