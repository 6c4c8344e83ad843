"""Commands for the LACEPS website. `invoke --list` shows them; each calls one function in laceps."""

import importlib
import os
import sys

from invoke import task
from invoke.exceptions import Exit


class Lazy:
    """A module of laceps imported when a task first uses it: every command loaded them all, boto3
    and the spelling lists too, a second and 35 MB before `invoke preview` could start building."""

    def __init__(self, name):
        self.name = f"laceps.{name}"

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self.name), attribute)


auditing, benchmark, editor, hosting = Lazy("audit"), Lazy("bench"), Lazy("cms"), Lazy("hosting")
link_report, previews, publishing, scaffold = Lazy("link_report"), Lazy("preview"), Lazy("publish"), Lazy("scaffold")
site, spellcheck, catalogs = Lazy("site"), Lazy("spelling"), Lazy("translations")


@task
def clean(c):
    """Delete the built site (output/) and Pelican's cache."""
    site.clean()


@task(help={"content": "the folder to check (default content/)",
            "spelling": "also list words that may be misspelled, in English and Spanish (a report: it never fails)"})
def check(c, content="", spelling=False):
    """Check all content; list every problem as path:line: what is wrong — how to fix it."""
    try:
        site.check(content=content or site.CONTENT)
    finally:
        if spelling:
            spellcheck.report(content or site.CONTENT)


@task(
    help={
        "section": 'a news item in this section, named as shown ("News Stories") or as in its address (news-stories)',
        "date": "the news item's date, YYYY-MM-DD (default: today)",
        "page": "a page",
        "member": "a member network (content/data/members.yaml)",
        "team": "a team member (content/data/team.yaml)",
    }
)
def new(c, title, section="", date="", page=False, member=False, team=False):
    """Start a news item, page, member or team member, e.g. invoke new "Title" --section "Press Releases"."""
    print(scaffold.new(title, section=section, date=date, page=page, member=member, team=team))


@task
def build(c):
    """Build the site for local viewing into output/ (every warning is an error)."""
    site.build()


@task
def rebuild(c):
    """Clean, then build from scratch."""
    site.clean()
    site.build()


# The port is taken as text, so that a mistyped one gets a sentence, not invoke's traceback.
@task(help={"port": "port on localhost (default 8000)"})
def serve(c, port="8000"):
    """Serve output/ on http://127.0.0.1:8000 (run build first)."""
    site.serve(port=port)


@task(help={"port": "port on localhost (default 8000)"})
def livereload(c, port="8000"):
    """Build, serve, and rebuild and reload the browser on every save; one line per build, problems in the browser."""
    site.livereload(port=port)


@task
def translations(c):
    """Collect the template strings into theme/translations/ and add new ones to each language's .po."""
    catalogs.update_catalogs()


@task(
    help={
        "site-url": "build for this address instead of the live site's, e.g. a pull request's preview",
        "noindex": "tell search engines not to index any page (meta robots noindex)",
    }
)
def preview(c, site_url="", noindex=False):
    """Build the production site (publishconf.py) into output/; with --site-url, for another address."""
    previews.build(site_url, noindex=noindex)


@task(
    help={
        "dry-run": "print what would be uploaded, replaced and deleted; change nothing",
        "site": "publish this folder, a production build made without credentials (CI's), instead of building",
        "site-url": "the address the --site folder was built for, if not the live site's (a preview's)",
    }
)
def publish(c, dry_run=False, site="", site_url=""):
    """Build the production site without credentials and sync it to the bucket behind the CDN (README: Publishing)."""
    try:
        publishing.publish_site(c.config.get("publish"), dry_run=dry_run, built_site=site, site_url=site_url)
    except publishing.PublishError as error:
        raise Exit(f"publish: {error}", code=1) from error


@task
def unpublish(c):
    """Delete everything under LACEPS_S3_PREFIX in the bucket (a closed pull request's preview); never a whole bucket."""
    try:
        print(f"Deleted {publishing.delete_all(c.config.get('publish'))} files.")
    except publishing.PublishError as error:
        raise Exit(f"unpublish: {error}", code=1) from error


