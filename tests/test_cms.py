"""The web editor at /admin/ (Decap CMS, laceps.cms): its fields are the content checks' own, its files
are the pinned npm package's, its page is contained, and it works end to end.

End to end: in real headless Chromium, against decap-server (Decap's local backend) on a git
repository holding a copy of the content, a news item is written through the form and a member
changed, each saved, set Ready and published through the editorial workflow's buttons, as an
editor does on the live site (where Publish merges the pull request). The files it writes pass
`invoke check` and build into the site.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import lxml.html
import pytest
import yaml
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, cms, site, toolchain
from laceps.checks import EMAIL, HTTPS_ADDRESS, NEWS_FIELDS, PAGE_FIELDS, read_source
from laceps.serve_static import SiteServer, free_port
from tests.content_copy import build, copy_content
from tests.reading import normalise

SETTINGS = read_settings(str(site.DEV_SETTINGS))
CONFIG = cms.config(SETTINGS)
COLLECTIONS = {collection["name"]: collection for collection in CONFIG["collections"]}
FORMAT = cms.STATIC / "pelican-format.js"


# --- The fields are the checks' ------------------------------------------------------------------
@pytest.mark.parametrize("collection, spec", [("news", NEWS_FIELDS), ("pages", PAGE_FIELDS), ("pages-es", PAGE_FIELDS)])
def test_every_field_is_one_the_checks_know_and_required_as_they_require(collection, spec):
    fields = [field for field in COLLECTIONS[collection]["fields"] if field["name"] != "body"]
    assert {field["name"] for field in fields} <= set(spec["required"] + spec["optional"])
    assert {field["name"] for field in fields if field.get("required", True)} >= set(spec["required"])
    for field in fields:
        if field["name"] not in spec["required"] and field["widget"] != "hidden":
            assert field["required"] is (collection == "pages-es" and field["name"] == "slug"), field["name"]


def test_news_items_have_every_required_field_and_the_fields_an_editor_needs():
    names = [field["name"] for field in COLLECTIONS["news"]["fields"]]
    assert names == ["title", "date", "category", "source", "link", "lang", "summary", "body"]


def test_choices_are_the_settings_and_patterns_the_checks():
    fields = {field["name"]: field for field in COLLECTIONS["news"]["fields"]}
    assert fields["category"]["options"] == list(SETTINGS["NEWS_SECTIONS"])
    assert [option["value"] for option in fields["lang"]["options"]] == list(SETTINGS["NEWS_LANGS"])
    assert fields["link"]["pattern"][0] == "^https://"
    assert fields["summary"]["pattern"][0] == r"^[^\n]{0,160}$"
    # The date as the checks read it (laceps.checks.DATE_FORMATS), with its time.
    assert fields["date"]["format"] == "YYYY-MM-DD HH:mm"


def test_the_data_files_fields_are_their_schemas():
    files = {entry["file"]: entry for entry in COLLECTIONS["data"]["files"]}
    assert set(files) == {f"content/data/{name}" for name in SETTINGS["DATA_SCHEMAS"]}
    for name, schema in SETTINGS["DATA_SCHEMAS"].items():
        entry = files[f"content/data/{name}"]
        assert [field["name"] for field in entry["fields"]] == list(schema)
        for group in entry["fields"]:
            rules = schema[group["name"]]
            assert [field["name"] for field in group["fields"]] == list(rules)
            for field in group["fields"]:
                rule = rules[field["name"]]
                assert field["required"] is not rule.endswith("?"), (name, field["name"])
                assert field["widget"] == {"text": field["widget"], "https": "string", "email": "string", "count": "number", "image": "image"}[rule.rstrip("?")]
                if rule.rstrip("?") == "https":
                    assert field["pattern"][0] == HTTPS_ADDRESS.pattern
                if rule.rstrip("?") == "email":
                    assert field["pattern"][0] == EMAIL.pattern
                if rule.rstrip("?") == "image":
                    assert field["media_folder"] == f"/content/{field['public_folder']}"


def test_the_editor_saves_through_pull_requests_on_the_repository_in_the_settings():
    config = cms.config({**SETTINGS, "CMS": {**SETTINGS["CMS"], "repo": "example/site"}})
    assert config["publish_mode"] == "editorial_workflow"
    assert config["backend"]["name"] == "github" and config["backend"]["repo"] == "example/site"
    assert config["backend"]["branch"] == "main"


def test_the_data_files_hold_no_guidance_in_comments():
    """Decap rewrites a data file whole and drops its comments: guidance is in the fields' hints. (An
    entry may hold `invoke new`'s commented optional lines, indented: the editor drops them unused.)"""
    for name in SETTINGS["DATA_SCHEMAS"]:
        lines = (PROJECT_ROOT / "content/data" / name).read_text(encoding="utf-8").splitlines()
        assert not [line for line in lines if line.startswith("#")], name


