"""The content checks (laceps.checks): one broken file per problem, each with its exact message.

Each case copies the real content, writes one broken file into it (or deletes
one) and expects exactly one line, `path:line: what is wrong — how to fix it`.
A few cases also go through the real build, which must refuse with that line.
The last tests run the checks again in one process, as `invoke livereload` does.
"""

import pytest
from invoke.exceptions import Exit
from pelican.settings import read_settings

from laceps import checks, site
from laceps.checks import check_content
from tests.content_copy import build, copy_content, make_photo

NEWS = "content/news/broken.md"
PAGE = "content/pages/broken.md"
MEMBERS = "content/data/members.yaml"
TEAM = "content/data/team.yaml"
SITE = "content/data/site.yaml"
HEADER = "Title: A sample item\nDate: 2025-01-02\nCategory: News Stories\nSource: LACEPS\n"
MISSING_FILE_FIX = "check the file name and folder (paths are relative to this file, or to content/ when they start with /)"
FILL_IN_FIX = "replace the FILL IN text with the real information (or delete the line if the field is optional)"


def news(*lines, body=""):
    """A news item: the four required fields, then `lines`, then a body (starting on line 6 + len(lines))."""
    return HEADER + "".join(f"{line}\n" for line in lines) + (f"\n{body}\n" if body else "")


def members(*entry_lines):
    return "members:\n" + "".join(f"{line}\n" for line in entry_lines)