@task(
    name="preview-comment",
    help={
        "pull-request": "the pull request's number",
        "address": "the preview's address; without it, the comment says the preview is deleted",
    },
)
def preview_comment(c, pull_request, address=""):
    """Give a preview's address in one comment on its pull request (GitHub Actions: GITHUB_TOKEN), updated by each run."""
    previews.upsert_comment(pull_request, previews.comment_text(address))


@task(help={"runs": "Lighthouse runs per page; the table shows medians (default 3)"})
def audit(c, runs=3):
    """Lighthouse (mobile) on Home, About Us, In The News, a section and an article of a served production build."""
    auditing.run(runs=int(runs))


@task(
    help={
        "runs": "builds of each kind; the table shows medians (default 3)",
        "sizes": "news items per synthetic site (default 1000,5000)",
    }
)
def bench(c, runs=3, sizes="1000,5000"):
    """Time full builds and one-edit rebuilds of synthetic sites, ours against stock Pelican."""
    benchmark.run(sizes=[int(size) for size in sizes.split(",")], runs=int(runs))


@task
def infra(c):
    """Render infra/hosting.yaml (the hosting's CloudFormation) from its .j2 source, the site's settings and infra/viewer-request.js."""
    print(f"infra/hosting.yaml {'rendered' if hosting.write() else 'was up to date'}.")


@task(name="infra-check")
def infra_check(c):
    """Check infra/hosting.yaml: a render of the current settings, and cfn-lint and checkov find nothing."""
    problems = hosting.check()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise Exit(f"infra-check: {len(problems)} problem(s) in infra/hosting.yaml", code=1)
    print("infra/hosting.yaml is up to date, and cfn-lint and checkov find nothing.")


@task(
    name="infra-deploy",
    help={
        "certificate-arn": "the ACM certificate for the domain and www.<domain>, issued in us-east-1",
        "repository": "OWNER/REPO of this repository on GitHub",
        "stack": "the CloudFormation stack's name (default laceps-site)",
        "region": "the region of the bucket and stack (default us-west-2)",
        "oidc-provider-exists": "the account already trusts GitHub's OIDC provider: use it, do not create it",
    },
)
def infra_deploy(c, certificate_arn, repository, stack="laceps-site", region="us-west-2", oidc_provider_exists=False):
    """Create or update the hosting stack from infra/hosting.yaml with your AWS credentials; print the repository settings it gives."""
    parameters = {
        "CertificateArn": certificate_arn,
        "GitHubRepository": repository,
        "GitHubOidcProviderExists": str(oidc_provider_exists).lower(),
    }
    try:
        outputs = hosting.deploy(stack, parameters, region=region)
    except hosting.HostingError as error:
        raise Exit(f"infra-deploy: {error}", code=1) from error
    print(hosting.settings_table(outputs))


# The next two use development packages (fontTools, Playwright), which the job that publishes
# does not install: they are imported when the task runs, not when invoke reads this file.
@task
def brand(c):
    """Cut Public Sans (npm) to the characters English and Spanish need, and draw the wordmark and favicon."""
    from laceps import brand

    brand.write()


@task(help={"baselines": "also record where each page's key elements sit, for tests/test_layout.py"})
def screenshots(c, baselines=False):
    """Screenshot the main pages of a production build at 375 and 1280 px into docs/screenshots/."""
    from laceps import screenshots

    screenshots.run(baselines=baselines)


@task
def cms(c):
    """Run Decap's local backend: the web editor at /admin/ of `invoke livereload` then saves into this folder."""
    editor.serve_local_backend()


@task(name="cms-vendor")
def cms_vendor(c):
    """Copy Decap CMS from node_modules (the version package-lock.json pins) into theme/static/admin/decap-cms/."""
    print(f"Copied {editor.vendor()} files of decap-cms into {editor.VENDORED.relative_to(editor.PROJECT_ROOT)}.")


@task(help={"site": "the production build to check (default output/, as `invoke preview` makes it)",
            "issue": "open, update or close the GitHub issue that lists dead links (GitHub Actions: GITHUB_TOKEN)"})
def links(c, site="", issue=False):
    """List the links to other websites that no longer work, with the pages that hold them; dead links never fail it."""
    try:
        link_report.run(site, issue=issue, environ=os.environ)
    except link_report.LinkCheckError as error:
        raise Exit(f"links: {error}", code=1) from error
