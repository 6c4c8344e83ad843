"""Hosting as code (infra/): the committed CloudFormation template is a render of the site's settings
and infra/viewer-request.js; cfn-lint and checkov pass it; CloudFront's headers agree with `_headers`
and with each page's own policy; the viewer-request function, run in Node, serves folders and
redirects as the site needs; and what moto's CloudFormation can create is deployed on moto's server
and published into."""

import fnmatch
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from urllib.parse import unquote, urlsplit

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import html_pages, page_file
from laceps import PROJECT_ROOT, hosting, preview, publish
from laceps.publish import Target, connect, content_type, sync
from laceps.serve_static import free_port, headers_for_path, read_headers_file
from tests.reading import page


# --- The template ------------------------------------------------------------------------------
class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms: !Ref X is {"Ref": "X"}, !Sub s is {"Fn::Sub": s}."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        return {name: value.split(".", 1) if suffix == "GetAtt" else value}
    return {name: loader.construct_sequence(node, deep=True)}


CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load(text):
    return yaml.load(text, Loader=CloudFormationLoader)  # noqa: S506 - a SafeLoader with CloudFormation's tags


TEMPLATE = load(hosting.TEMPLATE.read_text(encoding="utf-8"))
RESOURCES = TEMPLATE["Resources"]


def test_the_committed_template_is_a_render_of_the_current_settings():
    assert hosting.TEMPLATE.read_text(encoding="utf-8") == hosting.render(), "run `uv run invoke infra` and commit infra/hosting.yaml"


def test_cfn_lint_finds_nothing():
    """Errors, warnings and informational findings alike."""
    assert hosting.cfn_lint() == []


def test_checkov_passes_and_every_skip_is_needed_and_says_why():
    report = hosting.checkov()
    assert report["failed"] == []
    assert len(report["passed"]) > 20
    skip_comments = re.findall(r"# checkov:skip=(CKV2?_AWS_\d+):(.+)", hosting.TEMPLATE.read_text(encoding="utf-8"))
    assert sorted(check for check, _ in skip_comments) == sorted(check for check, _, _ in report["skipped"])
    assert all(len(reason.split()) >= 6 for _, _, reason in report["skipped"]), report["skipped"]


def test_the_template_names_every_setting_the_workflows_read_as_an_output():
    """Each output's description is the GitHub environment, kind and name of one setting."""
    described = sorted(tuple(output["Description"].split()) for output in TEMPLATE["Outputs"].values())
    assert described == sorted((environment, kind, name) for environment, kind, name, _ in hosting.OUTPUTS.values())


# --- The viewer-request function, in Node ------------------------------------------------------------
def function_code():
    """The function as the rendered template carries it."""
    return RESOURCES["ViewerRequestFunction"]["Properties"]["FunctionCode"]


def querystring(raw):
    """CloudFront's parsed query string: values as sent (still percent-encoded), repeats in multiValue."""
    parsed = {}
    for pair in filter(None, raw.split("&")):
        name, _, value = pair.partition("=")
        if name in parsed:
            parsed[name].setdefault("multiValue", [{"value": parsed[name]["value"]}]).append({"value": value})
        else:
            parsed[name] = {"value": value}
    return parsed


def viewer_request(address, host="lacfeps.org"):
    path, _, raw_query = address.partition("?")
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionDomainName": "d111111abcdef8.cloudfront.net"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "method": "GET",
            "uri": path,
            "querystring": querystring(raw_query),
            "headers": {"host": {"value": host}, "accept": {"value": "text/html"}},
            "cookies": {},
        },
    }


def run_function(code, events):
    """The function's answers to the events, computed by Node in a bare V8 context, as CloudFront runs
    it: no require, no process, no timers."""
    script = (
        "const vm = require('vm');"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "const context = vm.createContext({});"
        "vm.runInContext(input.code, context);"
        "process.stdout.write(JSON.stringify(input.events.map((event) => context.handler(event))));"
    )
    result = subprocess.run(
        ["node", "-e", script], input=json.dumps({"code": code, "events": events}),
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout)