# id: (file, its text or None to delete it, the one expected problem)
CASES = {
    "title missing": (NEWS, "Date: 2025-01-02\nCategory: News Stories\nSource: LACEPS\n",
                      f'{NEWS}:1: Title is missing — add a line "Title: …" to the block at the top of the file'),
    "field empty": (NEWS, news("Summary:"), f"{NEWS}:5: Summary is empty — write a value after the colon or delete the line"),
    "unknown field": (NEWS, news("Author: Someone"),
                      f'{NEWS}:5: unknown field "Author" — use one of: Title, Date, Category, Source, Link, Lang, '
                      "Summary, Status, Slug, Modified (check the spelling)"),
    "bad date": (NEWS, HEADER.replace("2025-01-02", "25/04/2025"),
                 f'{NEWS}:2: Date "25/04/2025" is not a date — write it as YYYY-MM-DD, for example 2025-04-25'),
    "unknown section": (NEWS, HEADER.replace("News Stories", "Announcements"),
                        f'{NEWS}:3: Category "Announcements" is not a news section — use exactly one of: '
                        "News Stories, Press Releases, Opinion Editorials"),
    "link not https": (NEWS, news("Link: http://example.org/story"),
                       f'{NEWS}:5: Link "http://example.org/story" is not a secure https:// address — '
                       "copy the full address from the browser, starting with https://"),
    "unknown lang": (NEWS, news("Lang: fr"), f'{NEWS}:5: Lang "fr" is not a language of this site — use en or es'),
    "unknown status": (NEWS, news("Status: ready"), f'{NEWS}:5: Status "ready" is not known — use one of: published, draft, hidden'),
    "summary too long": (NEWS, news("Summary: " + "x" * 161),
                         f"{NEWS}:5: Summary is 161 characters long; search engines show about 160 — shorten it to 160 characters or fewer"),
    "link to a missing file": (NEWS, news(body="See [the other item]({filename}missing.md)."),
                               f"{NEWS}:6: link to 'missing.md': that file does not exist — {MISSING_FILE_FIX}"),
    "unknown page template": (PAGE, "Title: A sample page\nTemplate: article\n\nSome text.\n",
                              f'{PAGE}:2: Template "article" is not a page layout of the site — use one of: 404, about, '
                              "contact, home, members, news, page, team (or delete the line: the page then has the plain layout)"),
    "image without alt": (NEWS, news(body="![](photo.jpg)"),
                          f"{NEWS}:6: image photo.jpg has no alt text — describe the image between the square brackets: "
                          "![What the picture shows](…)"),
    "image on another website": (NEWS, news(body="![A sample photo](https://example.org/photo.jpg)"),
                                 f"{NEWS}:6: image https://example.org/photo.jpg is on another website — download it, "
                                 "put the file beside this one and write its file name (the site shows only its own images)"),
    "image not a photo": (NEWS, news(body="![A sample chart](chart.gif)"),
                          f"{NEWS}:6: image chart.gif is not a JPEG or PNG photo — save it as a .jpg or .png file and write that file name here"),
    "image unreadable": (NEWS, news(body="![A sample photo](not-a-photo.jpg)"),
                         f"{NEWS}:6: image not-a-photo.jpg is not a picture the site can read — open it and save it again "
                         "as JPEG or PNG (a phone's HEIC photo renamed to .jpg is not a JPEG)"),
    "image missing": (NEWS, news(body="![A sample photo](missing.jpg)"),
                      f"{NEWS}:6: image missing.jpg: that file does not exist — {MISSING_FILE_FIX}"),
    "duplicate address": (NEWS, HEADER.replace("A sample item", "Graduados de escuelas preparatorias") + "Lang: es\n",
                          f'{NEWS}:1: this news item has the same address "graduados-de-escuelas-preparatorias" as '
                          "content/news/2021-04-26-graduados.md — change the Title (or add a distinct Slug) so each one is unique"),
    "duplicate title": (NEWS, HEADER.replace("A sample item", "Graduados de escuelas preparatorias") + "Lang: es\nSlug: graduados-2\n",
                        f"{NEWS}:1: this news item has the same title as content/news/2021-04-26-graduados.md — "
                        "change the Title (or add a distinct Slug) so each one is unique"),
    "field still says FILL IN": (NEWS, HEADER.replace("Source: LACEPS", "Source: FILL IN — the member network, or LACEPS"),
                                 f"{NEWS}:4: Source still says FILL IN — {FILL_IN_FIX}"),
    "body still says FILL IN": (NEWS, news(body="FILL IN — write the story here"),
                                f"{NEWS}:6: this line still says FILL IN — write the text you mean here, or delete the line"),
    "page without title": (PAGE, "Summary: A sample page\n\nSome text.\n",
                           f'{PAGE}:1: Title is missing — add a line "Title: …" to the block at the top of the file'),
    "website not https": (MEMBERS, members("  - name: Example Network", "    description: A sample.", "    website: http://example.org"),
                          f'{MEMBERS}:4: website "http://example.org" is not an https:// web address — '
                          "copy the full address from the browser, starting with https://"),
    "required field missing": (MEMBERS, members("  - description: A sample."),
                               f'{MEMBERS}:2: this entry has no "name" — add "name: …" to it, indented like the other fields'),
    "unknown data field": (MEMBERS, members("  - name: Example Network", "    description: A sample.", "    webiste: https://example.org"),
                           f'{MEMBERS}:4: unknown field "webiste" — use one of: name, description, website, logo (check the spelling)'),
    "logo missing": (MEMBERS, members("  - name: Example Network", "    description: A sample.", "    logo: images/members/missing.png"),
                     f"{MEMBERS}:4: logo images/members/missing.png: that image does not exist — "
                     "put the image in content/images/ and write its path, e.g. images/logo.png"),
    "logo not a photo": (MEMBERS, members("  - name: Example Network", "    description: A sample.", "    logo: images/members/logo.svg"),
                         f"{MEMBERS}:4: logo images/members/logo.svg is not a JPEG or PNG photo — "
                         "save it as a .jpg or .png file and write that file name here"),
    "logo unreadable": (MEMBERS, members("  - name: Example Network", "    description: A sample.", "    logo: images/not-a-logo.png"),
                        f"{MEMBERS}:4: logo images/not-a-logo.png is not a picture the site can read — open it and save it "
                        "again as JPEG or PNG (a phone's HEIC photo renamed to .jpg is not a JPEG)"),
    "member listed twice": (MEMBERS, members("  - name: Example Network", "    description: A sample.",
                                             "  - name: Example Network", "    description: A sample."),
                            f'{MEMBERS}:4: "Example Network" is listed twice (first on line 2) — delete one of the two entries'),
    "data still says FILL IN": (MEMBERS, members("  - name: Example Network", "    description: FILL IN — one or two sentences"),
                                f"{MEMBERS}:3: description still says FILL IN — {FILL_IN_FIX}"),
    "entry not a set of fields": (MEMBERS, members("  - Example Network"),
                                  f"{MEMBERS}:2: an entry of members is not a set of fields — copy the layout of the entries around it"),
    "list missing": (MEMBERS, "member:\n  - name: Example Network\n    description: A sample.\n",
                     f'{MEMBERS}:1: the list "members:" is missing — add "members:" at the start of a line'),
    "email malformed": (TEAM, "people:\n  - name: Full Name\n    role: Director\n    email: name.example.org\n",
                        f'{TEAM}:4: email "name.example.org" is not an email address — write it as name@example.org'),
    "figure not a number": (SITE, "figures:\n  networks: 9\n  schools: 104+\n  students: 51000\ncontact:\n  email: joni@lacfeps.org\n",
                            f'{SITE}:3: schools "104+" is not a whole number — write digits only, without commas or a plus sign, e.g. 51000'),
    "data file missing": (TEAM, None, f"{TEAM}:1: this data file is missing — restore it from the repository history"),
}

