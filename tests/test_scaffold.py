"""`invoke new` (laceps.scaffold): every kind of new content, its FILL IN markers, and no overwriting."""

import subprocess
import sys
from datetime import date

import pytest
import yaml
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, site
from laceps.checks import check_content
from laceps.scaffold import ScaffoldError, new
from tests.content_copy import copy_content

TODAY = date(2026, 1, 15)


@pytest.fixture
def content(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # messages name files from the project folder, as `invoke new` does
    return copy_content(tmp_path)


def problems(content):
    return [str(problem) for problem in check_content(read_settings(str(site.DEV_SETTINGS), override={"PATH": str(content)}))]


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


@pytest.mark.parametrize("section, category", [("news-stories", "News Stories"), ("opinion-editorials", "Opinion Editorials")])
def test_each_section_can_be_chosen(content, section, category):
    new("Sample title", section=section, content=content, today=TODAY)
    assert f"Category: {category}\n" in (content / "news/2026-01-15-sample-title.md").read_text()


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
        "    description: FILL IN — one or two sentences about the network\n"
        "    website: FILL IN — its https:// address, or delete this line\n"
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


@pytest.mark.parametrize("kind, name, error", [
    ({"page": True}, "About Us", "content/pages/about-us.md already exists; open it, or choose another title"),
    ({"section": "news-stories"}, "Graduados de escuelas preparatorias", None),
    ({"member": True}, "bright star schools", "content/data/members.yaml already lists bright star schools"),
])
def test_nothing_is_overwritten(content, kind, name, error):
    if "section" in kind:  # an item of the same title, on the same day
        new(name, content=content, today=TODAY, **kind)
        error = "content/news/2026-01-15-graduados-de-escuelas-preparatorias.md already exists; open it, or choose another title"
    files = {path: path.read_bytes() for path in content.rglob("*") if path.is_file()}
    with pytest.raises(ScaffoldError) as refused:
        new(name, content=content, today=TODAY, **kind)
    assert refused.value.message == f"invoke new: {error}"
    assert refused.value.code == 1
    assert {path: path.read_bytes() for path in content.rglob("*") if path.is_file()} == files


@pytest.mark.parametrize("arguments, error", [
    (["Sample title"], "invoke new: say what to create: --section SECTION, --page, --member or --team (just one)"),
    (["Sample title", "--page", "--member"], "invoke new: say what to create: --section SECTION, --page, --member or --team (just one)"),
    (["Sample title", "--section", "events"],
     'invoke new: there is no news section "events"; use one of: news-stories, press-releases, opinion-editorials'),
])
def test_the_task_refuses_with_one_line_and_a_non_zero_exit(arguments, error):
    result = subprocess.run([sys.executable, "-m", "invoke", "new", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == error + "\n"
