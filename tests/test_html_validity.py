"""Every page is valid HTML (the Nu Html Checker, vnu-jar from npm, on the machine's Java), the
stylesheet and icon are valid, the feeds are valid Atom (RFC 4287), and the sitemap is valid
against the sitemaps.org schema."""

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree

from conftest import page_file
from laceps import toolchain

SITEMAP_SCHEMA = Path(__file__).parent / "schemas" / "sitemap-with-languages.xsd"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC_3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

# Nu Html Checker messages that are not problems here, and why.
NOT_PROBLEMS = (
    # Deliberate: Safari with VoiceOver drops the list semantics of lists styled `list-style: none`.
    re.compile(r"^The “list” role is unnecessary for element “ul”\.$"),
    # vnu judges the CSP from file: URLs, where 'self' matches nothing, and counts the JSON-LD
    # data block as a script, which browsers neither run nor block. test_browser proves the
    # real policy in Chromium.
    re.compile(r"violates Content Security Policy"),
)


def matters(message):
    return not any(pattern.search(message["message"]) for pattern in NOT_PROBLEMS)


@pytest.fixture(scope="session")
def nu_report(served_site):
    """The checker's messages for every page, the stylesheet and the icon: {file: [message]}.
    One run for all files: the JVM takes seconds to start."""
    java = toolchain.java()
    vnu = toolchain.require(toolchain.VNU)
    root = served_site.root
    files = [*root.rglob("*.html"), *root.glob("theme/*.css"), *root.glob("*.svg")]
    result = subprocess.run(
        [java, "-jar", str(vnu), "--format", "json", "--also-check-css", "--also-check-svg", *map(str, files)],
        capture_output=True,
        text=True,
    )
    report = {file.resolve(): [] for file in files}
    for message in json.loads(result.stderr)["messages"]:  # vnu writes its JSON report on stderr
        file = Path(unquote(urlsplit(message.get("url", "")).path)).resolve()
        report.setdefault(file, []).append(message)
    return {file: [m for m in messages if matters(m)] for file, messages in report.items()}


def describe(messages):
    return "\n".join(
        f"  line {m.get('lastLine', '?')}: {m['type']}/{m.get('subType', '')}: {m['message']}" for m in messages
    )


def test_page_is_valid_html(served_site, nu_report, site_page):
    messages = nu_report[page_file(served_site.root, site_page).resolve()]
    assert not messages, f"Nu Html Checker on {site_page}:\n{describe(messages)}"


def test_stylesheet_and_icon_are_valid(served_site, nu_report):
    assets = [*served_site.root.glob("theme/*.css"), *served_site.root.glob("*.svg")]
    problems = {str(file.relative_to(served_site.root)): nu_report[file.resolve()] for file in assets}
    assert assets and not any(problems.values()), problems


def test_checker_read_every_file(nu_report, served_site):
    """A file the checker could not read, or a message about no file, is a failure too."""
    strays = {file: messages for file, messages in nu_report.items() if served_site.root.resolve() not in file.parents}
    assert not strays, strays


def element_problems(element, where):
    """RFC 4287's rules for what feeds and entries share: one id, title and updated; named authors."""
    problems = []
    for name in ("id", "title", "updated"):
        if len(element.findall(ATOM + name)) != 1:
            problems.append(f"{where}: needs exactly one atom:{name}")
    id_ = element.findtext(ATOM + "id") or ""
    if not urlsplit(id_).scheme:
        problems.append(f"{where}: atom:id {id_!r} is not an absolute IRI")
    for name in ("updated", "published"):
        for date in element.findall(ATOM + name):
            if not RFC_3339.match(date.text or ""):
                problems.append(f"{where}: atom:{name} {date.text!r} is not an RFC 3339 date")
    for author in element.findall(ATOM + "author"):
        names = author.findall(ATOM + "name")
        if len(names) != 1 or not (names[0].text or "").strip():
            problems.append(f"{where}: an atom:author needs exactly one non-empty atom:name")
    for link in element.findall(ATOM + "link"):
        if not urlsplit(link.get("href", "")).scheme:
            problems.append(f"{where}: atom:link href {link.get('href')!r} is not absolute")
    return problems


def atom_problems(path):
    """What breaks RFC 4287 (sections 4.1.1 and 4.1.2) in an Atom feed file."""
    feed = etree.parse(str(path)).getroot()
    if feed.tag != ATOM + "feed":
        return [f"the root element is {feed.tag}, not atom:feed"]
    problems = element_problems(feed, "feed")
    if not feed.findall(f"{ATOM}link[@rel='self']"):
        problems.append("feed: no atom:link rel='self'")
    feed_has_author = feed.find(ATOM + "author") is not None
    ids = [entry.findtext(ATOM + "id") for entry in feed.iter(ATOM + "entry")]
    if len(ids) != len(set(ids)):
        problems.append("feed: entry ids are not unique")
    for number, entry in enumerate(feed.iter(ATOM + "entry"), start=1):
        where = f"entry {number}"
        problems += element_problems(entry, where)
        if not feed_has_author and entry.find(ATOM + "author") is None:
            problems.append(f"{where}: no atom:author, and the feed has none")
        alternates = [link for link in entry.findall(ATOM + "link") if link.get("rel", "alternate") == "alternate"]
        if entry.find(ATOM + "content") is None and not alternates:
            problems.append(f"{where}: without atom:content it needs an atom:link rel='alternate'")
    return problems


def test_feeds_are_valid_atom(served_site):
    feeds = sorted(served_site.root.glob("feeds/*.atom.xml"))
    assert feeds, "the production build writes no Atom feeds"
    problems = {feed.name: atom_problems(feed) for feed in feeds}
    assert not any(problems.values()), problems


def test_sitemap_is_valid_against_the_sitemaps_org_schema(served_site):
    schema = etree.XMLSchema(etree.parse(str(SITEMAP_SCHEMA)))
    sitemap = etree.parse(str(served_site.root / "sitemap.xml"))
    assert schema.validate(sitemap), "\n".join(str(error) for error in schema.error_log)