BUILT_CASES = ["link not https", "image missing", "email malformed", "field still says FILL IN"]

INDENT_FIX = "indent it like the other lines of its entry: two spaces before the -, four before each field"
QUOTE_FIX = 'put the whole value in double quotes, like name: "Example: Network"'
COLON_FIX = "write it as field: value, with a colon and a space after the field name"
# A broken data file, as editors break them: (its text, the one problem, in plain words).
YAML_MISTAKES = {
    "indented with a tab": (members("  - name: Example Network", "\tdescription: A sample."),
                            f"{MEMBERS}:3: this line is indented with a tab — use spaces, not tabs, to indent"),
    "unclosed quote": (members('  - name: "Example Network', "    description: A sample."),
                       f"{MEMBERS}:2: the quote that starts on this line is never closed — end the value with the same quote mark it starts with"),
    "missing colon": (members("  - name: Example Network", "    description A sample."),
                      f"{MEMBERS}:3: this line has no colon after its field name — {COLON_FIX}"),
    "missing colon before a field": (members("  - name Example Network", "    description: A sample."),
                                     f"{MEMBERS}:2: this line has no colon after its field name — {COLON_FIX}"),
    "colon in a value": (members("  - name: Example: Network", "    description: A sample."),
                         f'{MEMBERS}:2: a value on this line contains ": " (a colon and a space) — {QUOTE_FIX}'),
    "indented too far": (members("  - name: Example Network", "     description: A sample."),
                         f"{MEMBERS}:3: this line is indented differently from the lines above it — {INDENT_FIX}"),
    "indented too little": (members("  - name: Example Network", "   description: A sample."),
                            f"{MEMBERS}:3: this line is indented differently from the lines above it — {INDENT_FIX}"),
    "no space after the colon": (members("  - name:Example Network", "    description: A sample."),
                                 f"{MEMBERS}:2: this line needs a space after its - or its colon — "
                                 "write - name: value, with a space after the - and after the colon"),
    "text after a quote": (members('  - name: "Example" Network', "    description: A sample."),
                           f"{MEMBERS}:2: there is text after the closing quote on this line — put the whole value inside the quotes"),
    "value starting with @": (members("  - name: @example", "    description: A sample."),
                              f"{MEMBERS}:2: a value on this line starts with a sign that YAML reserves (such as @ or %) — {QUOTE_FIX}"),
    "unclosed bracket": (members("  - name: [Example Network", "    description: A sample."),
                         f'{MEMBERS}:2: a bracket "[" or "{{" on this line is never closed — {QUOTE_FIX}'),
    "second document": (members("  - name: Example Network", "    description: A sample.", "---"),
                        f'{MEMBERS}:4: the line "---" ends the data here — delete it: a data file holds one list'),
    "control character": (members("  - name: Example\x01 Network", "    description: A sample."),
                          f"{MEMBERS}:2: this line has an invisible control character — "
                          "retype the line: the character cannot be seen, but YAML does not allow it"),
    "key twice": (members("  - name: Example Network", "    description: A sample.", "    description: Another."),
                  f'{MEMBERS}:4: this entry has "description" twice — delete one of the two lines'),
    "a list as a value": (members("  - name: Example Network", "    description:", "      - A sample."),
                          f"{MEMBERS}:4: description is not a single value — write one value after description: on the same line"),
}
# What a YAML parser says, and an editor cannot act on.
PARSER_WORDS = ("token", "scalar", "mapping", "expected", "block", "flow", "stream", "YAML (")