# (address, host) -> what the function does: ("serve", the object's key and the query it keeps) or
# ("redirect", the Location).
CASES = {
    ("/", "lacfeps.org"): ("serve", "/index.html"),
    ("/about-us/", "lacfeps.org"): ("serve", "/about-us/index.html"),
    ("/about-us", "lacfeps.org"): ("redirect", "/about-us/"),
    ("/es", "lacfeps.org"): ("redirect", "/es/"),
    ("/es/about-us/", "lacfeps.org"): ("serve", "/es/about-us/index.html"),
    ("/theme/site.53160c0296.css", "lacfeps.org"): ("serve", "/theme/site.53160c0296.css"),
    ("/feeds/all.atom.xml", "lacfeps.org"): ("serve", "/feeds/all.atom.xml"),
    ("/pagefind/pagefind-worker.js", "lacfeps.org"): ("serve", "/pagefind/pagefind-worker.js"),
    ("/favicon.svg", "lacfeps.org"): ("serve", "/favicon.svg"),
    # Newsletter links: a redirect keeps the whole query string, repeats and escapes as sent.
    ("/about-us?utm_source=newsletter&utm_medium=email", "lacfeps.org"):
        ("redirect", "/about-us/?utm_source=newsletter&utm_medium=email"),
    ("/news?tag=a&tag=b&q=caf%C3%A9%20con%20leche&flag", "lacfeps.org"):
        ("redirect", "/news/?tag=a&tag=b&q=caf%C3%A9%20con%20leche&flag"),
    ("/about-us/?utm_source=newsletter", "lacfeps.org"): ("serve", "/about-us/index.html"),
    # A dot in a folder's name: a folder address is still a folder, and a last part without a dot a page.
    ("/news/2025/v1.2/", "lacfeps.org"): ("serve", "/news/2025/v1.2/index.html"),
    ("/news/v1.2/report", "lacfeps.org"): ("redirect", "/news/v1.2/report/"),
    ("/downloads/annual.report.pdf", "lacfeps.org"): ("serve", "/downloads/annual.report.pdf"),
    # www goes to the bare domain in one hop, with the folder's slash and the query string.
    ("/", "www.lacfeps.org"): ("redirect", "https://lacfeps.org/"),
    ("/about-us", "www.lacfeps.org"): ("redirect", "https://lacfeps.org/about-us/"),
    ("/about-us/?utm_campaign=spring&utm_source=newsletter", "www.lacfeps.org"):
        ("redirect", "https://lacfeps.org/about-us/?utm_campaign=spring&utm_source=newsletter"),
    ("/theme/site.53160c0296.css", "www.lacfeps.org"): ("redirect", "https://lacfeps.org/theme/site.53160c0296.css"),
    # A preview, on the preview distribution's own address.
    ("/pr-123", "d111111abcdef8.cloudfront.net"): ("redirect", "/pr-123/"),
    ("/pr-123/search/", "d111111abcdef8.cloudfront.net"): ("serve", "/pr-123/search/index.html"),
}


