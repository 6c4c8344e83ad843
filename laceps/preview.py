"""Pull-request previews: the production build for another address, marked noindex; the deletion of a
preview's folder; and the one comment on the pull request that gives its address.

The preview workflow (.github/workflows/preview.yml) builds each pull request for
<LACEPS_PREVIEW_URL>/pr-<number>, publishes it under pr-<number>/ in the preview bucket
(`invoke publish --site DIR --site-url URL`), and deletes that folder when the pull request closes
(`invoke unpublish`: laceps.publish.delete_all).
"""

import json
import os
import urllib.request
from urllib.parse import urlsplit

from laceps import site

COMMENT_MARKER = "<!-- laceps-preview -->"  # finds the workflow's own comment among the others
WORKFLOW_AUTHOR = "github-actions[bot]"  # who GITHUB_TOKEN's comments are by


def build(site_url="", noindex=False, output=site.OUTPUT):
    """The production build, for `site_url` instead of the live site's address if given."""
    extra = {"NOINDEX": noindex}
    if site_url:
        address = urlsplit(site_url)
        if address.scheme not in ("http", "https") or not address.hostname or address.query or address.fragment:
            raise site.BuildFailed(f"{site_url!r} is not a site address: write it whole, for example https://d1234.cloudfront.net/pr-12")
        site_url = site_url.rstrip("/")
        # No content cache: Pelican's cached pages keep the address they were first made for.
        extra |= {"SITEURL": site_url, "FEED_DOMAIN": site_url, "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False}
    return site.build(settings=site.PRODUCTION_SETTINGS, output=output, extra=extra)


# --- The comment on the pull request ---------------------------------------------------------------
def comment_text(address=None):
    """The comment: the preview's address, or (with none) that the preview is gone."""
    if address:
        body = (
            f"**Preview:** {address}\n\n"
            "This pull request, built as the live site would be and updated at every push. Search engines are "
            "told not to index it. It is deleted when the pull request closes."
        )
    else:
        body = "**Preview:** deleted, as the pull request is closed."
    return f"{COMMENT_MARKER}\n{body}\n"


def github(method, url, token, body=None):
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the API address GitHub's runner gives
        return json.loads(response.read() or b"null")


def upsert_comment(number, text, environ=os.environ):
    """Write `text` as the workflow's one comment on pull request `number`: update it if it exists.

    GitHub's runner gives the token (GITHUB_TOKEN), the API's address and the repository."""
    token, api, repository = environ["GITHUB_TOKEN"], environ["GITHUB_API_URL"], environ["GITHUB_REPOSITORY"]
    comments = f"{api}/repos/{repository}/issues/{int(number)}/comments"
    page = 1
    while batch := github("GET", f"{comments}?per_page=100&page={page}", token):
        for comment in batch:
            # The workflow's own: anyone may write the marker in a comment of theirs.
            if comment["user"]["login"] == WORKFLOW_AUTHOR and COMMENT_MARKER in (comment.get("body") or ""):
                return github("PATCH", comment["url"], token, {"body": text})
        page += 1
    return github("POST", comments, token, {"body": text})
