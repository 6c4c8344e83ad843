"""Incremental equals clean: after every save, the resident build of `invoke livereload`
(laceps.incremental) leaves the output byte for byte as a clean build of the same sources would,
search index included.

A fixed seed orders a sequence of saves on a copy of the real site (11 news items, the pages, the
data, the theme, a settings file): news edited, retitled, added, translated, renamed and deleted,
a page and a data file edited, a page that others link to moved, a template and a setting
changed: each kind at least once. The clock is fixed (NOW).
"""

import random
import re
import shutil

import pytest
import yaml

from laceps import PROJECT_ROOT, site
from laceps.build import Failed
from laceps.incremental import ResidentBuild
from tests.reference_build import files

SEED = 14
MORE_SAVES = 6  # drawn at random, beyond one of each kind
SECTIONS = ("News Stories", "Press Releases", "Opinion Editorials")
SETTINGS = """\
import sys
sys.path.insert(0, {root!r})
from pelicanconf import *  # noqa: F403
THEME = {theme!r}
DEFAULT_PAGINATION = {per_page}
"""


class Sources:
    """A copy of the site's sources, and the saves a person makes to it: each returns the paths saved."""

    def __init__(self, folder, rng):
        self.folder, self.rng = folder, rng
        self.content, self.theme = folder / "content", folder / "theme"
        shutil.copytree(site.CONTENT, self.content)
        shutil.copytree(PROJECT_ROOT / "theme", self.theme)
        self.settings = folder / "site_settings.py"
        self.added = []  # items the test made: the ones it may rename or delete (no page links to them)
        self.change_settings()

    def news(self):
        return sorted((self.content / "news").glob("*.md"))

    def edit_news(self):
        item = self.rng.choice(self.news())
        item.write_text(item.read_text(encoding="utf-8") + f"\nA sentence saved at step {self.rng.random():.6f}.\n", encoding="utf-8")
        return [item]

    def retitle_news(self):
        item = self.rng.choice(self.news())
        lines = item.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[0] = f"Title: Retitled item {self.rng.randrange(10_000)}\n"
        item.write_text("".join(lines), encoding="utf-8")
        return [item]

    def add_news(self, year=2024, section=None):
        """An item newer than the others (year: older than them), in a section drawn at random."""
        number = self.rng.randrange(10_000)
        day = f"{year}-{self.rng.randrange(1, 13):02}-{self.rng.randrange(1, 29):02}"
        body = f"\nWhat happened, in a few words ({number}).\n" if self.rng.random() < 0.7 else ""
        item = self.content / "news" / f"{day}-added-{number}.md"
        header = f"Title: Added item {number}\nDate: {day}\nCategory: {section or self.rng.choice(SECTIONS)}\nSource: Member network {number % 9}\n"
        item.write_text(header + body, encoding="utf-8")
        self.added.append(item)
        return [item]

    def translate_news(self):
        """A Spanish version of an added item (the same Slug): each links to the other."""
        originals = [item for item in self.added if "-es" not in item.stem]
        if not originals:
            return self.add_news()
        original = self.rng.choice(originals)
        number = original.stem.rsplit("-", 1)[1]
        lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[0] = f"Title: Artículo añadido {number}\nSlug: added-item-{number}\nLang: es\n"
        translation = original.with_name(f"{original.stem}-es.md")
        translation.write_text("".join(lines), encoding="utf-8")
        self.added.append(translation)
        return [translation]

    def rename_news(self):
        if not self.added:
            return self.add_news()
        item = self.added.pop(self.rng.randrange(len(self.added)))
        renamed = item.with_name(f"renamed-{self.rng.randrange(10_000)}-{item.name}")
        item.rename(renamed)
        self.added.append(renamed)
        return [item, renamed]

    def delete_news(self):
        if not self.added:
            return self.add_news()
        item = self.added.pop(self.rng.randrange(len(self.added)))
        item.unlink()
        return [item]

    def edit_page(self):
        page = self.rng.choice(sorted((self.content / "pages").glob("*.md")))
        page.write_text(page.read_text(encoding="utf-8") + f"\nA paragraph saved at step {self.rng.randrange(10_000)}.\n", encoding="utf-8")
        return [page]

    def move_linked_page(self):
        """About Us at another address: the pages that link to it ({filename}) link there."""
        page = self.content / "pages" / "about-us.md"
        lines = [line for line in page.read_text(encoding="utf-8").splitlines(keepends=True) if not line.startswith("Slug:")]
        page.write_text(f"Slug: about-us-{self.rng.randrange(10_000)}\n" + "".join(lines), encoding="utf-8")
        return [page]

    def edit_data(self):
        data = self.content / "data" / "site.yaml"
        values = yaml.safe_load(data.read_text(encoding="utf-8"))
        values["figures"]["schools"] += 1
        data.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
        return [data]

    def edit_template(self):
        footer = self.theme / "templates" / "partials" / "footer.html"
        footer.write_text(footer.read_text(encoding="utf-8") + f"<!-- saved {self.rng.randrange(10_000)} -->\n", encoding="utf-8")
        return [footer]

    def change_settings(self, per_page=None):
        text = self.SETTINGS.format(root=str(PROJECT_ROOT), theme=str(self.theme), per_page=per_page or self.rng.choice((2, 3, 10)))
        self.settings.write_text(text, encoding="utf-8")
        return [self.settings]

    SETTINGS = SETTINGS  # the development build's, as `invoke livereload` builds
    SAVES = (edit_news, edit_news, retitle_news, add_news, add_news, translate_news, rename_news, delete_news,
             edit_page, move_linked_page, edit_data, edit_template, change_settings)