def test_the_template_carries_the_function_file():
    assert function_code() == hosting.FUNCTION.read_text(encoding="utf-8")
    assert RESOURCES["ViewerRequestFunction"]["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"


def test_the_function_serves_folders_and_redirects_as_the_site_needs():
    events = [viewer_request(address, host) for address, host in CASES]
    answers = run_function(function_code(), events)

    for (address, host), event, answer in zip(CASES, events, answers, strict=True):
        action, expected = CASES[address, host]
        if action == "serve":
            assert "statusCode" not in answer, (address, host, answer)
            assert answer["uri"] == expected, (address, host)
            assert answer["querystring"] == event["request"]["querystring"], (address, host)  # passed on untouched
        else:
            assert answer == {
                "statusCode": 301,
                "statusDescription": "Moved Permanently",
                "headers": {"location": {"value": expected}},
            }, (address, host)


def test_the_function_fits_cloudfronts_limit():
    assert len(function_code().encode()) < 10 * 1024  # CloudFront Functions take at most 10 KB of code


# --- Security headers: one source ----------------------------------------------------------------
def policy_of(resource):
    return RESOURCES[resource]["Properties"]["ResponseHeadersPolicyConfig"]


def headers_of(resource):
    """The HTTP headers a response headers policy of the template sets, as a browser receives them."""
    config = policy_of(resource)
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    headers = {
        "Content-Security-Policy": security["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts["IncludeSubdomains"] else "") + ("; preload" if hsts["Preload"] else ""),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
    }
    assert all(value["Override"] for value in security.values())
    headers.update({item["Header"]: item["Value"] for item in config.get("CustomHeadersConfig", {}).get("Items", [])})
    return headers


def behaviours(distribution):
    """[(path pattern, response headers policy)] in CloudFront's order: the first pattern that matches wins."""
    config = RESOURCES[distribution]["Properties"]["DistributionConfig"]
    ordered = [(b["PathPattern"], b["ResponseHeadersPolicyId"]["Ref"]) for b in config.get("CacheBehaviors", [])]
    return ordered + [("*", config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]["Ref"])]


def headers_for(distribution, path):
    """The headers CloudFront adds to the response for `path` (its patterns' * matches across folders)."""
    return headers_of(next(policy for pattern, policy in behaviours(distribution) if fnmatch.fnmatchcase(path, pattern)))


def directives(policy):
    return {part.split()[0]: sorted(part.split()[1:]) for part in policy.split(";") if part.strip()}


def meta_policy(root, path):
    return page(root, page_file(root, path).relative_to(root)).xpath('//meta[@http-equiv="Content-Security-Policy"]/@content')[0]


def test_every_page_gets_its_own_policy_as_a_header_plus_frame_ancestors(built_site):
    """A header can only narrow the page's own policy: the header for each page's path must be that very
    policy (plus frame-ancestors), or the page would break (a wider header would be a needless hole)."""
    for path in html_pages(built_site):
        for distribution, address in (("SiteDistribution", path), ("PreviewDistribution", f"/pr-123{path}")):
            header = directives(headers_for(distribution, address)["Content-Security-Policy"])
            assert header.pop("frame-ancestors") == ["'none'"]
            assert header == directives(meta_policy(built_site, path)), (distribution, path)


def test_the_headers_file_sends_what_cloudfront_sends(built_site):
    """`_headers` has one rule for every page (hosts add up every matching rule): the search pages' header,
    which each page's meta policy narrows; its other headers are CloudFront's. The web editor's folder
    detaches that policy for its own, so where CloudFront sends more than the pages' policy, `_headers`
    sends exactly what CloudFront sends, and one policy only."""
    rules = read_headers_file(built_site / "_headers")
    [(pattern, headers)] = [rule for rule in rules if rule[0] == "/*"]
    search_page = headers_for("SiteDistribution", "/search/")
    assert dict(headers) == search_page
    assert directives(search_page["Content-Security-Policy"]) == directives(
        meta_policy(built_site, "/search/") + "; frame-ancestors 'none'"
    )
    for path in [*html_pages(built_site), "/pagefind/pagefind-worker.js", "/admin/config.yml", "/admin/decap-cms/decap-cms.js"]:
        cloudfront = headers_for("SiteDistribution", path)
        expected = search_page if cloudfront == headers_of("SiteHeaders") else cloudfront
        assert sorted(headers_for_path(rules, path)) == sorted(expected.items()), path


def test_the_referrer_meta_tag_says_what_the_header_says(built_site):
    for path in html_pages(built_site):
        referrer = page(built_site, page_file(built_site, path).relative_to(built_site)).xpath('//meta[@name="referrer"]/@content')
        assert referrer == [headers_for("SiteDistribution", path)["Referrer-Policy"]], path


def test_previews_are_never_indexed_and_always_fresh_and_the_site_is_indexed():
    for _, policy in behaviours("PreviewDistribution"):
        assert headers_of(policy)["X-Robots-Tag"] == "noindex"
        assert headers_of(policy)["Cache-Control"] == "no-cache"
    for _, policy in behaviours("SiteDistribution"):
        assert "X-Robots-Tag" not in headers_of(policy)


# The search page in Chromium, served with the headers CloudFront adds to each path: Pagefind's
# worker takes the policy it is served with, so /pagefind/* needs the search page's.
def search_as_served_by(browser, built_site, behaviour_list, word="Scholars", timeout=10_000):
    """Search for a word on https://lacfeps.org/search/, the production build's files answering every
    request with the headers of the first of `behaviour_list` that matches. Return whether results
    showed, and the console's warnings and errors."""

    def answer(route):
        path = urlsplit(route.request.url).path
        file = built_site / unquote(path).lstrip("/")
        file = file / "index.html" if path.endswith("/") else file
        headers = headers_of(next(policy for pattern, policy in behaviour_list if fnmatch.fnmatchcase(path, pattern)))
        if not file.is_file():
            return route.fulfill(status=404, headers=headers, body="Not found")
        return route.fulfill(status=200, headers={**headers, "Content-Type": content_type(file.name)}, body=file.read_bytes())

    context = browser.new_context()
    try:
        context.route("https://lacfeps.org/**", answer)
        messages = []
        tab = context.new_page()
        tab.on("console", lambda message: message.type in ("warning", "error") and messages.append(message.text))
        tab.goto("https://lacfeps.org/search/")
        tab.get_by_role("searchbox").fill(word)
        try:
            tab.locator("[data-search-results] a").first.wait_for(timeout=timeout)
        except PlaywrightTimeout:
            return False, messages
        return True, messages
    finally:
        context.close()


def test_search_works_under_cloudfronts_headers_without_a_violation(browser, built_site):
    assert search_as_served_by(browser, built_site, behaviours("SiteDistribution")) == (True, [])


def test_pagefinds_worker_needs_the_search_pages_policy(browser, built_site):
    """The control: served with the other pages' header, the worker cannot compile Pagefind's WebAssembly,
    and the search finds nothing."""
    without_pagefind = [(pattern, policy) for pattern, policy in behaviours("SiteDistribution") if not pattern.startswith("/pagefind/")]
    found, messages = search_as_served_by(browser, built_site, without_pagefind, timeout=5_000)
    assert not found
    assert any("WebAssembly" in message or "Content Security Policy" in message for message in messages), messages


# --- Deployed on moto's server -------------------------------------------------------------------
# What moto 5's CloudFormation cannot create; the test deploys the rest (see the variant below).
MOTO_CANNOT_CREATE = {
    "AWS::S3::BucketPolicy",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::Function",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudFront::Distribution",
    "AWS::IAM::OIDCProvider",
}


def test_moto_cannot_create_exactly_these_resource_types():
    """If moto learns one of them, this fails: deploy it too, and say so in the README."""
    from moto.cloudformation.parsing import resource_class_from_type

    types = {resource["Type"] for resource in RESOURCES.values()}
    assert {kind for kind in types if not resource_class_from_type(kind)} == MOTO_CANNOT_CREATE


def without_what_moto_cannot_create(template):
    """The template less the resources moto cannot create, with the outputs that name them; a reference
    to one becomes the text not-deployed-<name>."""
    removed = {name for name, resource in template["Resources"].items() if resource["Type"] in MOTO_CANNOT_CREATE}

    def replace(value):
        if isinstance(value, dict):
            if value.get("Ref") in removed:
                return f"not-deployed-{value['Ref']}"
            if "Fn::Sub" in value:
                text = value["Fn::Sub"]
                for name in removed:
                    text = re.sub(r"\$\{" + name + r"(\.[\w.]+)?\}", f"not-deployed-{name}", text)
                return {"Fn::Sub": text}
            return {key: replace(item) for key, item in value.items()}
        if isinstance(value, list):
            return [replace(item) for item in value]
        return value

    variant = {key: value for key, value in template.items() if key not in ("Resources", "Outputs")}
    variant["Resources"] = {name: replace(resource) for name, resource in template["Resources"].items() if name not in removed}
    variant["Outputs"] = {
        name: output for name, output in template["Outputs"].items() if not any(gone in json.dumps(output["Value"]) for gone in removed)
    }
    return variant


# Fake credentials and no AWS set-up of this machine: boto3 reads none of ~/.aws, nor the instance's metadata.
def fake_aws(tmp_path, moto_url):
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": moto_url,  # every service, CloudFront and S3 included, on moto's server
    }


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's server on a loopback port, with this process's AWS settings pointing at it."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith(("AWS_", "LACEPS_"))]:
            patch.delenv(name)
        for name, value in fake_aws(tmp_path_factory.mktemp("aws"), f"http://127.0.0.1:{port}").items():
            patch.setenv(name, value)
        yield f"http://127.0.0.1:{port}"
    server.stop()


