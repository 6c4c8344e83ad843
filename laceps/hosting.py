"""Hosting as code: infra/hosting.yaml, the CloudFormation template of the site's bucket, CDN,
security headers, publisher roles and pull-request previews.

It is rendered from infra/hosting.yaml.j2 with the site's own settings (its address, the pages'
Content-Security-Policy, SECURITY_HEADERS) and infra/viewer-request.js, so the headers CloudFront
sends, the `_headers` file and the pages' meta tags come from one source. The rendered template is
committed (a test compares it with a fresh render), checked by cfn-lint and checkov, and deployed
with boto3.
"""

import json
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import jinja2
from botocore.exceptions import BotoCoreError, ClientError, WaiterError
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, site
from laceps.plugins.templating import merge_policies
from laceps.publish_plan import PUBLISHING_FOLDER

INFRA = PROJECT_ROOT / "infra"
SOURCE = INFRA / "hosting.yaml.j2"
TEMPLATE = INFRA / "hosting.yaml"
FUNCTION = INFRA / "viewer-request.js"
TOOLS = Path(sys.executable).parent  # the project's virtual environment: cfn-lint, checkov

PREVIEW_PREFIX = "pr-"  # a pull request's preview lives under pr-<number>/ in the preview bucket
PREVIEW_HEADERS = {"X-Robots-Tag": "noindex", "Cache-Control": "no-cache"}
# CloudFront's managed cache policies.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# The headers CloudFront sets itself (SecurityHeadersConfig); SECURITY_HEADERS may name only these.
HANDLED_HEADERS = {"Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy"}

# The stack's outputs: the GitHub environment, kind of setting and name each one is, and its value.
OUTPUTS = {
    "SiteBucketName": ("production", "variable", "LACEPS_S3_BUCKET", "!Ref SiteBucket"),
    "SiteRegion": ("production", "variable", "LACEPS_S3_REGION", "!Ref AWS::Region"),
    "SiteDistributionId": ("production", "variable", "LACEPS_CLOUDFRONT_DISTRIBUTION_ID", "!Ref SiteDistribution"),
    "PublisherRoleArn": ("production", "secret", "AWS_ROLE_ARN", "!GetAtt PublisherRole.Arn"),
    "PreviewBucketName": ("preview", "variable", "LACEPS_S3_BUCKET", "!Ref PreviewBucket"),
    "PreviewRegion": ("preview", "variable", "LACEPS_S3_REGION", "!Ref AWS::Region"),
    "PreviewUrl": ("repository", "variable", "LACEPS_PREVIEW_URL", '!Sub "https://${PreviewDistribution.DomainName}"'),
    "PreviewRoleArn": ("preview", "secret", "AWS_ROLE_ARN", "!GetAtt PreviewPublisherRole.Arn"),
}
OUTPUT_DESCRIPTION = re.compile(r"^(\w+) (variable|secret) (\w+)$")


class HostingError(RuntimeError):
    """A one-line reason the template could not be checked or deployed."""


def production_settings():
    return read_settings(str(site.PRODUCTION_SETTINGS))


def header_policy(settings, *extra):
    """The Content-Security-Policy header: the pages' policy, what their pages also need, and what only a header can say."""
    return merge_policies(settings["CONTENT_SECURITY_POLICY"], *extra, settings["HEADER_CSP"])


def search_paths(settings):
    """CloudFront path patterns whose responses need SEARCH_CSP: the search page in each language, and
    Pagefind's folder, whose worker script runs under the policy it is served with.

    Any other page that needs more than CONTENT_SECURITY_POLICY needs its own patterns and policy,
    as the web editor has (admin_paths); tests/test_hosting.py fails until it has them."""
    folder = settings["SEARCH_SAVE_AS"].removesuffix("index.html")
    languages = ["", *(f"{lang}/" for lang in settings["I18N_SUBSITES"])]
    return [f"/{lang}{folder}*" for lang in languages] + [f"/{settings['SEARCH_INDEX_FOLDER']}/*"]


def admin_paths(settings):
    """CloudFront path patterns whose responses need ADMIN_CSP: the web editor's folder (laceps.cms),
    whose one document is its page; the rest is what Decap loads from beside itself (scripts,
    WebAssembly, config.yml). The main site's only: the translations have no editor."""
    return [f"/{posixpath.dirname(settings['ADMIN_SAVE_AS'])}/*"]


def hsts(value):
    """Strict-Transport-Security's value as CloudFront's policy states it."""
    parts = [part.strip() for part in value.split(";") if part.strip()]
    max_age = next(int(part.split("=", 1)[1]) for part in parts if part.lower().startswith("max-age="))
    flags = {part.lower() for part in parts}
    return {"max_age": max_age, "include_subdomains": "includesubdomains" in flags, "preload": "preload" in flags}


def yaml_scalar(value):
    """A YAML scalar of a string, number or boolean (JSON's quoting is YAML's too)."""
    return json.dumps(value, ensure_ascii=False)


