"""Publish the site: a production build, synced to the bucket behind the CDN; and unpublish a
pull request's preview (`delete_all`).

The build runs in a process whose environment holds no credentials (or CI builds in a
job without any and hands over the folder), so no content can publish a secret. The
sync sends only files whose bytes changed, in the order laceps.publish_plan works out:
a publish that stops at any point leaves every live page pointing at files that exist,
and the next publish finishes the job and refreshes what the stopped one changed.
"""

import base64
import hashlib
import mimetypes
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, InvalidRegionError, NoCredentialsError, ParamValidationError
from botocore.utils import validate_region_name
from pelican.settings import read_settings

from laceps import PROJECT_ROOT, site
from laceps.publish_plan import (
    MANIFEST,
    MEDIA,
    NO_MANIFEST,
    PAGE_MAX_AGE,
    PUBLISHING_FOLDER,
    Manifest,
    SiteFile,
    is_fingerprinted,
    make_plan,
    stage,
)


class PublishError(RuntimeError):
    """Publishing stopped; the message is one line that says what to fix."""


# --- Where to publish --------------------------------------------------------
ENVIRONMENT_VARIABLES = {
    "bucket": "LACEPS_S3_BUCKET",
    "region": "LACEPS_S3_REGION",
    "endpoint_url": "LACEPS_S3_ENDPOINT_URL",
    "prefix": "LACEPS_S3_PREFIX",
    "distribution_id": "LACEPS_CLOUDFRONT_DISTRIBUTION_ID",
}


@dataclass(frozen=True)
class Target:
    """The bucket (and CDN) to publish to. Credentials are not here: boto3 reads the standard AWS chain."""

    bucket: str
    region: str | None = None
    endpoint_url: str | None = None
    prefix: str = ""  # "" or a folder such as "preview/"
    distribution_id: str | None = None

    @classmethod
    def from_settings(cls, config=None, environ=os.environ):
        """Each setting from its LACEPS_* environment variable, else from invoke's `publish` configuration."""
        config = config or {}
        values = {}
        for name, variable in ENVIRONMENT_VARIABLES.items():
            # CI hands over an unset repository variable as "", so empty means unset.
            value = environ.get(variable) or config.get(name)
            if value:
                values[name] = str(value).strip()
        if not values.get("bucket"):
            raise PublishError("no bucket to publish to: set LACEPS_S3_BUCKET (or publish.bucket in invoke.yaml)")
        folder = values.get("prefix", "").strip("/")
        values["prefix"] = f"{folder}/" if folder else ""
        endpoint = urlsplit(values.get("endpoint_url", ""))
        if "endpoint_url" in values and (endpoint.scheme not in ("http", "https") or not endpoint.hostname):
            raise PublishError(
                f"LACEPS_S3_ENDPOINT_URL {values['endpoint_url']!r} is not an address: "
                "write it whole, for example https://ACCOUNT_ID.r2.cloudflarestorage.com"
            )
        try:
            validate_region_name(values.get("region"))
        except InvalidRegionError as error:
            raise PublishError(
                f"LACEPS_S3_REGION {values['region']!r} is not a region name: write it as the store names it, "
                "for example us-west-2 (auto for R2)"
            ) from error
        return cls(**values)

    def key(self, path):
        return self.prefix + path

    def __str__(self):
        where = f"s3://{self.bucket}/{self.prefix}"
        return f"{where} at {self.endpoint_url}" if self.endpoint_url else where


@dataclass(frozen=True)
class Clients:
    s3: object
    cloudfront: object