PARAMETERS = {
    "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "GitHubRepository": "laceps/website",
    "GitHubOidcProviderExists": "false",
}


@pytest.fixture(scope="module")
def stack(moto):
    """The parts of the template moto can create, deployed as `invoke infra-deploy` deploys: {(environment, name): value}."""
    body = json.dumps(without_what_moto_cannot_create(TEMPLATE))
    outputs = hosting.deploy("laceps-site", PARAMETERS, template_body=body, cloudformation=boto3.client("cloudformation"))
    return {(environment, name): value for environment, _, name, value in hosting.settings_from_outputs(outputs)}


def test_the_stack_deploys_on_moto_with_its_buckets_roles_and_outputs(stack):
    s3, iam = boto3.client("s3"), boto3.client("iam")
    assert set(stack) == {
        ("production", "LACEPS_S3_BUCKET"), ("production", "LACEPS_S3_REGION"), ("production", "AWS_ROLE_ARN"),
        ("preview", "LACEPS_S3_BUCKET"), ("preview", "LACEPS_S3_REGION"), ("preview", "AWS_ROLE_ARN"),
    }  # the distribution's ID and the preview's address need CloudFront, which moto cannot create
    assert stack["production", "LACEPS_S3_REGION"] == "us-west-2"
    for environment in ("production", "preview"):
        encryption = s3.get_bucket_encryption(Bucket=stack[environment, "LACEPS_S3_BUCKET"])["ServerSideEncryptionConfiguration"]
        assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        role = iam.get_role(RoleName=stack[environment, "AWS_ROLE_ARN"].rsplit("/", 1)[1])["Role"]
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"]["StringEquals"] == {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": f"repo:laceps/website:environment:{environment}",
        }
    assert stack["production", "LACEPS_S3_BUCKET"] != stack["preview", "LACEPS_S3_BUCKET"]


