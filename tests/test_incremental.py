"""Incremental equals clean: after every save, the resident build of `invoke livereload`
(laceps.incremental) leaves the output byte for byte as a clean build of the same sources would,
search index included.

A fixed seed orders a sequence of saves on a copy of the real site (11 news items, the pages, the
data, the theme, a settings file): news edited, retitled, added, renamed and deleted, a page and a
data file edited, a template and a setting changed: each kind at least once. The clock is fixed (NOW).
"""

import random
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

    def add_news(self):
        number = self.rng.randrange(10_000)
        day = f"2024-{self.rng.randrange(1, 13):02}-{self.rng.randrange(1, 29):02}"
        body = f"\nWhat happened, in a few words ({number}).\n" if self.rng.random() < 0.7 else ""
        item = self.content / "news" / f"{day}-added-{number}.md"
        header = f"Title: Added item {number}\nDate: {day}\nCategory: {self.rng.choice(SECTIONS)}\nSource: Member network {number % 9}\n"
        item.write_text(header + body, encoding="utf-8")
        self.added.append(item)
        return [item]

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

    def change_settings(self):
        text = SETTINGS.format(root=str(PROJECT_ROOT), theme=str(self.theme), per_page=self.rng.choice((2, 3, 10)))
        self.settings.write_text(text, encoding="utf-8")
        return [self.settings]

    SAVES = (edit_news, edit_news, retitle_news, add_news, add_news, rename_news, delete_news,
             edit_page, edit_data, edit_template, change_settings)


EXTRA = {"LIVERELOAD": True, "NOW": "2026-01-01T00:00:00"}


def clean_build(sources, folder):
    output = folder / "output"
    site.build(settings=sources.settings, output=output, content=sources.content, extra={**EXTRA, "CACHE_PATH": str(folder / "cache")}, quiet=True)
    return output


def test_after_each_save_the_incremental_output_is_the_clean_one(tmp_path):
    rng = random.Random(SEED)
    sources = Sources(tmp_path / "sources", rng)
    output = tmp_path / "resident"
    resident = ResidentBuild(sources.settings, sources.content, output, {**EXTRA, "CACHE_PATH": str(tmp_path / "resident-cache")})
    plan = [*Sources.SAVES, *(rng.choice(Sources.SAVES) for _ in range(MORE_SAVES))]
    rng.shuffle(plan)
    saved = []
    for step, save in enumerate([*plan, None]):
        try:
            resident.build(saved)
        except Failed as failure:
            pytest.fail(f"step {step}, after saving {saved}:\n{failure.log}")
        resident.finish()
        resident.wait_for_search()
        expected = files(clean_build(sources, tmp_path / f"clean-{step}"))
        got = files(output)
        assert sorted(set(expected) ^ set(got)) == [], (step, saved)
        assert [path for path in expected if expected[path] != got[path]] == [], (step, saved)
        if save:
            saved = save(sources)
