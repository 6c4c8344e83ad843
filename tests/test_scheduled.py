"""Scheduled news items (laceps.plugins.scheduled): an item dated later than the build's clock is in
no part of a production build until that date and time, in the site's time zone; local builds show
it marked "Scheduled for <date>". The clock is the NOW setting, fixed here."""

import gzip
import re
from datetime import timedelta

import pytest
import yaml
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, site
from laceps.plugins.scheduled import build_time
from tests.content_copy import build, copy_content

# EDITING.md's example, "Schedule a news item": 9 in the morning in Los Angeles (TIMEZONE), 17:00 UTC.
SCHEDULED_ITEM = re.search(r"<!-- scheduled-example[^>]*-->\n```markdown\n(.*?)```", (PROJECT_ROOT / "EDITING.md").read_text(encoding="utf-8"), re.DOTALL)[1]
# A coverage link and no text: listed only, never a page of its own.
SCHEDULED_LINK = """\
Title: A sample scheduled coverage
Date: 2030-01-16
Category: News Stories
Source: LACEPS
Link: https://example.org/sample-scheduled-coverage
"""
PAGE = "news/2030/a-sample-scheduled-press-release/index.html"
BEFORE, AT = "2030-01-15T08:59", "2030-01-16T00:00"  # a minute before the release; the day of the coverage


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scheduled")
    content = copy_content(folder)
    (content / "news/2030-01-15-sample-scheduled-press-release.md").write_text(SCHEDULED_ITEM, encoding="utf-8")
    (content / "news/2030-01-16-sample-scheduled-coverage.md").write_text(SCHEDULED_LINK, encoding="utf-8")
    return {
        "before": build(content, folder / "before", extra={"NOW": BEFORE}),
        "at": build(content, folder / "at", extra={"NOW": AT}),
        "local": build(content, folder / "local", production=False, extra={"NOW": BEFORE}),
    }


def site_text(output):
    """Every page, feed and sitemap of a build, and what its search index holds, as one text."""
    texts = [path.read_text(encoding="utf-8") for path in output.rglob("*") if path.suffix in (".html", ".xml", ".txt")]
    texts += [gzip.decompress(path.read_bytes()).decode("utf-8") for path in (output / "pagefind/fragment").iterdir()]
    return "\n".join(texts).lower()


def test_before_its_time_production_has_no_trace_of_a_scheduled_item(builds):
    output = builds["before"]
    assert not (output / PAGE).exists()
    text = site_text(output)
    assert "sample scheduled" not in text  # no page, list entry, feed entry, sitemap URL or search result
    assert "scheduled for" not in text
    assert (output / "feeds/all.atom.xml").is_file() and (output / "sitemap.xml").is_file()  # both were looked at


def test_from_its_time_on_the_item_is_everywhere(builds):
    output = builds["at"]
    assert "The text of a sample scheduled" in (output / PAGE).read_text(encoding="utf-8")
    for listing in ("news/index.html", "news/press-releases/index.html", "feeds/all.atom.xml", "feeds/press-releases.atom.xml"):
        assert "/news/2030/a-sample-scheduled-press-release/" in (output / listing).read_text(encoding="utf-8"), listing
    assert "https://example.org/sample-scheduled-coverage" in (output / "news/news-stories/index.html").read_text(encoding="utf-8")
    assert "/news/2030/a-sample-scheduled-press-release/" in (output / "sitemap.xml").read_text(encoding="utf-8")
    assert "a sample scheduled press release" in site_text(output)  # in the search index too
    assert "scheduled for" not in site_text(output)


def test_locally_a_scheduled_item_is_shown_where_it_will_be_and_marked(builds):
    output = builds["local"]
    page = (output / PAGE).read_text(encoding="utf-8")
    assert '<p class="draft-banner"><strong>Scheduled for January 15, 2030</strong>' in page
    for listing, slug, date in (
        ("news/index.html", "a-sample-scheduled-press-release", "January 15, 2030"),
        ("news/news-stories/index.html", "a-sample-scheduled-coverage", "January 16, 2030"),
    ):
        html = (output / listing).read_text(encoding="utf-8")
        entry = html[html.index(f'id="{slug}"'):]
        entry = entry[: entry.index("</li>")]
        assert f'<span class="draft-label">Scheduled for {date}</span>' in entry, listing
    spanish = (output / "es/news/index.html").read_text(encoding="utf-8")
    assert "Programado para el 15 de enero de 2030" in spanish


def test_published_items_are_not_marked(builds):
    assert (builds["local"] / "news/index.html").read_text(encoding="utf-8").count("Scheduled for") == 2  # the two above


def test_the_clock_reads_dates_in_the_sites_time_zone():
    settings = read_settings(str(site.DEV_SETTINGS), override={"NOW": BEFORE})
    assert build_time(settings).utcoffset() == timedelta(hours=-8)  # Los Angeles in January
    assert build_time(read_settings(str(site.DEV_SETTINGS))).tzinfo is not None  # the real clock, in the same zone


def test_the_publish_workflow_also_runs_every_hour():
    """So an item goes live within the hour after its time, with no one merging anything."""
    triggers = yaml.safe_load((PROJECT_ROOT / ".github/workflows/publish.yml").read_text(encoding="utf-8"))[True]  # `on`
    assert triggers["push"] == {"branches": ["main"]}
    [schedule] = triggers["schedule"]
    minute, *every = schedule["cron"].split()
    assert minute.isdigit() and every == ["*", "*", "*", "*"]