def test_deploying_again_updates_the_stack_and_prints_the_settings_to_copy(stack):
    body = json.dumps(without_what_moto_cannot_create(TEMPLATE))
    outputs = hosting.deploy("laceps-site", PARAMETERS, template_body=body, cloudformation=boto3.client("cloudformation"))

    table = hosting.settings_table(outputs).splitlines()
    assert table[0].startswith("Copy these into the repository's settings")
    assert [line.split() for line in table[1:]] == [
        [environment, kind, name, value] for environment, kind, name, value in hosting.settings_from_outputs(outputs)
    ]
    assert {(environment, name): value for environment, _, name, value in hosting.settings_from_outputs(outputs)} == stack


def test_invoke_publish_publishes_into_the_stacks_bucket(stack, built_site):
    environment = {
        **os.environ,
        "LACEPS_S3_BUCKET": stack["production", "LACEPS_S3_BUCKET"],
        "LACEPS_S3_REGION": stack["production", "LACEPS_S3_REGION"],
        "LACEPS_S3_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
    }
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "publish", "--site", str(built_site)],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    home = boto3.client("s3").get_object(Bucket=stack["production", "LACEPS_S3_BUCKET"], Key="index.html")["Body"].read()
    assert b'<link rel="canonical" href="https://lacfeps.org/">' in home


# --- Previews, on moto's S3 ------------------------------------------------------------------------
PREVIEW_URL = f"https://d111111abcdef8.cloudfront.net/{hosting.PREVIEW_PREFIX}123"


