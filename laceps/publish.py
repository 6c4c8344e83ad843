"""Publish the site: a fresh production build, synced to the bucket behind the CDN.

Only files whose bytes changed are sent. S3 gives an object sent in one part an
ETag that is the MD5 of its bytes, so one listing of the bucket tells what changed.

The order never shows a visitor a broken page: new and changed images and fonts
go first, then the stylesheets and scripts that use them, then new pages, then
changed pages (only they can link to new ones), then the feeds, sitemap and
robots.txt that point to pages; objects no longer in the build are deleted
last. A publish that stops half-way leaves every live page pointing at files
that exist, and the next publish finishes the job.
"""

import base64
import hashlib
import mimetypes
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError
from pelican.settings import read_settings

from laceps import site


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


# --- What each file is -----------------------------------------------------------
# Upload stages, in order: a file may refer only to files of earlier stages
# (a stylesheet to fonts, a page to stylesheets, a feed to pages).
MEDIA, CODE, PAGE, INDEX = range(4)
CODE_SUFFIXES = (".css", ".js", ".mjs", ".json", ".webmanifest")
INDEX_NAMES = ("sitemap.xml", "robots.txt")
FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")  # theme/site.80037072ea.css
CACHE_FOREVER = "public, max-age=31536000, immutable"  # a new version gets a new name
CACHE_BRIEFLY = "public, max-age=300, must-revalidate"  # a new version keeps its address
CACHE_A_DAY = "public, max-age=86400"  # images and fonts: rarely replaced under the same name
# Python's built-in table lacks or misnames these.
CONTENT_TYPES = {
    ".atom.xml": "application/atom+xml",
    ".rss.xml": "application/rss+xml",
    ".xml": "application/xml",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}
BUILT_IN_TYPES = mimetypes.MimeTypes()  # Python's own table only, not the machine's /etc/mime.types


def stage(path):
    name = PurePosixPath(path).name
    if name.endswith(".html"):
        return PAGE
    if name in INDEX_NAMES or name.endswith((".atom.xml", ".rss.xml")):
        return INDEX
    return CODE if name.endswith(CODE_SUFFIXES) else MEDIA


def cache_control(path):
    if FINGERPRINTED.search(path):
        return CACHE_FOREVER
    # Anything that names other files must be fetched again soon, or it would name old ones.
    return CACHE_A_DAY if stage(path) == MEDIA else CACHE_BRIEFLY


def content_type(path):
    name = PurePosixPath(path).name.lower()
    kind = next((kind for suffix, kind in CONTENT_TYPES.items() if name.endswith(suffix)), None)
    kind = kind or BUILT_IN_TYPES.guess_type(name)[0] or "application/octet-stream"
    is_text = kind.startswith("text/") or kind.endswith(("/xml", "+xml", "/json", "+json"))
    return f"{kind}; charset=utf-8" if is_text else kind


@dataclass(frozen=True)
class SiteFile:
    path: str  # relative to the site root: "news/index.html"
    source: Path
    md5: str

    @property
    def stage(self):
        return stage(self.path)


def site_files(folder):
    """Every file of a built site, by its path in the site."""
    files = {}
    for source in sorted(Path(folder).rglob("*")):
        if source.is_file():
            path = source.relative_to(folder).as_posix()
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


# --- What to change ----------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    new: list  # SiteFiles not in the bucket
    changed: list  # SiteFiles whose bytes differ from the bucket's copy
    gone: list  # paths in the bucket but not in the build
    unchanged: int

    @property
    def uploads(self):
        """New and changed files in the safe order. New pages come before changed
        ones because only a changed page can link to a new one."""
        changed = set(self.changed)
        return sorted(self.new + self.changed, key=lambda file: (file.stage, file in changed, file.path))

    @property
    def stale_pages(self):
        """Pages the CDN may hold an old copy of."""
        replaced = [file.path for file in self.changed if file.stage == PAGE]
        return sorted(replaced + [path for path in self.gone if stage(path) == PAGE])

    def lines(self, target):
        changed = set(self.changed)
        yield (
            f"Publish to {target}: {len(self.new)} to upload, {len(self.changed)} to replace, "
            f"{len(self.gone)} to delete, {self.unchanged} unchanged."
        )
        for file in self.uploads:
            yield f"  {'replace' if file in changed else 'upload':<8} {file.path}"
        for path in self.gone:
            yield f"  {'delete':<8} {path}"


def bucket_etags(s3, target):
    """{path in the site: ETag} for every object under the target's prefix."""
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
        for item in page.get("Contents", []):
            etags[item["Key"][len(target.prefix):]] = item["ETag"].strip('"')
    return etags


def make_plan(files, etags):
    new = [file for path, file in files.items() if path not in etags]
    changed = [file for path, file in files.items() if path in etags and etags[path] != file.md5]
    gone = sorted(set(etags) - set(files))
    return Plan(new, changed, gone, unchanged=len(files) - len(new) - len(changed))


# --- Doing it -----------------------------------------------------------------------
MAX_INVALIDATION_PATHS = 1000  # CloudFront bills each path past 1,000 a month; "/*" counts as one


def invalidation_paths(pages):
    """CloudFront paths for pages: a folder's index.html is also served as the folder."""
    paths = []
    for page in pages:
        paths.append("/" + quote(page))
        if PurePosixPath(page).name == "index.html":
            paths.append("/" + quote(page[: -len("index.html")]))
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
    check_production_build(folder, site_url)
    clients = clients or connect(target)
    files = site_files(folder)
    try:
        plan = make_plan(files, bucket_etags(clients.s3, target))
    except (BotoCoreError, ClientError) as error:
        raise PublishError(explain(error, target)) from error
    for line in plan.lines(target):
        print(line)
    stale = invalidation_paths(plan.stale_pages) if target.distribution_id else []
    if dry_run:
        if stale:
            print(f"Would invalidate {len(stale)} paths on CloudFront distribution {target.distribution_id}.")
        print("Dry run: nothing was changed.")
        return plan
    try:
        for file in plan.uploads:
            doing = f"uploading {file.path}"
            upload(clients.s3, target, file)
        for path in plan.gone:
            doing = f"deleting {path}"
            clients.s3.delete_object(Bucket=target.bucket, Key=target.key(path))
    except (BotoCoreError, ClientError) as error:
        raise PublishError(
            f"stopped while {doing}: {explain(error, target)}; the live site still works, publish again to finish"
        ) from error
    print(f"Published: {len(plan.new)} uploaded, {len(plan.changed)} replaced, {len(plan.gone)} deleted.")
    if stale:
        try:
            invalidation = invalidate(clients.cloudfront, target.distribution_id, stale)
        except (BotoCoreError, ClientError) as error:
            raise PublishError(
                f"the bucket is up to date, but the CDN was not told which pages changed: {explain(error, target)}; "
                "its copies expire within 5 minutes"
            ) from error
        print(f"Invalidated {len(stale)} paths on CloudFront distribution {target.distribution_id} ({invalidation}).")
    return plan


def publish_site(config=None, dry_run=False):
    """Build the production site into a fresh folder and sync it to the target bucket."""
    target = Target.from_settings(config)
    with tempfile.TemporaryDirectory(prefix="laceps-publish-") as folder:
        try:
            # No content cache: every page is made from the sources as they are now.
            site.build(
                settings=site.PRODUCTION_SETTINGS,
                output=folder,
                extra={"CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False},
            )
        except site.BuildFailed as error:
            raise PublishError(f"nothing published: {error}") from error
        site_url = read_settings(str(site.PRODUCTION_SETTINGS))["SITEURL"]
        return sync(Path(folder), target, site_url, dry_run=dry_run)