# --- EDITING.md, "From your browser", names what the editor shows --------------------------------
GUIDE = (PROJECT_ROOT / "EDITING.md").read_text(encoding="utf-8")
BROWSER_GUIDE = GUIDE[GUIDE.index("<!-- browser-guide"):GUIDE.index("## Where things are")]


def test_the_guide_lists_the_news_items_fields_as_the_editor_labels_them():
    table = BROWSER_GUIDE[BROWSER_GUIDE.index("### Add a news item"):BROWSER_GUIDE.index("### Change a member")]
    assert re.findall(r"^ *\| \*\*(.+?)\*\* \|", table, re.MULTILINE) == [field["label"] for field in COLLECTIONS["news"]["fields"]]


def test_the_guide_names_the_editors_collections_and_buttons():
    labels = {collection["label"] for collection in CONFIG["collections"]} | {entry["label"] for entry in COLLECTIONS["data"]["files"]}
    named = set(re.findall(r"\*\*(.+?)\*\*", BROWSER_GUIDE))
    assert {"News items", "Pages", "Pages in Spanish", "Members, team and figures", "Member networks", "Our Team", "Figures and contact"} <= named & labels
    assert f"New {COLLECTIONS['news']['label_singular']}" in named
    steps = [f"**{step}**" for step in (SAVE, STATUS, READY, PUBLISH, PUBLISH_NOW)]
    positions = [BROWSER_GUIDE.index(step) for step in steps]
    assert positions == sorted(positions)  # in the order the end-to-end test clicks them


# --- Decap's files are the pinned package's ----------------------------------------------------
def test_the_vendored_decap_is_the_pinned_npm_package():
    package = json.loads((PROJECT_ROOT / "package.json").read_text())
    lock = json.loads((PROJECT_ROOT / "package-lock.json").read_text())
    pinned = package["devDependencies"]["decap-cms"]
    assert lock["packages"]["node_modules/decap-cms"]["version"] == pinned
    installed = json.loads((PROJECT_ROOT / "node_modules/decap-cms/package.json").read_text())
    assert installed["version"] == pinned, "run `npm ci`"
    names = cms.vendored_names()
    assert "decap-cms.js" in names and len(names) > 10
    assert sorted(path.name for path in cms.VENDORED.iterdir()) == names, "run `uv run invoke cms-vendor`"
    different = [name for name in names if (cms.VENDORED / name).read_bytes() != (cms.PACKAGE_DIST / name).read_bytes()]
    assert not different, f"not the package's: {different}: run `uv run invoke cms-vendor`"


# --- The format: Pelican's header ---------------------------------------------------------------
ROUND_TRIP = """
const fs = require("fs"), vm = require("vm");
let format;
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), {CMS: {registerCustomFormat: (name, extension, formatter) => { format = formatter; }}});
const files = JSON.parse(fs.readFileSync(0, "utf8"));
console.log(JSON.stringify(files.map(([text, order]) => { const data = format.fromFile(text); return [data, format.toFile(data, order)]; })));
"""