@pytest.fixture(scope="module")
def preview_build(tmp_path_factory):
    """The real content built as the preview workflow builds pull request 123."""
    return preview.build(PREVIEW_URL, noindex=True, output=tmp_path_factory.mktemp("preview") / "output")


def canonical(root, path):
    return page(root, page_file(root, path).relative_to(root)).xpath('//link[@rel="canonical"]/@href')


def robots(root, path):
    return page(root, page_file(root, path).relative_to(root)).xpath('//meta[@name="robots"]/@content')


def test_a_preview_has_its_own_addresses_and_tells_search_engines_not_to_index_it(preview_build, built_site):
    pages = html_pages(preview_build)
    assert pages == html_pages(built_site)
    for path in pages:
        assert any("noindex" in value for value in robots(preview_build, path)), path
        assert robots(built_site, path) != ["noindex"], path  # the live site is indexed (a page may opt out)
        assert canonical(preview_build, path) == [c.replace("https://lacfeps.org", PREVIEW_URL) for c in canonical(built_site, path)]
        links = page(preview_build, page_file(preview_build, path).relative_to(preview_build)).xpath("//@href | //@src")
        assert not [link for link in links if link.startswith("https://lacfeps.org")], path


def run_invoke(*arguments, **settings):
    return subprocess.run(
        [sys.executable, "-m", "invoke", *arguments],
        cwd=PROJECT_ROOT, env={**os.environ, **settings}, capture_output=True, text=True, check=False,
    )


def keys(bucket, prefix=""):
    """{key: ETag} of the bucket's objects under a prefix."""
    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {item["Key"]: item["ETag"] for item in listing}


def test_a_preview_is_published_under_its_prefix_only_and_deleted_with_it(stack, preview_build):
    bucket = stack["preview", "LACEPS_S3_BUCKET"]
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{hosting.PREVIEW_PREFIX}7/index.html", Body=b"another pull request's preview")
    before = keys(bucket)
    settings = {"LACEPS_S3_BUCKET": bucket, "LACEPS_S3_PREFIX": f"{hosting.PREVIEW_PREFIX}123"}

    published = run_invoke("publish", "--site", str(preview_build), "--site-url", PREVIEW_URL, **settings)

    assert published.returncode == 0, published.stdout + published.stderr
    after = keys(bucket)
    assert {key: etag for key, etag in after.items() if key in before} == before
    assert all(key.startswith(f"{hosting.PREVIEW_PREFIX}123/") for key in set(after) - set(before))
    home = boto3.client("s3").get_object(Bucket=bucket, Key=f"{hosting.PREVIEW_PREFIX}123/index.html")["Body"].read()
    assert b'<meta name="robots" content="noindex">' in home
    assert f'<link rel="canonical" href="{PREVIEW_URL}/">'.encode() in home

    removed = run_invoke("unpublish", **settings)

    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert keys(bucket) == before
    assert f"Deleted {len(after) - len(before)} files." in removed.stdout


def test_a_preview_publish_checks_the_folder_against_the_preview_address(stack, built_site):
    """The live site's build is not the preview's: the canonical addresses must be the preview's."""
    result = run_invoke(
        "publish", "--site", str(built_site), "--site-url", PREVIEW_URL,
        LACEPS_S3_BUCKET=stack["preview", "LACEPS_S3_BUCKET"], LACEPS_S3_PREFIX=f"{hosting.PREVIEW_PREFIX}123",
    )
    assert result.returncode == 1
    assert f"does not name {PREVIEW_URL}/ as its canonical address" in result.stderr


@pytest.mark.parametrize("arguments, message", [
    (["publish", "--site-url", PREVIEW_URL], "publish: a site address goes with --site"),
    (["unpublish"], "unpublish: no prefix to delete"),
])
def test_what_could_reach_the_wrong_files_is_refused(stack, arguments, message):
    result = run_invoke(*arguments, LACEPS_S3_BUCKET=stack["preview", "LACEPS_S3_BUCKET"])
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr


# --- Least privilege: what publishing asks of AWS, against the roles' policies -------------------------
ACCOUNT = "123456789012"


