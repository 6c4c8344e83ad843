"""`invoke check --spelling` (laceps.spelling): likely misspellings in English and Spanish, each as
path:line, a report that never fails the command; names go in content/spelling-words.txt.

The real content's own spelling is not tested: a report must never block a pull request."""

import re
import subprocess
import sys

import pytest

from laceps import PROJECT_ROOT
from tests.content_copy import copy_content, replace_in

ENGLISH = """\
Title: Sample coalision news
Date: 2025-02-01
Category: News Stories
Source: Ximenez Academy
Summary: Families and teachers met at Ximenez Academy.

The familes met with [the board](https://example.org/bord-minutes) and wrote to name@exampel.org.
Code such as `speling` and <abbr title="Sample Tittle">SPLNG</abbr> are not prose.

    an indented code block with a tpyo
"""
SPANISH = """\
Title: Noticia de ejemplo
Date: 2025-02-02
Category: News Stories
Source: LACEPS
Lang: es

Las esculeas y los líderes comunitarios se reúnen con las familias.
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spelling")
    content = copy_content(folder)
    (content / "news/2025-02-01-sample-coalision-news.md").write_text(ENGLISH, encoding="utf-8")
    (content / "news/2025-02-02-noticia-de-ejemplo.md").write_text(SPANISH, encoding="utf-8")
    with (content / "spelling-words.txt").open("a", encoding="utf-8") as words:
        words.write("Ximenez\n")
    replace_in(content / "data/members.yaml", "  - name: KIPP\n", "  - name: KIPP\n    description: A netwrok of schools.\n")
    return check(content), content


def check(content):
    return subprocess.run([sys.executable, "-m", "invoke", "check", "--content", str(content), "--spelling"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True)


def reported(result):
    """The report's lines about one word each: `path:line: "word" may be misspelled (language) — …`."""
    return [line for line in result.stdout.splitlines() if re.match(r'^\S+:\d+: ".+" may be misspelled', line)]


def test_misspellings_are_reported_with_path_line_and_language(report):
    result, content = report
    news = content.relative_to(PROJECT_ROOT) if content.is_relative_to(PROJECT_ROOT) else content
    english, spanish = f"{news}/news/2025-02-01-sample-coalision-news.md", f"{news}/news/2025-02-02-noticia-de-ejemplo.md"
    lines = [line.split(" — ")[0] for line in reported(result)]  # without the suggested word
    assert f'{english}:1: "coalision" may be misspelled (English)' in lines
    assert f'{english}:7: "familes" may be misspelled (English)' in lines
    assert f'{spanish}:7: "esculeas" may be misspelled (Spanish)' in lines
    members = (content / "data/members.yaml").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(members, start=1) if "netwrok" in text)
    assert f'{news}/data/members.yaml:{line}: "netwrok" may be misspelled (English)' in lines
    assert f'{english}:7: "familes" may be misspelled (English) — did you mean "families"?' in reported(result)


def test_the_report_is_not_a_failure(report):
    result, _ = report
    assert result.returncode == 0, result.stderr
    assert "No problems found in the content." in result.stdout
    assert "4 word(s) may be misspelled" in result.stdout


def test_names_in_the_word_list_addresses_code_and_tags_are_not_checked(report):
    result, _ = report
    text = "\n".join(reported(result))
    for word in ("Ximenez", "bord", "exampel", "speling", "Tittle", "SPLNG", "tpyo", "líderes", "reúnen"):
        assert f'"{word}"' not in text, word
    assert len(reported(result)) == 4


def test_with_content_problems_both_are_listed_and_only_the_problems_fail(tmp_path):
    content = copy_content(tmp_path)
    (content / "news/2025-02-01-sample-coalision-news.md").write_text(ENGLISH.replace("Category: News Stories\n", ""), encoding="utf-8")
    (content / "data/team.yaml").write_text("people:\n  - name: [unclosed\n", encoding="utf-8")
    result = check(content)
    assert result.returncode == 1
    assert "Category is missing" in result.stderr and "Traceback" not in result.stderr + result.stdout
    assert '"coalision" may be misspelled' in result.stdout