def connect(target):
    """boto3 clients for the target, retrying throttling and server errors with backoff."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 8},
        # S3-compatible stores (R2, B2, older MinIO) reject the checksum headers
        # botocore adds by default; uploads carry Content-MD5 instead.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session(region_name=target.region)
    return Clients(
        s3=session.client("s3", endpoint_url=target.endpoint_url, config=config),
        cloudfront=session.client("cloudfront", config=config),
    )


# --- How each file is served -----------------------------------------------------
CACHE_FOREVER = "public, max-age=31536000, immutable"  # a new version gets a new name
CACHE_BRIEFLY = f"public, max-age={PAGE_MAX_AGE}, must-revalidate"  # a new version keeps its address
CACHE_A_DAY = "public, max-age=86400"  # images and fonts: rarely replaced under the same name
# Python's built-in table lacks or misnames these.
CONTENT_TYPES = {
    ".atom.xml": "application/atom+xml",
    ".rss.xml": "application/rss+xml",
    ".xml": "application/xml",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".yml": "text/yaml",  # the web editor's config.yml: Decap warns of a file not served as YAML
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}
BUILT_IN_TYPES = mimetypes.MimeTypes()  # Python's own table only, not the machine's /etc/mime.types


def cache_control(path):
    if is_fingerprinted(path):
        return CACHE_FOREVER
    # Anything that names other files must be fetched again soon, or it would name old ones.
    return CACHE_A_DAY if stage(path) == MEDIA else CACHE_BRIEFLY


def content_type(path):
    name = PurePosixPath(path).name.lower()
    kind = next((kind for suffix, kind in CONTENT_TYPES.items() if name.endswith(suffix)), None)
    kind = kind or BUILT_IN_TYPES.guess_type(name)[0] or "application/octet-stream"
    is_text = kind.startswith("text/") or kind.endswith(("/xml", "+xml", "/json", "+json"))
    return f"{kind}; charset=utf-8" if is_text else kind


def site_files(folder):
    """Every file of a built site, by its path in the site. A link could lead anywhere: refuse it."""
    files = {}
    for source in sorted(Path(folder).rglob("*")):
        path = source.relative_to(folder).as_posix()
        if source.is_symlink():
            raise PublishError(f"{source} is a symbolic link: a built site holds only its own files; nothing published")
        if path.startswith(PUBLISHING_FOLDER):
            raise PublishError(f"{source}: {PUBLISHING_FOLDER} is publishing's own folder; nothing published")
        if source.is_file():
            # MD5 only to compare with S3's ETag; not for security (and so allowed on FIPS systems).
            digest = hashlib.md5(source.read_bytes(), usedforsecurity=False).hexdigest()
            files[path] = SiteFile(path, source, digest)
    return files


def check_production_build(folder, site_url):
    """Refuse a folder whose home page does not give the live site's address as its canonical URL."""
    home = Path(folder) / "index.html"
    canonical = re.compile(rf'<link\b[^>]*\brel="canonical"[^>]*\bhref="{re.escape(site_url)}/"')
    if not home.is_file() or not canonical.search(home.read_text(encoding="utf-8")):
        raise PublishError(
            f"{folder} is not a production build: its index.html does not name {site_url}/ as its canonical address"
        )


# --- What the bucket holds -----------------------------------------------------------
def bucket_etags(s3, target):
    """{path in the site: ETag} for every object of the site under the target's prefix."""
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
        for item in page.get("Contents", []):
            path = item["Key"][len(target.prefix):]
            if not path.startswith(PUBLISHING_FOLDER):
                etags[path] = item["ETag"].strip('"')
    return etags


def read_manifest(s3, target):
    """The record of the last complete publish; none before the first."""
    try:
        data = s3.get_object(Bucket=target.bucket, Key=target.key(MANIFEST))["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return NO_MANIFEST
        raise
    try:
        return Manifest.parse(data)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise PublishError(
            f"s3://{target.bucket}/{target.key(MANIFEST)} is damaged ({one_line(error)}): delete it, publish, "
            "then invalidate /* on the CDN, as the record of what it may hold is lost"
        ) from error


def write_manifest(s3, target, manifest):
    s3.put_object(
        Bucket=target.bucket,
        Key=target.key(MANIFEST),
        Body=manifest.dumps(),
        ContentType=content_type(MANIFEST),
        CacheControl="no-store",
    )


# --- Doing it -----------------------------------------------------------------------
MAX_INVALIDATION_PATHS = 1000  # CloudFront bills each path past 1,000 a month; "/*" counts as one


def invalidation_paths(files):
    """CloudFront paths for the site's files: a folder's index.html is also served as the folder."""
    paths = []
    for file in files:
        paths.append("/" + quote(file))
        if PurePosixPath(file).name == "index.html":
            paths.append("/" + quote(file[: -len("index.html")]))
    return paths if len(paths) <= MAX_INVALIDATION_PATHS else ["/*"]


def upload(s3, target, file):
    # One PUT per file, never a multipart upload, so the ETag stays the MD5 of the bytes.
    s3.put_object(
        Bucket=target.bucket,
        Key=target.key(file.path),
        Body=file.source.read_bytes(),
        ContentType=content_type(file.path),
        CacheControl=cache_control(file.path),
        ContentMD5=base64.b64encode(bytes.fromhex(file.md5)).decode(),  # the store checks the bytes arrived whole
    )


def invalidate(cloudfront, distribution_id, paths):
    response = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"laceps-publish-{time.time_ns()}",
        },
    )
    return response["Invalidation"]["Id"]


def one_line(text):
    return " ".join(str(text).split())


def explain(error, target):
    """A one-line reason for a failed AWS call, with what to check."""
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found: configure them as for the AWS CLI (environment, ~/.aws, or a role)"
    if isinstance(error, ParamValidationError):
        return f"check LACEPS_S3_BUCKET ({target.bucket!r}): {one_line(error)}"
    if not isinstance(error, ClientError):
        return one_line(error)
    code = error.response.get("Error", {}).get("Code", "")
    message = one_line(error.response.get("Error", {}).get("Message", error))
    if code == "NoSuchBucket":
        return f"bucket {target.bucket!r} does not exist: check LACEPS_S3_BUCKET and LACEPS_S3_ENDPOINT_URL"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "InvalidClientTokenId"):
        return f"the AWS credentials were refused ({code}: {message})"
    if code == "AccessDenied":
        return f"access denied ({message}): the credentials lack a permission the publisher needs (see README, Publishing)"
    return f"{code}: {message}"