class Calls:
    """The permission each AWS call of the clients needs: (action, resource ARN, condition values)."""

    def __init__(self, clients):
        self.needed = []
        for client in (clients.s3, clients.cloudfront):
            client.meta.events.register("provide-client-params", self.note)

    def note(self, params, event_name, **_):
        operation = event_name.rsplit(".", 1)[1]
        bucket = f"arn:aws:s3:::{params.get('Bucket')}"
        if operation == "ListObjectsV2":
            self.needed.append(("s3:ListBucket", bucket, {"s3:prefix": params.get("Prefix", "")}))
        elif operation in ("GetObject", "PutObject", "DeleteObject"):
            self.needed.append((f"s3:{operation}", f"{bucket}/{params['Key']}", {}))
        elif operation == "DeleteObjects":
            self.needed += [("s3:DeleteObject", f"{bucket}/{item['Key']}", {}) for item in params["Delete"]["Objects"]]
        elif operation == "CreateInvalidation":
            self.needed.append(("cloudfront:CreateInvalidation", f"arn:aws:cloudfront::{ACCOUNT}:distribution/{params['DistributionId']}", {}))
        else:
            self.needed.append((operation, "unknown to this test: add it", {}))


def role_policy(role, names):
    """The role's one policy in the template, its ${...} replaced by the deployed names (names: {"SiteBucket.Arn": ...})."""
    [policy] = RESOURCES[role]["Properties"]["Policies"]
    text = json.dumps(policy["PolicyDocument"])
    for name, value in {**names, "AWS::Partition": "aws", "AWS::AccountId": ACCOUNT}.items():
        text = text.replace("${" + name + "}", value)
    document = json.loads(text)
    for statement in document["Statement"]:
        resource = statement["Resource"]
        if "Fn::GetAtt" in resource:  # !GetAtt Bucket.Arn
            statement["Resource"] = names[".".join(resource["Fn::GetAtt"])]
        elif "Fn::Sub" in resource:
            statement["Resource"] = resource["Fn::Sub"]
    return document


def allows(document, action, resource, context):
    """Whether an IAM policy of Allow statements grants the call (wildcards as IAM reads them; StringLike conditions)."""
    def listed(value):
        return value if isinstance(value, list) else [value]

    return any(
        statement["Effect"] == "Allow"
        and action in listed(statement["Action"])
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in listed(statement["Resource"]))
        and all(fnmatch.fnmatchcase(context.get(key, ""), pattern)
                for key, pattern in statement.get("Condition", {}).get("StringLike", {}).items())
        for statement in document["Statement"]
    )


def changed_copy(folder, destination):
    """The build with one page changed and one removed: a publish then replaces, deletes and invalidates."""
    shutil.copytree(folder, destination)
    about = destination / "about-us" / "index.html"
    about.write_text(about.read_text(encoding="utf-8").replace("</main>", "<p>Changed.</p></main>"), encoding="utf-8")
    (destination / "our-team" / "index.html").unlink()
    return destination


def test_the_publisher_role_allows_what_a_publish_does_and_nothing_more(stack, built_site, tmp_path):
    bucket = stack["production", "LACEPS_S3_BUCKET"]
    distribution = boto3.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": "least-privilege", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": f"{bucket}.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https", "CachePolicyId": hosting.CACHING_OPTIMIZED},
    })["Distribution"]["Id"]
    target = Target(bucket=bucket, distribution_id=distribution)
    clients = connect(target)
    calls = Calls(clients)

    for folder in (built_site, changed_copy(built_site, tmp_path / "changed")):
        sync(folder, target, "https://lacfeps.org", clients=clients)

    policy = role_policy("PublisherRole", {"SiteBucket.Arn": f"arn:aws:s3:::{bucket}", "SiteDistribution": distribution})
    assert [call for call in calls.needed if not allows(policy, *call)] == []
    granted = {action for statement in policy["Statement"] for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])}
    assert {action for action, _, _ in calls.needed} == granted  # no permission a publish does not use