def render(settings=None):
    """The text of infra/hosting.yaml for the site's settings."""
    settings = settings or production_settings()
    headers = settings["SECURITY_HEADERS"]
    if set(headers) != HANDLED_HEADERS or headers["X-Content-Type-Options"] != "nosniff":
        raise HostingError(
            f"SECURITY_HEADERS names {sorted(headers)}: CloudFront's policy here sets exactly {sorted(HANDLED_HEADERS)} "
            "(X-Content-Type-Options: nosniff); change laceps/hosting.py and infra/hosting.yaml.j2 with it"
        )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(INFRA),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML: values are quoted by the yaml filter
    )
    environment.filters["yaml"] = yaml_scalar
    return environment.get_template(SOURCE.name).render(
        domain=urlsplit(settings["SITEURL"]).hostname,
        site_policy=header_policy(settings),
        search_policy=header_policy(settings, settings["SEARCH_CSP"]),
        admin_policy=header_policy(settings, settings["ADMIN_CSP"]),
        # Each wider policy's resource name (a preview's is "Preview" before it) and its path patterns.
        wider_paths={"SearchHeaders": search_paths(settings), "AdminHeaders": admin_paths(settings)},
        hsts=hsts(headers["Strict-Transport-Security"]),
        referrer_policy=headers["Referrer-Policy"],
        preview_headers=PREVIEW_HEADERS,
        preview_prefix=PREVIEW_PREFIX,
        publishing_folder=PUBLISHING_FOLDER,
        function_code=FUNCTION.read_text(encoding="utf-8").rstrip("\n"),
        caching_optimized=CACHING_OPTIMIZED,
        caching_disabled=CACHING_DISABLED,
        outputs=OUTPUTS,
    )


def write():
    """Render infra/hosting.yaml; return whether it changed."""
    text = render()
    changed = not TEMPLATE.exists() or TEMPLATE.read_text(encoding="utf-8") != text
    if changed:
        TEMPLATE.write_text(text, encoding="utf-8")
    return changed


# --- Checking ----------------------------------------------------------------------------------
def cfn_lint(template=TEMPLATE):
    """cfn-lint's findings (errors, warnings and informational), as its JSON report lists them."""
    result = subprocess.run(
        [str(TOOLS / "cfn-lint"), "--format", "json", "--include-checks", "I", "--", str(template)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise HostingError(f"cfn-lint did not run (exit {result.returncode}): {result.stderr.strip()}") from error


def checkov(template=TEMPLATE):
    """checkov's report on the template: {"passed": [...], "failed": [...], "skipped": [...]} of check IDs."""
    result = subprocess.run(
        [str(TOOLS / "checkov"), "--compact", "--output", "json", "--framework", "cloudformation",
         "--skip-download", "--file", str(template)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise HostingError(f"checkov did not run (exit {result.returncode}): {result.stderr.strip()}") from error
    results = report["results"]
    return {
        outcome: [(check["check_id"], check["resource"], check["check_result"].get("suppress_comment", "")) for check in results[f"{outcome}_checks"]]
        for outcome in ("passed", "failed", "skipped")
    }


def check(template=TEMPLATE):
    """Lines describing every problem: the committed template differs from a render, or a linter objects."""
    problems = []
    if not template.exists() or template.read_text(encoding="utf-8") != render():
        problems.append(f"{template.relative_to(PROJECT_ROOT)} is not a render of the current settings: run `uv run invoke infra`")
    for finding in cfn_lint(template):
        location = finding["Location"]["Start"]
        problems.append(f"{finding['Filename']}:{location['LineNumber']}: cfn-lint {finding['Rule']['Id']} {finding['Message']}")
    for check_id, resource, _ in checkov(template)["failed"]:
        problems.append(f"{template.name}: checkov {check_id} fails on {resource}: fix it, or skip it with a reason beside it")
    return problems


# --- Deploying ---------------------------------------------------------------------------------
def settings_from_outputs(outputs):
    """[(environment, kind, name, value)] for the repository's settings, from a stack's outputs."""
    rows = []
    for output in outputs:
        match = OUTPUT_DESCRIPTION.match(output.get("Description", ""))
        if match:
            rows.append((*match.groups(), output["OutputValue"]))
    return sorted(rows)


def settings_table(outputs):
    """What to copy into GitHub (Settings → Environments), one setting a line."""
    rows = settings_from_outputs(outputs)
    lines = ["Copy these into the repository's settings (Settings → Environments → each environment):"]
    lines += [f"  {environment:<11} {kind:<9} {name:<34} {value}" for environment, kind, name, value in rows]
    return "\n".join(lines)


def deploy(stack, parameters, region=None, template_body=None, cloudformation=None):
    """Create or update the stack with the template and wait for it; return its outputs."""
    if template_body is None:
        template_body = TEMPLATE.read_text(encoding="utf-8")
        if template_body != render():
            raise HostingError("infra/hosting.yaml is not a render of the current settings: run `uv run invoke infra`, check and commit it")
    cloudformation = cloudformation or boto3.client("cloudformation", region_name=region)
    arguments = {
        "StackName": stack,
        "TemplateBody": template_body,
        "Parameters": [{"ParameterKey": key, "ParameterValue": str(value)} for key, value in parameters.items()],
        "Capabilities": ["CAPABILITY_IAM"],
    }
    try:
        try:
            cloudformation.describe_stacks(StackName=stack)
            exists = True
        except ClientError as error:
            if "does not exist" not in str(error):
                raise
            exists = False
        if exists:
            try:
                cloudformation.update_stack(**arguments)
            except ClientError as error:
                if "No updates are to be performed" not in str(error):
                    raise
            else:
                wait(cloudformation, "stack_update_complete", stack)
        else:
            cloudformation.create_stack(**arguments, OnFailure="ROLLBACK")
            wait(cloudformation, "stack_create_complete", stack)
        return cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    except (BotoCoreError, ClientError) as error:
        raise HostingError(f"stack {stack}: {' '.join(str(error).split())}") from error


def wait(cloudformation, waiter, stack):
    # A distribution takes minutes to create: poll every 15 s, for up to an hour.
    try:
        cloudformation.get_waiter(waiter).wait(StackName=stack, WaiterConfig={"Delay": 15, "MaxAttempts": 240})
    except WaiterError as error:
        events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
        failed = [f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}" for event in events if event["ResourceStatus"].endswith("_FAILED")]
        raise HostingError(f"stack {stack} did not deploy: {'; '.join(failed[:3]) or error}") from error