def sync(folder, target, site_url, clients=None, dry_run=False):
    """Make the bucket hold exactly the built site in `folder`; print the plan; return it."""
    files = site_files(folder)  # first: it refuses symbolic links before anything reads through one
    check_production_build(folder, site_url)
    clients = clients or connect(target)
    try:
        plan = make_plan(files, bucket_etags(clients.s3, target), read_manifest(clients.s3, target), site_url, time.time())
    except (BotoCoreError, ClientError) as error:
        raise PublishError(explain(error, target)) from error
    for line in plan.lines(target):
        print(line)
    stale = invalidation_paths(plan.stale) if target.distribution_id else []
    if dry_run:
        if stale:
            print(f"Would invalidate {len(stale)} paths on CloudFront distribution {target.distribution_id}.")
        print("Dry run: nothing was changed.")
        return plan
    try:
        for file in plan.uploads:
            doing = f"uploading {file.path}"
            upload(clients.s3, target, file)
        for path in plan.deletions:
            doing = f"deleting {path}"
            clients.s3.delete_object(Bucket=target.bucket, Key=target.key(path))
    except (BotoCoreError, ClientError) as error:
        raise PublishError(
            f"stopped while {doing}: {explain(error, target)}; the live site still works, publish again to finish"
        ) from error
    print(
        f"Published: {len(plan.uploads) - len(plan.replaced)} uploaded, {len(plan.replaced)} replaced, "
        f"{len(plan.deletions)} deleted."
    )
    if stale:
        try:
            invalidation = invalidate(clients.cloudfront, target.distribution_id, stale)
        except (BotoCoreError, ClientError) as error:
            raise PublishError(
                f"the bucket is up to date, but the CDN was not told which files changed: {explain(error, target)}; "
                "publish again to tell it"
            ) from error
        print(f"Invalidated {len(stale)} paths on CloudFront distribution {target.distribution_id} ({invalidation}).")
    record = plan.manifest(now=time.time())
    try:
        # Last: until it is written, the next publish treats this one as stopped and repeats the invalidation.
        if record != plan.previous:
            write_manifest(clients.s3, target, record)
    except (BotoCoreError, ClientError) as error:
        raise PublishError(
            f"the site is published, but its record {MANIFEST} was not written: {explain(error, target)}; publish again"
        ) from error
    return plan


# The build needs no secret, so it sees only these variables and an empty HOME (no ~/.aws).
# An allowlist: CI and laptops hold more secrets than AWS_* (GitHub tokens, other clouds).
BUILD_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "SOURCE_DATE_EPOCH")


def build_without_credentials(output):
    """Build the production site into `output` in a process whose environment holds no credentials."""
    with tempfile.TemporaryDirectory(prefix="laceps-build-home-") as home:
        environment = {
            name: value for name, value in os.environ.items() if name in BUILD_ENVIRONMENT or name.startswith("LC_")
        }
        environment["HOME"] = home
        command = [sys.executable, "-m", "laceps.publish_build", str(output)]
        result = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, check=False)
    if result.returncode != 0:
        raise PublishError(f"nothing published: the build failed (exit {result.returncode}); the messages above say why")


def publish_site(config=None, dry_run=False, built_site=None, site_url=None):
    """Sync a production build to the target bucket: the folder `built_site`, else a fresh build.

    site_url: the address `built_site` was built for, when it is not the live site's (a preview's)."""
    target = Target.from_settings(config)
    if site_url and not built_site:
        raise PublishError("a site address goes with --site: build for it first (invoke preview --site-url), then publish that folder")
    site_url = site_url.rstrip("/") if site_url else read_settings(str(site.PRODUCTION_SETTINGS))["SITEURL"]
    if built_site:
        if not Path(built_site).is_dir():
            raise PublishError(f"{built_site} is not a folder: give --site the folder of a production build")
        return sync(Path(built_site), target, site_url, dry_run=dry_run)
    with tempfile.TemporaryDirectory(prefix="laceps-publish-") as folder:
        build_without_credentials(Path(folder) / "site")
        return sync(Path(folder) / "site", target, site_url, dry_run=dry_run)


def delete_all(config=None):
    """Delete every object under the target's prefix (a closed pull request's preview); return how many."""
    target = Target.from_settings(config)
    if not target.prefix:
        raise PublishError("no prefix to delete: set LACEPS_S3_PREFIX to the preview's folder (pr-<number>); the whole bucket is never deleted")
    s3 = connect(target).s3
    deleted = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:  # a page holds at most 1,000 keys, as many as one request deletes
                response = s3.delete_objects(Bucket=target.bucket, Delete={"Objects": keys, "Quiet": True})
                if response.get("Errors"):
                    error = response["Errors"][0]
                    raise PublishError(f"could not delete {error['Key']}: {error['Code']} {error.get('Message', '')}")
                deleted += len(keys)
    except (BotoCoreError, ClientError) as error:
        raise PublishError(explain(error, target)) from error
    return deleted