def test_the_preview_role_and_the_workflows_session_policy_allow_what_a_preview_needs_and_nothing_more(stack, preview_build, tmp_path):
    bucket = stack["preview", "LACEPS_S3_BUCKET"]
    target = Target(bucket=bucket, prefix=f"{hosting.PREVIEW_PREFIX}123/")
    clients = connect(target)
    calls = Calls(clients)

    for folder in (preview_build, changed_copy(preview_build, tmp_path / "changed")):
        sync(folder, target, PREVIEW_URL, clients=clients)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(publish, "connect", lambda _: clients)
        publish.delete_all({"bucket": bucket, "prefix": target.prefix})

    policy = role_policy("PreviewPublisherRole", {"PreviewBucket.Arn": f"arn:aws:s3:::{bucket}"})
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "preview.yml").read_text(encoding="utf-8"))
    [session] = [step["with"]["inline-session-policy"] for step in workflow["jobs"]["publish"]["steps"] if "inline-session-policy" in step.get("with", {})]
    session = json.loads(session.replace("${{ vars.LACEPS_S3_BUCKET }}", bucket).replace("${{ github.event.pull_request.number }}", "123"))
    assert [call for call in calls.needed if not (allows(policy, *call) and allows(session, *call))] == []
    assert {action for action, _, _ in calls.needed} == {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    # Another pull request's preview, and the bucket as a whole, are out of these keys' reach.
    for elsewhere in (f"arn:aws:s3:::{bucket}/{hosting.PREVIEW_PREFIX}7/index.html", f"arn:aws:s3:::{bucket}/index.html"):
        assert not allows(session, "s3:PutObject", elsewhere, {}) and not allows(session, "s3:DeleteObject", elsewhere, {})
    assert not allows(policy, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": ""})


# --- The comment on the pull request, against a stand-in for GitHub's API -----------------------------
class FakeGitHub(http.server.BaseHTTPRequestHandler):
    """GitHub's issue comments API for one pull request, in memory: {"comments": [...]} on the server."""

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 - http.server's name
        assert self.headers["Authorization"] == "Bearer the-token"
        path = urlsplit(self.path)
        assert path.path == "/repos/laceps/website/issues/123/comments"
        page = int(dict(part.split("=") for part in path.query.split("&"))["page"])
        self.reply(200, self.server.comments[(page - 1) * 100: page * 100])

    def do_POST(self):  # noqa: N802
        comment = {
            "id": len(self.server.comments) + 1, "user": {"login": "github-actions[bot]"}, "body": self.body()["body"],
        }
        comment["url"] = f"{self.server.url}/repos/laceps/website/issues/comments/{comment['id']}"
        self.server.comments.append(comment)
        self.reply(201, comment)

    def do_PATCH(self):  # noqa: N802
        [comment] = [c for c in self.server.comments if self.path.endswith(f"/issues/comments/{c['id']}")]
        comment["body"] = self.body()["body"]
        self.reply(200, comment)

    def body(self):
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def log_message(self, *args):
        pass


@pytest.fixture
def github():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), FakeGitHub)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    # A long conversation, one of whose comments quotes the marker: only the workflow's own is ever edited.
    server.comments = [
        {"id": n, "url": f"{server.url}/repos/laceps/website/issues/comments/{n}", "user": {"login": "editor"},
         "body": f"comment {n}" if n != 50 else f"Quoting it: {preview.COMMENT_MARKER}"}
        for n in range(1000, 1150)
    ]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_preview_has_one_comment_updated_by_each_run_then_saying_it_is_deleted(github):
    environ = {"GITHUB_TOKEN": "the-token", "GITHUB_API_URL": github.url, "GITHUB_REPOSITORY": "laceps/website"}
    address = f"{PREVIEW_URL}/"
    others = [dict(comment) for comment in github.comments]

    for _ in range(2):  # every push
        preview.upsert_comment(123, preview.comment_text(address), environ)
    preview.upsert_comment(123, preview.comment_text(), environ)  # closed

    assert github.comments[:-1] == others
    [own] = github.comments[len(others):]
    assert own["body"] == preview.comment_text()
    assert own["body"].startswith(preview.COMMENT_MARKER) and "deleted" in own["body"]
    assert address in preview.comment_text(address)
