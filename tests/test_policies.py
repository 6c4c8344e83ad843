"""Content-Security-Policy composition: extra permissions join a directive, never repeat it."""

from lxml import html

from laceps.plugins.templating import merge_policies
from tests.content_copy import build, copy_content


def test_merging_joins_sources_and_drops_none():
    merged = merge_policies(
        "default-src 'none'; script-src 'none'",
        "script-src 'self'; connect-src 'self'",
        "script-src 'self' 'unsafe-inline'",
    )
    assert merged == "default-src 'none'; script-src 'self' 'unsafe-inline'; connect-src 'self'"


def test_livereload_build_keeps_search_working(tmp_path):
    output = build(copy_content(tmp_path), tmp_path, production=False, extra={"LIVERELOAD": True})
    tree = html.fromstring((output / "search/index.html").read_bytes())
    policy = tree.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')[0]
    directives = [part.split()[0] for part in policy.split(";")]
    assert len(directives) == len(set(directives)), policy
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy
