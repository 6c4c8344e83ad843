"""What a build keeps of Pelican's repeated work (laceps.memo, and the files' status in
laceps.build.ReaderCaches) gives Pelican's own values, and lasts one build only."""

import collections
from zoneinfo import ZoneInfo

from pelican import contents, urlwrappers
from pelican.contents import Content
from pelican.utils import SafeDatetime, slugify

from laceps import cache_files, memo, site

SUBSTITUTIONS = [(r"[^\w\s-]", ""), (r"(?u)\A\s*", ""), (r"(?u)\s*\Z", ""), (r"[-\s]+", "-")]


def test_slugs_are_pelicans_and_pelican_is_itself_again_after_the_build():
    names = ["News Stories", "Artículos de Opinión", "Press  Releases!", "news stories"]
    expected = [slugify(name, SUBSTITUTIONS, preserve_case=case) for name in names for case in (False, True)]
    with memo.remembering():
        assert urlwrappers.slugify is not slugify and contents.slugify is urlwrappers.slugify
        for _ in range(2):  # worked out, then remembered
            assert [urlwrappers.slugify(name, SUBSTITUTIONS, preserve_case=case) for name in names for case in (False, True)] == expected
    assert urlwrappers.slugify is slugify and contents.slugify is slugify
    assert Content.get_relative_source_path is memo.PELICANS["relative_source_path"]


def test_a_build_takes_each_files_status_once(tmp_path, monkeypatch):
    """Pelican asks a file's stamp four times a build (twice in each language's pass)."""
    asked = collections.Counter()
    status = cache_files.status
    monkeypatch.setattr(cache_files, "status", lambda path: asked.update([path]) or status(path))
    site.build(settings=site.PRODUCTION_SETTINGS, output=tmp_path / "output", extra={"CACHE_PATH": str(tmp_path / "cache")}, quiet=True)
    news = [path for path in asked if "/news/" in path]
    assert len(news) > 10
    assert set(asked.values()) == {1}


def test_a_sections_items_answer_in_as_their_list_does():
    items = [object() for _ in range(6)]
    members = memo.Members(items[:4])
    assert [item in members for item in items] == [True] * 4 + [False] * 2
    assert members == items[:4] and list(members) == items[:4]


def test_a_date_is_written_in_its_own_zone_and_the_locale_of_the_moment():
    utc = SafeDatetime(2024, 3, 5, 10, 0, tzinfo=ZoneInfo("UTC"))
    los_angeles = utc.astimezone(ZoneInfo("America/Los_Angeles"))  # the same instant: equal dates
    expected = [date.strftime("%A %-d %B %Y, %H:%M %Z") for date in (utc, los_angeles)]
    with memo.remembering():
        assert [date.strftime("%A %-d %B %Y, %H:%M %Z") for date in (utc, los_angeles) * 2] == expected * 2
    assert SafeDatetime.strftime is memo.PELICANS["strftime"]