def break_content(folder, case):
    """A copy of the real content, broken as the case says; its folder is `folder`/content."""
    path, text, _ = CASES[case]
    copy_content(folder)
    make_photo(folder / "content/news/photo.jpg", (64, 48))
    (folder / "content/news/not-a-photo.jpg").write_text("not a picture")
    (folder / "content/images").mkdir(exist_ok=True)  # git keeps no empty folder
    (folder / "content/images/not-a-logo.png").write_text("not a picture")
    if text is None:
        (folder / path).unlink()
    else:
        (folder / path).write_text(text, encoding="utf-8")
    return folder / "content"


def settings_for(content):
    return read_settings(str(site.DEV_SETTINGS), override={"PATH": str(content)})


def test_the_real_content_has_no_problems():
    assert check_content(settings_for(site.CONTENT)) == []


@pytest.mark.parametrize("case", CASES)
def test_each_problem_is_reported_with_its_line_and_fix(case, tmp_path, monkeypatch):
    content = break_content(tmp_path, case)
    monkeypatch.chdir(tmp_path)  # paths are shown from the project folder, as in `invoke check`
    assert [str(problem) for problem in check_content(settings_for(content))] == [CASES[case][2]]


@pytest.mark.parametrize("mistake", YAML_MISTAKES)
def test_a_yaml_mistake_reads_in_plain_words(mistake, tmp_path, monkeypatch):
    content = copy_content(tmp_path)
    text, expected = YAML_MISTAKES[mistake]
    (content / "data/members.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    problems = [str(problem) for problem in check_content(settings_for(content))]
    assert problems == [expected]
    assert not any(word in problems[0] for word in PARSER_WORDS)


def test_every_problem_is_reported_at_once(tmp_path, monkeypatch):
    content = copy_content(tmp_path)
    (content / "news/broken.md").write_text(news("Lang: fr", "Link: http://example.org/story"), encoding="utf-8")
    (content / "data/team.yaml").write_text("people:\n  - name: Full Name\n    role: Director\n    email: name.example.org\n")
    monkeypatch.chdir(tmp_path)
    problems = [str(problem) for problem in check_content(settings_for(content))]
    assert problems == [CASES["email malformed"][2], CASES["unknown lang"][2], CASES["link not https"][2].replace(":5:", ":6:")]


def test_invoke_check_exits_non_zero_and_prints_each_problem(tmp_path, capsys):
    content = break_content(tmp_path, "link not https")
    with pytest.raises(Exit) as stopped:
        site.check(content)
    assert stopped.value.code == 1
    assert "1 problem(s) in the content" in stopped.value.message
    assert capsys.readouterr().err.splitlines() == [f"{tmp_path}/{CASES['link not https'][2]}"]


def test_invoke_check_passes_on_the_real_content(capsys):
    site.check()
    assert capsys.readouterr().out == "No problems found in the content.\n"


@pytest.mark.parametrize("case", BUILT_CASES)
def test_the_build_refuses_broken_content_with_the_message(case, tmp_path, capfd):
    content = break_content(tmp_path, case)
    with pytest.raises(site.BuildFailed):
        build(content, tmp_path)
    stderr = capfd.readouterr().err
    assert f"{tmp_path}/{CASES[case][2]}\n" in stderr
    assert "The build stopped: 1 problem(s) in the content." in stderr
    assert not (tmp_path / "output" / "index.html").exists()


@pytest.fixture
def files_read(monkeypatch):
    """The Markdown files the checks read (not remembered), each run's in a list of its own; files count as settled at once."""
    runs, read_source = [], checks.read_source
    monkeypatch.setattr(checks.MEMORY, "enabled", True)  # as invoke livereload turns it on
    monkeypatch.setattr(checks, "SETTLE_NS", 0)
    monkeypatch.setattr(checks, "read_source", lambda path, *rest: runs[-1].append(path.name) or read_source(path, *rest))
    return runs


def run_checks(content, runs, settings=None):
    runs.append([])
    return [str(problem) for problem in check_content(settings or settings_for(content))]


def test_a_check_again_reads_only_the_files_that_changed_and_still_compares_every_file(tmp_path, monkeypatch, files_read):
    content = copy_content(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_checks(content, files_read) == []
    assert len(files_read[-1]) > 10
    assert run_checks(content, files_read) == [] and files_read[-1] == []
    (content / "news/broken.md").write_text(news("Link: http://example.org/story"), encoding="utf-8")
    assert run_checks(content, files_read) == [CASES["link not https"][2]] and files_read[-1] == ["broken.md"]
    # A remembered file still meets a new one in the checks across files.
    duplicate = HEADER.replace("A sample item", "Graduados de escuelas preparatorias") + "Lang: es\n"
    (content / "news/broken.md").write_text(duplicate, encoding="utf-8")
    assert run_checks(content, files_read) == [CASES["duplicate address"][2]] and files_read[-1] == ["broken.md"]
    (content / "news/broken.md").unlink()
    assert run_checks(content, files_read) == [] and files_read[-1] == []


def test_a_check_again_reads_every_file_when_the_settings_they_are_read_by_change(tmp_path, monkeypatch, files_read):
    content = copy_content(tmp_path)
    (content / "news/broken.md").write_text(HEADER.replace("News Stories", "Announcements"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_checks(content, files_read) == [CASES["unknown section"][2]]
    settings = settings_for(content)
    settings["NEWS_SECTIONS"] = [*settings["NEWS_SECTIONS"], "Announcements"]
    assert run_checks(content, files_read, settings) == [] and "broken.md" in files_read[-1]


def test_a_process_that_checks_once_remembers_nothing(tmp_path, monkeypatch, files_read):
    monkeypatch.setattr(checks, "MEMORY", checks.FileMemory())  # off, as in `invoke build`
    content = copy_content(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_checks(content, files_read) == [] and run_checks(content, files_read) == []
    assert files_read[0] == files_read[1] and len(files_read[1]) > 10 and not checks.MEMORY.files


def test_a_file_changed_again_within_a_tick_of_its_clock_is_not_taken_for_the_one_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(checks.MEMORY, "enabled", True)
    content = copy_content(tmp_path)
    monkeypatch.chdir(tmp_path)
    # Two writes within one tick of the file system's clock: the same times, the same size, the same file.
    monkeypatch.setattr(checks, "signature", lambda stat: (stat.st_size, stat.st_ino))
    path = content / "news/broken.md"
    path.write_text(news("Lang: en"), encoding="utf-8")
    assert check_content(settings_for(content)) == []
    path.write_text(news("Lang: fr"), encoding="utf-8")
    assert [str(problem) for problem in check_content(settings_for(content))] == [CASES["unknown lang"][2]]