def round_trip(*files):
    """[(fields and body read by pelican-format.js, the text it writes back)] of (text, field order) pairs, in Node."""
    result = subprocess.run(["node", "-e", ROUND_TRIP, str(FORMAT)], input=json.dumps(files), capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_the_format_reads_every_file_of_the_content_as_the_checks_do():
    paths = sorted((PROJECT_ROOT / "content").rglob("*.md"))
    paths = [path for path in paths if "images" not in path.parts]  # the image folders' READMEs are not content
    texts = [path.read_text(encoding="utf-8") for path in paths]
    for path, text, (data, _) in zip(paths, texts, round_trip(*[(text, []) for text in texts])):
        source = read_source(path, str(path), text)
        assert data == {**{key: value for key, (value, _) in source.fields.items()},
                        "body": "\n".join(line for _, line in source.body).rstrip()}, path


def test_the_format_writes_the_guides_examples_back_unchanged():
    examples = re.findall(r"<!-- example: \S+ path=content/(?:news|pages)/[^>]*-->\n```markdown\n(.*?)```", GUIDE, re.DOTALL)
    assert len(examples) >= 4
    for text, (_, written) in zip(examples, round_trip(*[(text, []) for text in examples])):
        assert written == text


def test_the_format_writes_the_fields_in_order_and_leaves_out_empty_ones():
    [(_, written)] = round_trip(("Title: T\nLink: \nTemplate: home\nDate: 2026-01-02\n\nText.\n", ["title", "date", "link"]))
    assert written == "Title: T\nDate: 2026-01-02\nTemplate: home\n\nText.\n"
    [(data, written)] = round_trip(("Title: T\nSave_as: a.html\nURL: a.html\n", ["title"]))
    assert data == {"title": "T", "save_as": "a.html", "url": "a.html", "body": ""}
    assert written == "Title: T\nSave_as: a.html\nURL: a.html\n"


# --- The page is contained ----------------------------------------------------------------------
def test_the_admin_page_is_noindexed_under_its_own_policy_and_nowhere_else(built_site):
    page = lxml.html.parse(str(built_site / "admin/index.html"))
    assert page.xpath('//meta[@name="robots"]/@content') == ["noindex, nofollow"]
    settings = read_settings(str(site.PRODUCTION_SETTINGS))
    [policy] = page.xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')
    expected = f"{settings['CONTENT_SECURITY_POLICY']}; {settings['ADMIN_CSP']}"
    assert directives(policy) == directives(expected)
    assert "localhost" not in (built_site / "admin/config.yml").read_text() + policy  # no local backend live
    assert [script.get("src") for script in page.xpath("//script")] == [
        "https://lacfeps.org/admin/decap-cms/decap-cms.js", "https://lacfeps.org/admin/pelican-format.js"]
    assert page.xpath("//body/@data-pagefind-ignore") == ["all"] and not page.xpath("//*[@data-pagefind-body]")
    for path in ("sitemap.xml", "feeds/all.atom.xml"):
        assert "admin" not in (built_site / path).read_text(), path


def test_the_admin_page_is_valid_html(built_site):
    result = subprocess.run([toolchain.java(), "-jar", str(toolchain.require(toolchain.VNU)), "--format", "json", str(built_site / "admin/index.html")],
                            capture_output=True, text=True)
    messages = json.loads(result.stderr)["messages"]  # vnu writes its JSON report on stderr
    # vnu judges the policy from a file: URL, where 'self' matches nothing (as in test_html_validity).
    assert [m for m in messages if "violates Content Security Policy" not in m["message"]] == []


# Each source the policy adds, taken away, breaks the editor: it is needed. (GitHub's, which the
# local backend does not use, are in README's "The web editor".)
RECORD_VIOLATIONS = """window.violations = [];
document.addEventListener("securitypolicyviolation", (event) => window.violations.push(event.effectiveDirective));"""


@pytest.mark.parametrize("directive, source", [("script-src", "'unsafe-eval'"), ("style-src", "'unsafe-inline'")])
def test_decap_needs_each_thing_its_policy_allows(tmp_path, browser, directive, source):
    policy = directives(SETTINGS["ADMIN_CSP"])
    policy[directive].discard(source)
    narrower = "; ".join(f"{name} {' '.join(sorted(sources))}" for name, sources in policy.items())
    output = build(site.CONTENT, tmp_path, production=False, extra={"ADMIN_CSP": narrower})
    (output / "_headers").unlink()  # the page's own policy only
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    try:
        with SiteServer(output, free_port()) as server:
            tab = context.new_page()
            tab.goto(server.url + "/admin/", wait_until="networkidle")
            assert directive.replace("style-src", "style-src-elem") in tab.evaluate("window.violations")
    finally:
        context.close()


def directives(policy):
    merged = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = part.split()
        merged.setdefault(name, set()).update(source for source in sources if source != "'none'")
    return merged


# --- End to end ---------------------------------------------------------------------------------
def git(repository, *arguments):
    return subprocess.run(["git", *arguments], cwd=repository, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def editor(tmp_path_factory, browser):
    """The web editor on a local build of a copy of the content, saving through decap-server into a git
    repository of that copy: (the repository, a browser tab signed in to the editor, the page's problems)."""
    folder = tmp_path_factory.mktemp("cms")
    repository = folder / "site"
    content = copy_content(repository)
    git(repository, "init", "-q", "-b", "main")
    git(repository, "config", "user.name", "Web Editor")
    git(repository, "config", "user.email", "editor@example.org")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "The content as it is")
    backend_port = free_port()
    local_backend = f"http://localhost:{backend_port}/api/v1"
    output = build(content, folder, production=False, extra={"CMS": {**SETTINGS["CMS"], "repo": "example/site", "local_backend": local_backend}})
    environment = {"PATH": os.environ["PATH"], "HOME": str(folder), "MODE": "git", "GIT_REPO_DIRECTORY": str(repository), "PORT": str(backend_port)}
    server = subprocess.Popen(["node", str(cms.DECAP_SERVER)], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for(local_backend)
        # `_headers` applies, as on Cloudflare Pages: the editor gets its folder's header, not the other pages'.
        with SiteServer(output, free_port()) as site_server:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            problems = []
            tab = context.new_page()
            tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            tab.on("dialog", lambda dialog: dialog.accept())  # "Are you sure you want to publish this entry?"
            tab.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
            tab.goto(site_server.url + "/admin/")
            tab.get_by_role("button", name="Login").click()
            tab.get_by_role("link", name="News items").wait_for()
            yield repository, tab, problems
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(backend, seconds=20):
    """Until decap-server answers (Node takes a moment to start)."""
    request = urllib.request.Request(backend, data=json.dumps({"action": "info"}).encode(), headers={"Content-Type": "application/json"})
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# EDITING.md's steps, "From your browser": the button, the choice in its menu.
SAVE, STATUS, READY, PUBLISH, PUBLISH_NOW = "Save", "Status: Draft", "Ready", "Publish", "Publish now"


def publish(tab, repository, seconds=60):
    """Save, set the status to Ready and publish, as an editor does; wait until decap-server has merged
    the change's branch (cms/…) into main and deleted it."""
    tab.get_by_role("button", name=SAVE, exact=True).click()
    tab.get_by_role("button", name=STATUS).click()
    tab.get_by_role("menuitem", name=READY).click()
    tab.get_by_role("button", name=PUBLISH, exact=True).click()
    tab.get_by_role("menuitem", name=PUBLISH_NOW).click()
    deadline = time.monotonic() + seconds
    while git(repository, "branch", "--list", "cms/*").strip():
        assert time.monotonic() < deadline, "the change was not published"
        time.sleep(0.2)


def text_of(page):
    return normalise(lxml.html.parse(str(page)).getroot().text_content())


def check_content(content):
    """`invoke check --content DIR`, as an editor runs it: (exit code, what it printed)."""
    result = subprocess.run([sys.executable, "-m", "invoke", "check", "--content", str(content)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


NEWS_FILE = "content/news/2026-03-02-sample-headline-from-the-web-editor.md"


def test_a_news_item_written_in_the_editor_is_checked_and_built(editor, tmp_path):
    repository, tab, problems = editor
    tab.goto(tab.url.split("#")[0] + "#/collections/news/new")
    tab.get_by_label("Title", exact=True).fill("Sample headline from the web editor")
    tab.get_by_label("Date", exact=True).fill("2026-03-02T10:30")
    tab.get_by_label("Section", exact=True).click()
    tab.get_by_role("option", name="Press Releases").click()
    tab.get_by_label("Source", exact=True).fill("LACEPS")
    tab.get_by_label("Summary (optional)", exact=True).fill("One sentence about the sample.")
    tab.locator("[contenteditable=true]").first.click()
    tab.keyboard.type("The first paragraph of the sample.")
    publish(tab, repository)
    assert (repository / NEWS_FILE).read_text(encoding="utf-8") == (
        "Title: Sample headline from the web editor\n"
        "Date: 2026-03-02 10:30\n"
        "Category: Press Releases\n"
        "Source: LACEPS\n"
        "Summary: One sentence about the sample.\n"
        "\n"
        "The first paragraph of the sample.\n"
    )
    assert git(repository, "status", "--porcelain") == ""  # committed on main, as a merged pull request
    assert check_content(repository / "content") == (0, "No problems found in the content.\n")
    output = build(repository / "content", tmp_path)
    assert "Sample headline from the web editor" in text_of(output / "news/press-releases/index.html")
    assert "The first paragraph of the sample." in text_of(output / "news/2026/sample-headline-from-the-web-editor/index.html")
    assert problems == []


def test_a_member_changed_in_the_editor_changes_members_yaml_and_nothing_else(editor):
    repository, tab, problems = editor
    before = yaml.safe_load((repository / "content/data/members.yaml").read_text(encoding="utf-8"))
    last = len(before["members"]) - 1  # the last member network, whichever it is
    old = before["members"][last].get("description")
    tab.goto(tab.url.split("#")[0] + "#/collections/data/entries/members")
    tab.reload()  # a hash alone keeps the last entry's state
    tab.get_by_label("Description (optional)", exact=True).nth(last).fill("A sample description of the network.")
    publish(tab, repository)
    after = yaml.safe_load((repository / "content/data/members.yaml").read_text(encoding="utf-8"))
    before["members"][last]["description"] = "A sample description of the network."
    assert after == before
    # That one line, as an editor would change it by hand: Decap writes the file in the site's own layout.
    changed = [line for line in git(repository, "diff", "--unified=0", "HEAD~1").splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [f"-    description: {old}"] * bool(old) + ["+    description: A sample description of the network."]
    assert git(repository, "diff", "--name-only", "HEAD~1") == "content/data/members.yaml\n"
    assert check_content(repository / "content")[0] == 0
    assert problems == []