EXTRA = {"LIVERELOAD": True, "NOW": "2026-01-01T00:00:00"}


def clean_build(sources, folder):
    output = folder / "output"
    site.build(settings=sources.settings, output=output, content=sources.content, extra={**EXTRA, "CACHE_PATH": str(folder / "cache")}, quiet=True)
    return output


def resident_build(sources, folder):
    return ResidentBuild(sources.settings, sources.content, folder / "resident", {**EXTRA, "CACHE_PATH": str(folder / "resident-cache")})


def assert_built_as_clean(resident, sources, saved, folder, step):
    """The resident build after the saves of `saved`, tidied and indexed as livereload does, writes
    what a clean build of the same sources writes."""
    try:
        resident.build(saved)
    except Failed as failure:
        pytest.fail(f"step {step}, after saving {saved}:\n{failure.log}")
    resident.finish()
    resident.wait_for_search()
    expected = files(clean_build(sources, folder / f"clean-{step}"))
    got = files(resident.output)
    assert sorted(set(expected) ^ set(got)) == [], (step, saved)
    assert [path for path in expected if expected[path] != got[path]] == [], (step, saved)


def test_after_each_save_the_incremental_output_is_the_clean_one(tmp_path):
    rng = random.Random(SEED)
    sources = Sources(tmp_path / "sources", rng)
    resident = resident_build(sources, tmp_path)
    plan = [*Sources.SAVES, *(rng.choice(Sources.SAVES) for _ in range(MORE_SAVES))]
    rng.shuffle(plan)
    saved = []
    for step, save in enumerate([*plan, None]):
        assert_built_as_clean(resident, sources, saved, tmp_path, step)
        if save:
            saved = save(sources)


def test_an_item_older_than_its_section_changes_the_count_on_its_every_page(tmp_path):
    """One item a page: the oldest item of a section (of several pages) goes on a page of its own,
    last; the pages before it show the same items as before, and one page more in all."""
    sources = Sources(tmp_path / "sources", random.Random(SEED))
    sources.change_settings(per_page=1)
    resident = resident_build(sources, tmp_path)
    assert_built_as_clean(resident, sources, [], tmp_path, "before")
    assert_built_as_clean(resident, sources, sources.add_news(year=2001, section="News Stories"), tmp_path, "after")


def test_saves_that_fail_the_build_then_their_fixes(tmp_path):
    """A save the checks refuse (an empty Title), and one Pelican stops on while it writes (a page's
    Template that does not exist): each fails, and once fixed, the output is the clean one."""
    sources = Sources(tmp_path / "sources", random.Random(SEED))
    resident = resident_build(sources, tmp_path)
    assert_built_as_clean(resident, sources, [], tmp_path, "before")
    item, page = sources.news()[0], sources.content / "pages" / "about-us.md"
    for step, (path, line, broken) in enumerate([(item, r"Title: .*", "Title:"), (page, r"Template: .*", "Template: no-such-template")]):
        original = path.read_text(encoding="utf-8")
        path.write_text(re.sub(line, broken, original, count=1), encoding="utf-8")
        with pytest.raises(Failed):
            resident.build([path])
        path.write_text(original + f"\nFixed at step {step}.\n", encoding="utf-8")
        assert_built_as_clean(resident, sources, [path], tmp_path, f"fixed {step}")
