"""`invoke new` (laceps.scaffold): every kind of new content, its FILL IN markers, and no overwriting."""

import subprocess
import sys
import time
from datetime import date

import pytest
import yaml
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, site
from laceps.checks import check_content
from laceps.scaffold import SLUG_MAX_BYTES, ScaffoldError, new
from tests.content_copy import copy_content, make_photo

TODAY = date(2026, 1, 15)


@pytest.fixture
def content(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name files from the project folder, as `invoke new` does
    return copy_content(tmp_path)


def problems(content):
    return [str(problem) for problem in check_content(read_settings(str(site.DEV_SETTINGS), override={"PATH": str(content)}))]


def files(content):
    """Every file under content/ with its bytes: what must not change when `invoke new` refuses."""
    return {path: path.read_bytes() for path in content.rglob("*") if path.is_file()}


def fill_in_problem(path, line, field):
    fix = "replace the FILL IN text with the real information (or delete the line if the field is optional)"
    return f"{path}:{line}: {field} still says FILL IN — {fix}"


def test_a_news_item_has_todays_date_its_section_and_fill_in_markers(content):
    message = new("Sample Press Release: Title", section="press-releases", content=content, today=TODAY)
    path = "content/news/2026-01-15-sample-press-release-title.md"
    assert message == f"Created {path}: replace each FILL IN, then run `invoke check`."
    text = (content.parent / path).read_text()
    assert text.splitlines()[:5] == [
        "Title: Sample Press Release: Title",
        "Date: 2026-01-15",
        "Category: Press Releases",
        "Source: FILL IN — the member network, or LACEPS",
        "Lang: en",
    ]
    body = "write the text you mean here, or delete the line"
    assert problems(content) == [
        fill_in_problem(path, 4, "Source"),
        fill_in_problem(path, 6, "Summary"),
        fill_in_problem(path, 7, "Link"),
        f"{path}:9: this line still says FILL IN — {body}",
    ]
    # Filled in (or the optional lines deleted), it passes.
    filled = [line for line in text.splitlines() if "FILL IN" not in line or line.startswith("Source")]
    (content.parent / path).write_text("\n".join(filled).replace("FILL IN — the member network, or LACEPS", "LACEPS") + "\n")
    assert problems(content) == []


@pytest.mark.parametrize("section, category", [
    ("news-stories", "News Stories"),
    ("opinion-editorials", "Opinion Editorials"),
    ("Press Releases", "Press Releases"),  # as the site shows it
    ("news stories", "News Stories"),
    ("OPINION-EDITORIALS", "Opinion Editorials"),
])
def test_each_section_can_be_chosen_by_its_name_or_its_slug_in_any_case(content, section, category):
    new("Sample title", section=section, content=content, today=TODAY)
    assert f"Category: {category}\n" in (content / "news/2026-01-15-sample-title.md").read_text()


def test_date_sets_the_items_date_and_its_file_name(content):
    message = new("Sample title", section="news-stories", date="2025-12-31", content=content, today=TODAY)
    assert message.startswith("Created content/news/2025-12-31-sample-title.md:")
    assert "Date: 2025-12-31\n" in (content / "news/2025-12-31-sample-title.md").read_text()


@pytest.mark.parametrize("typed", ["1/15/26", "2026-02-30", "20260115", "2026-1-5", "2026-W03-4", "today"])
def test_a_date_that_is_not_yyyy_mm_dd_is_refused(content, typed):
    before = files(content)
    with pytest.raises(ScaffoldError) as refused:
        new("Sample title", section="news-stories", date=typed, content=content, today=TODAY)
    assert refused.value.message == f'invoke new: --date "{typed}" is not a date: write it as YYYY-MM-DD, e.g. 2026-01-15'
    assert files(content) == before


def test_date_is_only_for_news_items(content):
    with pytest.raises(ScaffoldError) as refused:
        new("Sample Page", page=True, date="2026-01-15", content=content)
    assert refused.value.message == "invoke new: --date is for a news item: use it with --section"


def test_a_page(content):
    assert new("Sample Page", page=True, content=content) == (
        "Created content/pages/sample-page.md: replace each FILL IN, then run `invoke check`."
    )
    assert (content / "pages/sample-page.md").read_text().startswith("Title: Sample Page\nSummary: FILL IN")


def test_a_member_is_appended_and_the_comments_are_kept(content):
    before = (content / "data/members.yaml").read_text()
    assert new("Example Charter Network", member=True, content=content) == (
        "Added Example Charter Network to content/data/members.yaml: replace each FILL IN, then run `invoke check`."
    )
    after = (content / "data/members.yaml").read_text()
    assert after == before + (
        "  - name: Example Charter Network\n"
        "    description: FILL IN — one or two sentences about the network, or delete this line\n"
        "    website: FILL IN — its https:// address, or delete this line\n"
        '    # Optional: to use a line below, delete its "# " (upload the logo into content/images/members/ first).\n'
        "    # logo: images/members/example-charter-network.png\n"
    )
    line = len(before.splitlines()) + 2
    assert problems(content) == [
        fill_in_problem("content/data/members.yaml", line, "description"),
        fill_in_problem("content/data/members.yaml", line + 1, "website"),
    ]


def test_the_first_team_member_turns_the_empty_list_into_entries(content):
    before = (content / "data/team.yaml").read_text()
    new("Full Name: Sample", team=True, content=content)
    after = (content / "data/team.yaml").read_text()
    assert after.startswith(before[: before.index("people: []")])  # the comments are kept
    people = yaml.safe_load(after)["people"]
    assert people == [{
        "name": "Full Name: Sample",  # quoted in the file, since it holds ": "
        "role": "FILL IN — their title at LACEPS",
        "email": "FILL IN — their work email address, or delete this line",
    }]
    new("Second Name", team=True, content=content)
    assert [person["name"] for person in yaml.safe_load((content / "data/team.yaml").read_text())["people"]] == [
        "Full Name: Sample", "Second Name"]


# What an editor writes in place of each FILL IN of a member or a team member.
REAL = {
    "description": "A network of schools.",
    "website": "https://example.org",
    "role": "Director",
    "email": "name@example.org",
    "bio": "A few words about them.",
}


@pytest.mark.parametrize("kind, list_name, image", [
    ("member", "members", "images/members/example-name.png"),
    ("team", "people", "images/team/example-name.jpg"),
])
def test_every_optional_field_is_written_and_counts_once_its_hash_is_deleted(content, kind, list_name, image):
    new("Example Name", content=content, **{kind: True})
    path = content / "data" / f"{list_name.replace('people', 'team')}.yaml"
    before, added = path.read_text().split("  - name: Example Name\n")
    schema = read_settings(str(site.DEV_SETTINGS))["DATA_SCHEMAS"][path.name][list_name]
    commented = [line.strip().removeprefix("# ").split(":")[0] for line in added.splitlines()]
    assert {field for field, rule in schema.items() if rule.endswith("?")} <= set(commented)
    assert f": {image}\n" in added  # named after the entry, in the folder the guide names

    # As the comment says: upload the image, delete the "# " of each optional line; then replace each FILL IN.
    make_photo(content / image, (800, 800))
    lines = []
    for line in added.splitlines():
        if "# Optional:" not in line:
            line = line.replace("    # ", "    ", 1)
            field = line.split(":")[0].strip()
            line = f"    {field}: {REAL[field]}" if "FILL IN" in line else line
        lines.append(line)
    path.write_text(before + "  - name: Example Name\n" + "\n".join(lines) + "\n")
    assert set(yaml.safe_load(path.read_text())[list_name][-1]) == set(schema)
    assert problems(content) == []


@pytest.mark.parametrize("kind, name, error", [
    ({"page": True}, "About Us", "content/pages/about-us.md already exists; open it, or choose another title"),
    ({"section": "news-stories"}, "Graduados de escuelas preparatorias", None),
    ({"member": True}, "bright star schools", "content/data/members.yaml already lists bright star schools"),
])
def test_nothing_is_overwritten(content, kind, name, error):
    if "section" in kind:  # an item of the same title, on the same day
        new(name, content=content, today=TODAY, **kind)
        error = "content/news/2026-01-15-graduados-de-escuelas-preparatorias.md already exists; open it, or choose another title"
    before = files(content)
    with pytest.raises(ScaffoldError) as refused:
        new(name, content=content, today=TODAY, **kind)
    assert refused.value.message == f"invoke new: {error}"
    assert refused.value.code == 1
    assert files(content) == before


@pytest.mark.parametrize("kind, name, error", [
    ({"page": True}, "!!!", "this title has no letters or digits to name a file after: write it in words"),
    ({"section": "news-stories"}, "— ---", "this title has no letters or digits to name a file after: write it in words"),
    ({"team": True}, "😀", "this name has no letters or digits to name a file after: write it in words"),
    ({"page": True}, "x" * (SLUG_MAX_BYTES + 1),
     f"this title is too long to name a file after (it makes {SLUG_MAX_BYTES + 1} characters; at most {SLUG_MAX_BYTES}): shorten it"),
    ({"member": True}, "Network " * 40,
     f"this name is too long to name a file after (it makes 319 characters; at most {SLUG_MAX_BYTES}): shorten it"),
])
def test_a_name_that_cannot_name_a_file_is_refused(content, kind, name, error):
    before = files(content)
    with pytest.raises(ScaffoldError) as refused:
        new(name, content=content, today=TODAY, **kind)
    assert refused.value.message == f"invoke new: {error}"
    assert files(content) == before


def test_the_longest_title_allowed_makes_a_file(content):
    title = "x" * SLUG_MAX_BYTES
    new(title, section="news-stories", content=content, today=TODAY)
    assert (content / f"news/2026-01-15-{title}.md").is_file()


@pytest.mark.parametrize("damage", [
    lambda path: path.write_text("members: [\n"),  # not YAML
    lambda path: path.write_bytes(b"members:\n  - name: Caf\xe9\n"),  # not UTF-8
    lambda path: path.write_text("# the list is gone\n"),
    lambda path: path.unlink(),
])
def test_a_data_file_that_cannot_be_read_is_named_not_a_traceback(content, damage):
    damage(content / "data/members.yaml")
    with pytest.raises(ScaffoldError) as refused:
        new("Example Charter Network", member=True, content=content)
    assert refused.value.message == (
        "invoke new: could not read content/data/members.yaml: run `invoke check` to see what to fix there"
    )


def test_aliases_in_a_data_file_are_never_expanded(content):
    """A "billion laughs" file (each alias ten of the one before) would take hours and gigabytes to expand."""
    bomb = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    bomb += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    path = content / "data/members.yaml"
    path.write_text("\n".join(bomb) + "\n" + path.read_text())
    started = time.monotonic()
    new("Example Charter Network", member=True, content=content)
    assert time.monotonic() - started < 2
    assert "  - name: Example Charter Network\n" in path.read_text()


def test_the_image_folders_the_guide_names_exist_and_publish_nothing_of_their_own(built_site):
    """Editors upload logos and photos on GitHub into these folders; a README in each says what goes there."""
    guide = (PROJECT_ROOT / "EDITING.md").read_text(encoding="utf-8")
    for folder in ("members", "team"):
        assert f"content/images/{folder}/" in guide
        readme = PROJECT_ROOT / "content/images" / folder / "README.md"
        assert f"content/images/{folder}/" in readme.read_text(encoding="utf-8")
    assert not list(built_site.rglob("README*"))


@pytest.mark.parametrize("arguments, error", [
    (["Sample title"], "invoke new: say what to create: --section SECTION, --page, --member or --team (just one)"),
    (["Sample title", "--page", "--member"], "invoke new: say what to create: --section SECTION, --page, --member or --team (just one)"),
    (["Sample title", "--section", "events"],
     'invoke new: there is no news section "events"; use one of: "News Stories", "Press Releases", "Opinion Editorials"'),
    (["Sample title", "--section", "News Stories", "--date", "1/15/26"],
     'invoke new: --date "1/15/26" is not a date: write it as YYYY-MM-DD, e.g. 2026-01-15'),
    (["!!!", "--page"], "invoke new: this title has no letters or digits to name a file after: write it in words"),
    (["Word " * 2000, "--section", "news-stories"],
     "invoke new: this title is too long to name a file after (it makes 9999 characters; at most 150): shorten it"),
])
def test_the_task_refuses_with_one_line_and_a_non_zero_exit(arguments, error):
    result = subprocess.run([sys.executable, "-m", "invoke", "new", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == error + "\n"
