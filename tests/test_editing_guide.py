"""EDITING.md cannot drift: every example in it builds, and its list of check messages is complete.

An example is a fenced block after a marker such as
`<!-- example: member path=content/data/members.yaml append images=content/images/... -->`:
`path` is the file it goes into; `append` adds it at the end of that data file and
`replace` puts it in place of the block with the same first line (the default is a
new file); `images` are the photos it names, which the test makes.
"""

import ast
import re
import subprocess
import sys

import pytest

from laceps import PROJECT_ROOT, checks
from laceps.scaffold import append_to_list
from tests.content_copy import build, copy_content, make_photo

GUIDE = (PROJECT_ROOT / "EDITING.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"<!-- example: (?P<name>\S+) (?P<options>[^>]*?) ?-->\n```\w*\n(?P<text>.*?)```", re.DOTALL)
EXAMPLES = {match["name"]: match for match in EXAMPLE.finditer(GUIDE)}

# What each example must put on the production site: (page, text it must contain).
SHOWN = {
    "news-with-link": ("news/index.html", '<a href="https://example.org/sample-coverage" rel="noopener external">'),
    "news-with-body": ("news/2026/sample-press-release-title/index.html", 'href="https://lacfeps.org/about-us/"'),
    "news-listing-only": ("news/index.html", 'id="titulo-de-ejemplo-de-una-noticia"'),
    "page": ("sample-page-title/index.html", '<h2 id="a-section-of-the-page">'),
    "page-in-spanish": ("es/sample-page-title/index.html", "<p>El primer párrafo de la"),
    "member": ("our-members/index.html", "example-charter-network-"),
    "team-member": ("our-team/index.html", 'alt="Full Name" class="card__photo"'),
    "news-with-image": ("news/2026/sample-story-with-a-photo/index.html", 'alt="Students and families at a sample event"'),
    "figures": ("index.html", "<strong>51,000+</strong>"),
}


def options(match):
    words = match["options"].split()
    found = dict(word.split("=", 1) for word in words if "=" in word)
    found["mode"] = next((word for word in words if "=" not in word), "new")
    return found


def add_example(folder, match):
    """Put one example into the content copy under `folder`, as the guide tells an editor to."""
    opts, text = options(match), match["text"]
    target = folder / opts["path"]
    if opts["mode"] == "new":
        assert not target.exists(), f"{opts['path']} already exists"
        target.write_text(text, encoding="utf-8")
    elif opts["mode"] == "append":
        list_name = "members" if target.name == "members.yaml" else "people"
        target.write_text(append_to_list(target.read_text(encoding="utf-8"), list_name, text), encoding="utf-8")
    else:  # replace: the block that starts with the example's first line, up to the next unindented line
        first = text.splitlines()[0]
        block = re.compile(rf"^{re.escape(first)}\n(?:[ \t].*\n)*", re.MULTILINE)
        original = target.read_text(encoding="utf-8")
        assert block.search(original), f"{opts['path']} has no block starting {first!r}"
        target.write_text(block.sub(lambda _: text, original, count=1), encoding="utf-8")
    for image in filter(None, opts.get("images", "").split(",")):
        make_photo(folder / image, (1600, 1000))


def test_every_example_has_an_expectation():
    assert sorted(EXAMPLES) == sorted(SHOWN)


@pytest.fixture(scope="module")
def built_with_examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guide")
    content = copy_content(folder)
    # So that the figures example visibly changes Home.
    site_yaml = content / "data/site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("students: 51000", "students: 1"))
    for match in EXAMPLES.values():
        add_example(folder, match)
    return build(content, folder)


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_each_example_appears_on_the_built_site(name, built_with_examples):
    page, text = SHOWN[name]
    assert text in (built_with_examples / page).read_text(encoding="utf-8")


CHECK_MODULES = ("laceps/checks.py", "laceps/links.py")  # the modules whose report() calls reach editors


def check_messages_in_code():
    """Each message laceps.checks can report, with … for what varies (constants spelled out)."""
    messages = set()
    for node in (node for module in CHECK_MODULES for node in ast.walk(ast.parse((PROJECT_ROOT / module).read_text()))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "report":
            message = node.args[2]
            parts = message.values if isinstance(message, ast.JoinedStr) else [message]
            messages.add("".join(part_text(part) for part in parts))
    return messages


def part_text(part):
    if isinstance(part, ast.Constant):
        return part.value
    name = getattr(part.value, "id", "")
    return str(getattr(checks, name)) if name.isupper() else "…"


def check_messages_in_guide():
    table = GUIDE[GUIDE.index("<!-- check-messages"):]
    return set(re.findall(r"^\| `(.+?)` \|", table, re.MULTILINE))


def test_the_guide_explains_every_check_message_and_no_other():
    assert check_messages_in_guide() == check_messages_in_code()


def test_every_command_in_the_guide_exists():
    listed = subprocess.run([sys.executable, "-m", "invoke", "--list"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, check=True).stdout
    tasks = {line.split()[0] for line in listed.splitlines()[2:] if line.strip()}
    used = set(re.findall(r"uv run invoke (\w+)", GUIDE))
    assert used and used <= tasks
