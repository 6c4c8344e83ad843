"""Publishing against a real S3 API: moto's server on a loopback port.

The sync tests use small hand-made builds, so they do not depend on the content;
the order of uploads is also checked, step by step, between real builds, and the
tests at the end run the whole `invoke publish`, build included.
"""

import functools
import gzip
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import PurePosixPath

import boto3
import pytest
from moto.server import ThreadedMotoServer

from laceps import PROJECT_ROOT
from laceps.publish import (
    CACHE_A_DAY,
    CACHE_BRIEFLY,
    CACHE_FOREVER,
    MAX_INVALIDATION_PATHS,
    PublishError,
    Target,
    cache_control,
    connect,
    content_type,
    invalidation_paths,
    publish_site,
    site_files,
    sync,
)
from laceps.publish_plan import MANIFEST, NO_MANIFEST, PUBLISHING_FOLDER, RETIRED_KEPT_FOR, make_plan
from laceps.serve_static import free_port
from tests.content_copy import build, build_variant, copy_content, replace_in

SITE_URL = "https://lacfeps.org"
BUCKET = "laceps-test-site"
OLD_CSS = "theme/site.abcdef0123.css"
NEW_CSS = "theme/site.9876543210.css"
LINK = re.compile(re.escape(SITE_URL) + r'/([^"<\s#?]*)')  # an address on the site, without #part or ?query


# --- A fake AWS on loopback ---------------------------------------------------------
@pytest.fixture(scope="module")
def moto_url():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def post_to_moto(url, body=b""):
    # Not form-encoded, or the server would read the body as a form and not as the value.
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request).close()


@pytest.fixture
def aws(moto_url, monkeypatch, tmp_path):
    """Fake credentials, nothing read from this machine's AWS set-up, and a clean server after."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "LACEPS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", moto_url)
    yield moto_url
    post_to_moto(f"{moto_url}/moto-api/reset")


@pytest.fixture
def target(aws):
    boto3.client("s3", endpoint_url=aws).create_bucket(Bucket=BUCKET)
    return Target(bucket=BUCKET, endpoint_url=aws)


@pytest.fixture
def s3(target):
    return boto3.client("s3", endpoint_url=target.endpoint_url)


class Recorder:
    """Clients whose S3 writes are recorded, in order, as ("put" | "delete", key)."""

    def __init__(self, target):
        self.clients = connect(target)
        self.writes = []
        events = self.clients.s3.meta.events
        events.register("provide-client-params.s3.PutObject", self.note("put"))
        events.register("provide-client-params.s3.DeleteObject", self.note("delete"))

    def note(self, action):
        def record(params, **_):
            self.writes.append((action, params["Key"]))

        return record

    def keys(self, action):
        return [key for done, key in self.writes if done == action]


class Killed(Exception):
    """The publishing process stopped dead: no message, no clean-up."""


def kill_at_write(clients, number):
    """Stop the process just before its `number`th write to the store (1 is the first)."""
    writes = 0

    def count(**_):
        nonlocal writes
        writes += 1
        if writes == number:
            raise Killed(f"killed before write {number}")

    clients.s3.meta.events.register("before-send.s3.PutObject", count)
    clients.s3.meta.events.register("before-send.s3.DeleteObject", count)


def refuse_upload_of(clients, refused_key):
    """Make the store answer 403 to the upload of one key, as a server refusing it would."""
    from botocore.awsrequest import AWSResponse

    class Body:
        def stream(self, **_):
            yield b"<Error><Code>AccessDenied</Code><Message>refused by the test</Message></Error>"

    def refuse(request, **_):
        if request.method == "PUT" and request.url.split("?")[0].endswith(f"/{BUCKET}/{refused_key}"):
            return AWSResponse(request.url, 403, {}, Body())
        return None

    clients.s3.meta.events.register("before-send.s3.PutObject", refuse)


# --- Hand-made builds ---------------------------------------------------------------
def page(path, css=OLD_CSS, links=(), text=""):
    address = path[: -len("index.html")] if path.endswith("index.html") else path
    anchors = "".join(f'<a href="{SITE_URL}/{link}">{link}</a>' for link in links)
    return (
        f'<!doctype html><html lang="en"><head><link rel="canonical" href="{SITE_URL}/{address}">'
        f'<link rel="stylesheet" href="{SITE_URL}/{css}"></head>'
        f'<body><img src="{SITE_URL}/images/logo.png" alt="">{anchors}<p>{text}</p></body></html>'
    )


def site_v1():
    """path -> content of a small production build."""
    return {
        "index.html": page("index.html", links=["about-us/", "news/2025/first/"]),
        "about-us/index.html": page("about-us/index.html", text="Who we are."),
        "news/2025/first/index.html": page("news/2025/first/index.html", text="First item."),
        "404.html": page("404.html"),
        OLD_CSS: "body { color: black; }",
        "images/logo.png": b"\x89PNG\r\n\x1a\n-logo-",
        "favicon.svg": '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        "feeds/all.atom.xml": f'<feed><link href="{SITE_URL}/news/2025/first/"/></feed>',
        "sitemap.xml": f"<urlset><url><loc>{SITE_URL}/about-us/</loc></url></urlset>",
        "robots.txt": f"User-agent: *\nSitemap: {SITE_URL}/sitemap.xml\n",
    }


def site_v2():
    """The next build: a new stylesheet and image, a new news item linked from the home page, a page removed."""
    files = site_v1()
    del files[OLD_CSS], files["about-us/index.html"]
    files[NEW_CSS] = "body { color: navy; }"
    files["images/new.png"] = b"\x89PNG\r\n\x1a\n-new-"
    for path in ("index.html", "news/2025/first/index.html", "404.html"):
        files[path] = files[path].replace(OLD_CSS, NEW_CSS)
    files["index.html"] = page("index.html", css=NEW_CSS, links=["news/2025/second/"])
    files["news/2025/second/index.html"] = page(
        "news/2025/second/index.html", css=NEW_CSS, links=["images/new.png"], text="Second item."
    )
    files["feeds/all.atom.xml"] = f'<feed><link href="{SITE_URL}/news/2025/second/"/></feed>'
    files["sitemap.xml"] = f"<urlset><url><loc>{SITE_URL}/news/2025/second/</loc></url></urlset>"
    return files


def v2_beside_the_old_stylesheet():
    """The bucket after publishing site_v2 over site_v1: pages cached before may still ask for the old stylesheet."""
    return as_bytes(site_v2()) | {OLD_CSS: as_bytes(site_v1())[OLD_CSS]}


def write_build(folder, files):
    for path, content in files.items():
        file = folder / path
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            file.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def builds(tmp_path):
    """builds(files) writes a new build folder, as each `invoke publish` does."""
    count = 0

    def make(files):
        nonlocal count
        count += 1
        return write_build(tmp_path / f"build-{count}", files)

    return make


def bucket_contents(s3, prefix=""):
    """The site's files in the bucket; publishing's own records left out."""
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    site = [key for key in keys if not key[len(prefix):].startswith(PUBLISHING_FOLDER)]
    return {key[len(prefix):]: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in site}


def read_manifest(s3, prefix=""):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=prefix + MANIFEST)["Body"].read())


def as_bytes(files):
    return {path: content if isinstance(content, bytes) else content.encode() for path, content in files.items()}


def broken_links(contents):
    """(object, address) for every address on the site that no object in the bucket serves."""
    broken = []
    for key, body in contents.items():
        if content_type(key).endswith("charset=utf-8"):
            for address in LINK.findall(body.decode()):
                served_by = address + "index.html" if address == "" or address.endswith("/") else address
                if served_by not in contents:
                    broken.append((key, address))
    return broken


# --- What gets uploaded, with which headers ------------------------------------------------
def test_first_publish_uploads_every_file_with_its_type_and_caching(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)

    assert bucket_contents(s3) == as_bytes(site_v1())
    expected = {
        "index.html": ("text/html; charset=utf-8", CACHE_BRIEFLY),
        "about-us/index.html": ("text/html; charset=utf-8", CACHE_BRIEFLY),
        "404.html": ("text/html; charset=utf-8", CACHE_BRIEFLY),
        OLD_CSS: ("text/css; charset=utf-8", CACHE_FOREVER),
        "images/logo.png": ("image/png", CACHE_A_DAY),
        "favicon.svg": ("image/svg+xml; charset=utf-8", CACHE_A_DAY),
        "feeds/all.atom.xml": ("application/atom+xml; charset=utf-8", CACHE_BRIEFLY),
        "sitemap.xml": ("application/xml; charset=utf-8", CACHE_BRIEFLY),
        "robots.txt": ("text/plain; charset=utf-8", CACHE_BRIEFLY),
    }
    for key, (kind, caching) in expected.items():
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (kind, caching), key
    assert CACHE_FOREVER == "public, max-age=31536000, immutable"
    assert "must-revalidate" in CACHE_BRIEFLY


def test_a_second_publish_of_the_same_build_uploads_nothing(target, builds, capsys):
    build = builds(site_v1())
    sync(build, target, SITE_URL)
    recorder = Recorder(target)

    plan = sync(build, target, SITE_URL, clients=recorder.clients)

    assert recorder.writes == []  # not even the manifest: it says the same
    assert (plan.uploads, plan.deletions, plan.kept, plan.unchanged) == ([], [], {}, len(site_v1()))
    assert "0 to upload, 0 to replace, 0 to delete, 0 kept for cached pages, 10 unchanged" in capsys.readouterr().out


def test_a_changed_news_item_uploads_only_that_file(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    files = site_v1()
    files["news/2025/first/index.html"] = page("news/2025/first/index.html", text="First item, corrected.")
    recorder = Recorder(target)

    sync(builds(files), target, SITE_URL, clients=recorder.clients)

    assert recorder.writes == [("put", "news/2025/first/index.html"), ("put", MANIFEST)]
    assert bucket_contents(s3) == as_bytes(files)


def test_a_removed_page_is_deleted(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    files = site_v1()
    del files["about-us/index.html"]
    files["sitemap.xml"] = "<urlset></urlset>"

    sync(builds(files), target, SITE_URL)

    assert "about-us/index.html" not in bucket_contents(s3)
    assert bucket_contents(s3) == as_bytes(files)


def test_each_file_goes_up_after_what_it_links_to_then_deletions_then_the_manifest(target, builds):
    sync(builds(site_v1()), target, SITE_URL)
    recorder = Recorder(target)

    sync(builds(site_v2()), target, SITE_URL, clients=recorder.clients)

    assert recorder.writes == [
        ("put", "images/new.png"),
        ("put", NEW_CSS),
        ("put", "news/2025/second/index.html"),  # the new page, before the pages and feed that link to it
        ("put", "404.html"),
        ("put", "index.html"),
        ("put", "news/2025/first/index.html"),
        ("put", "feeds/all.atom.xml"),
        ("put", "sitemap.xml"),
        ("delete", "about-us/index.html"),  # the old stylesheet stays while pages cached with it may ask for it
        ("put", MANIFEST),
    ]


def test_a_dry_run_prints_the_plan_and_changes_nothing(target, s3, builds, capsys):
    sync(builds(site_v1()), target, SITE_URL)
    before = bucket_contents(s3)
    capsys.readouterr()
    recorder = Recorder(target)

    sync(builds(site_v2()), target, SITE_URL, clients=recorder.clients, dry_run=True)

    assert recorder.writes == []
    assert bucket_contents(s3) == before
    printed = capsys.readouterr().out
    assert "3 to upload, 5 to replace, 1 to delete, 1 kept for cached pages, 3 unchanged" in printed
    for line in (f"upload   {NEW_CSS}", "replace  index.html", "delete   about-us/index.html", f"keep     {OLD_CSS}"):
        assert line in printed
    assert "Dry run: nothing was changed." in printed


def test_objects_outside_the_prefix_are_left_alone(target, s3, builds):
    s3.put_object(Bucket=BUCKET, Key="backups/keep-me.txt", Body=b"not the site's")
    in_folder = Target(bucket=BUCKET, endpoint_url=target.endpoint_url, prefix="preview/")

    sync(builds(site_v1()), in_folder, SITE_URL)

    assert bucket_contents(s3, "preview/") == as_bytes(site_v1())
    assert set(read_manifest(s3, "preview/")["files"]) == set(site_v1())
    assert s3.get_object(Bucket=BUCKET, Key="backups/keep-me.txt")["Body"].read() == b"not the site's"


# --- A publish that stops half-way -------------------------------------------------------------
@pytest.mark.parametrize("refused", [NEW_CSS, "news/2025/second/index.html", "index.html", "sitemap.xml"])
def test_a_publish_stopped_half_way_leaves_a_working_site_and_the_next_one_finishes(target, s3, builds, refused):
    sync(builds(site_v1()), target, SITE_URL)
    failing = connect(target)
    refuse_upload_of(failing, refused)

    with pytest.raises(PublishError, match=f"stopped while uploading {re.escape(refused)}: access denied"):
        sync(builds(site_v2()), target, SITE_URL, clients=failing)

    half_way = bucket_contents(s3)
    assert half_way != as_bytes(site_v2())
    assert broken_links(half_way) == []
    sync(builds(site_v2()), target, SITE_URL)
    assert bucket_contents(s3) == v2_beside_the_old_stylesheet()
    assert broken_links(bucket_contents(s3)) == []


# --- The CDN --------------------------------------------------------------------------------------
def create_distribution(endpoint_url):
    cloudfront = boto3.client("cloudfront", endpoint_url=endpoint_url)
    origin = f"{BUCKET}.s3.amazonaws.com"
    config = {
        "CallerReference": "laceps-test",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https", "CachePolicyId": "managed"},
    }
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    return cloudfront, distribution


def invalidated_paths(cloudfront, distribution):
    summaries = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    return [
        sorted(cloudfront.get_invalidation(DistributionId=distribution, Id=summary["Id"])["Invalidation"]["InvalidationBatch"]["Paths"]["Items"])
        for summary in summaries
    ]


# What a CDN may hold an old copy of, after publishing site_v2 over site_v1: the changed and removed
# pages (by both their addresses), feed and sitemap; never a fingerprinted file, whose name changes with it.
V2_STALE = sorted([
    "/404.html", "/index.html", "/", "/news/2025/first/index.html", "/news/2025/first/",
    "/about-us/index.html", "/about-us/", "/feeds/all.atom.xml", "/sitemap.xml",
])


@pytest.fixture
def with_cdn(target):
    """The target with a CloudFront distribution (moto's), and that CloudFront's client."""
    cloudfront, distribution = create_distribution(target.endpoint_url)
    return Target(bucket=BUCKET, endpoint_url=target.endpoint_url, distribution_id=distribution), cloudfront


def test_the_cdn_forgets_exactly_the_changed_and_removed_files(with_cdn, builds, capsys):
    target, cloudfront = with_cdn
    sync(builds(site_v1()), target, SITE_URL)
    assert invalidated_paths(cloudfront, target.distribution_id) == []  # nothing was served before

    sync(builds(site_v2()), target, SITE_URL)

    assert invalidated_paths(cloudfront, target.distribution_id) == [V2_STALE]
    printed = capsys.readouterr().out
    assert f"Invalidated {len(V2_STALE)} paths on CloudFront distribution {target.distribution_id}" in printed


def test_a_failed_invalidation_says_the_bucket_is_up_to_date_and_is_repeated_by_the_next_publish(target, s3, builds):
    unknown_cdn = Target(bucket=BUCKET, endpoint_url=target.endpoint_url, distribution_id="E0NOSUCHDIST")
    sync(builds(site_v1()), unknown_cdn, SITE_URL)

    with pytest.raises(PublishError, match="^the bucket is up to date, but the CDN was not told which files changed"):
        sync(builds(site_v2()), unknown_cdn, SITE_URL)
    assert bucket_contents(s3) == v2_beside_the_old_stylesheet()

    plan = sync(builds(site_v2()), unknown_cdn, SITE_URL, dry_run=True)
    assert sorted(invalidation_paths(plan.stale)) == V2_STALE


def test_many_changed_pages_are_invalidated_with_one_wildcard():
    few = [f"news/{number}/index.html" for number in range(MAX_INVALIDATION_PATHS // 2)]
    assert len(invalidation_paths(few)) == MAX_INVALIDATION_PATHS
    assert invalidation_paths(few + ["one-more/index.html"]) == ["/*"]


# --- Every stopping point -----------------------------------------------------------------------
# The check reads links its own way, not as publishing does: an address is named if a file holds
# it absolutely, as a search result's address, as a Pagefind chunk's hash, or as a name beside it.
ROOTS = ("index.html", "404.html", "robots.txt")  # where visitors and crawlers arrive without a link
PAGEFIND_HASH = re.compile(r"(?:pagefind\.)?([\w-]+_[0-9a-f]+)\.pf_\w+$")


def readable(data):
    """A file's text, Pagefind's compressed files unpacked."""
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8", "replace")


@functools.cache
def naming(source, path):
    """How the file at `source` can name the file at `path`."""
    address = "/" + path.removesuffix("index.html")
    ways = [re.escape(SITE_URL + address) + r"""(?=["'<\s#?),])""", re.escape(f'"url":"{address}') + '["#]']
    if hashed := PAGEFIND_HASH.search(path):
        ways.append(re.escape(hashed[1]))
    if PurePosixPath(source).parent == PurePosixPath(path).parent:
        ways.append(r"(?<![\w.-])" + re.escape(PurePosixPath(path).name) + r"(?![\w.-])")
    return re.compile("|".join(ways))


@functools.cache
def named(source, data, paths):
    text = readable(data)
    return {path for path in paths if path != source and naming(source, path).search(text)}


def broken_stopping_points(old, new, steps):
    """[(step, file, missing file it links to)] for each stopping point, from 0 (before the first step) on.

    old and new: {path: bytes}; steps: [("put" | "delete", path)]. Visitors arrive at the roots and at any
    page that was live before and stays (a bookmark), then follow links between live files.
    """
    paths = frozenset(old) | frozenset(new)
    arrivals = set(ROOTS) | {path for path in old if path.endswith(".html") and path in new}
    live = dict(old)
    broken = []
    for step, (action, path) in enumerate([(None, None), *steps]):
        if action == "put":
            live[path] = new[path]
        elif action == "delete":
            del live[path]
        reached, queue = set(), [path for path in arrivals if path in live]
        while queue:
            source = queue.pop()
            if source not in reached:
                reached.add(source)
                for target in named(source, live[source], paths):
                    if target in live:
                        queue.append(target)
                    else:
                        broken.append((step, source, target))
    return broken


def steps_of(plan):
    return [("put", file.path) for file in plan.uploads] + [("delete", path) for path in plan.deletions]


def folder_contents(folder):
    return {path: file.source.read_bytes() for path, file in site_files(folder).items()}


def plan_between(old_folder, new_folder):
    """The plan that publishes new_folder over a bucket holding old_folder (None: an empty bucket)."""
    live = {path: file.md5 for path, file in site_files(old_folder).items()} if old_folder else {}
    return make_plan(site_files(new_folder), live, NO_MANIFEST, SITE_URL, time.time())


def add_a_translated_page_and_a_news_item(content):
    """A new page and its Spanish translation (they link to each other), a link to it from a live page,
    and a news item with its own page: each new page is named by the new search index."""
    (content / "pages" / "partners.md").write_text(
        "Title: Our Partners\nSlug: partners\nSummary: Who works with the coalition.\n\nFamilies, schools and city partners.\n",
        encoding="utf-8",
    )
    (content / "pages" / "es" / "partners.md").write_text(
        "Title: Nuestros aliados\nSlug: partners\nLang: es\nSummary: Quién trabaja con la coalición.\n\n"
        "Familias, escuelas y aliados de la ciudad.\n",
        encoding="utf-8",
    )
    about = content / "pages" / "about-us.md"
    replace_in(about, "## LACEPS Today\n", "## LACEPS Today\n\nMeet [our partners]({filename}partners.md).\n")
    (content / "news" / "2026-05-01-family-summit.md").write_text(
        "Title: Family Summit\nDate: 2026-05-01\nCategory: News Stories\nSource: LACEPS\n"
        "Summary: Families from every network met at the summit.\n\nFamilies from every network met.\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def real_builds(tmp_path_factory):
    """Two production builds of the real content: as it is, and with new pages (see above)."""
    before = build(copy_content(tmp_path_factory.mktemp("before")), tmp_path_factory.mktemp("before-output"))
    after = build_variant(tmp_path_factory.mktemp("after"), change=add_a_translated_page_and_a_news_item)
    return before, after


def test_no_stopping_point_of_a_publish_shows_a_broken_link(builds):
    old, new = builds(site_v1()), builds(site_v2())
    plan = plan_between(old, new)

    assert broken_stopping_points(folder_contents(old), folder_contents(new), steps_of(plan)) == []


def test_no_stopping_point_between_real_builds_shows_a_broken_link(real_builds):
    before, after = real_builds
    plan = plan_between(before, after)
    order = [file.path for file in plan.uploads]

    # What the issue names: a new page and its new translation go up before the live pages that link to
    # them, and the search index's entry file after the pages its results name.
    new_pages = ["partners/index.html", "es/partners/index.html", "news/2026/family-summit/index.html"]
    for later in ("about-us/index.html", "sitemap.xml", "pagefind/pagefind-entry.json"):
        assert max(map(order.index, new_pages)) < order.index(later)
    assert broken_stopping_points(folder_contents(before), folder_contents(after), steps_of(plan)) == []


def test_the_stopping_point_check_sees_a_broken_link_when_there_is_one(real_builds):
    before, after = real_builds
    plan = plan_between(before, after)
    backwards = [("put", file.path) for file in reversed(plan.uploads)]

    assert broken_stopping_points(folder_contents(before), folder_contents(after), backwards) != []


def test_no_stopping_point_of_a_first_publish_shows_a_broken_link(real_builds):
    _, site = real_builds
    plan = plan_between(None, site)

    assert len(plan.uploads) == len(site_files(site))
    assert broken_stopping_points({}, folder_contents(site), steps_of(plan)) == []


# v1 -> v2 writes 10 times: 8 uploads, 1 deletion, then the manifest.
@pytest.mark.parametrize("killed_at", range(1, 11))
def test_a_repair_run_invalidates_what_a_killed_publish_changed(with_cdn, s3, builds, killed_at):
    target, cloudfront = with_cdn
    sync(builds(site_v1()), target, SITE_URL)
    killed = connect(target)
    kill_at_write(killed, killed_at)

    with pytest.raises(Killed):
        sync(builds(site_v2()), target, SITE_URL, clients=killed)
    assert broken_links(bucket_contents(s3)) == []

    sync(builds(site_v2()), target, SITE_URL)

    assert bucket_contents(s3) == v2_beside_the_old_stylesheet()
    assert invalidated_paths(cloudfront, target.distribution_id)[-1] == V2_STALE


def backdate_manifest(s3, seconds):
    """As if the last complete publish was `seconds` earlier."""
    manifest = read_manifest(s3)
    manifest["retired"] = {path: since - seconds for path, since in manifest["retired"].items()}
    s3.put_object(Bucket=BUCKET, Key=MANIFEST, Body=json.dumps(manifest).encode())


def test_an_unused_stylesheet_stays_until_the_pages_cached_with_it_expire(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    sync(builds(site_v2()), target, SITE_URL)
    assert OLD_CSS in bucket_contents(s3)
    assert time.time() - 60 < read_manifest(s3)["retired"][OLD_CSS] <= time.time()

    soon_after = Recorder(target)
    sync(builds(site_v2()), target, SITE_URL, clients=soon_after.clients)
    assert soon_after.writes == []

    backdate_manifest(s3, RETIRED_KEPT_FOR)
    later = Recorder(target)
    sync(builds(site_v2()), target, SITE_URL, clients=later.clients)
    assert later.writes == [("delete", OLD_CSS), ("put", MANIFEST)]
    assert bucket_contents(s3) == as_bytes(site_v2())
    assert read_manifest(s3)["retired"] == {}


def test_a_rollback_reuses_the_kept_stylesheet_and_keeps_the_newer_one(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    sync(builds(site_v2()), target, SITE_URL)
    recorder = Recorder(target)

    sync(builds(site_v1()), target, SITE_URL, clients=recorder.clients)

    assert ("put", OLD_CSS) not in recorder.writes
    assert set(read_manifest(s3)["retired"]) == {NEW_CSS}
    assert bucket_contents(s3) == as_bytes(site_v1()) | {NEW_CSS: as_bytes(site_v2())[NEW_CSS]}


def test_the_manifest_records_the_last_complete_publish_and_is_not_served_as_a_page(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    first = read_manifest(s3)
    sync(builds(site_v2()), target, SITE_URL)

    expected = {path: file.md5 for path, file in site_files(builds(site_v2())).items()}
    assert (first["files"].keys(), read_manifest(s3)["files"]) == (site_v1().keys(), expected)
    head = s3.head_object(Bucket=BUCKET, Key=MANIFEST)
    assert (head["ContentType"], head["CacheControl"]) == ("application/json; charset=utf-8", "no-store")


def test_a_build_with_a_file_in_publishings_own_folder_is_refused(target, s3, builds):
    files = site_v1() | {PUBLISHING_FOLDER + "manifest.json": "{}"}
    with pytest.raises(PublishError, match=r"\.laceps/ is publishing's own folder"):
        sync(builds(files), target, SITE_URL)
    assert bucket_contents(s3) == {}


# --- Refusals ---------------------------------------------------------------------------------------
def test_settings_come_from_the_environment_before_invoke_configuration():
    config = {"bucket": "from-config", "region": "eu-west-1", "prefix": "/site/"}
    environ = {"LACEPS_S3_BUCKET": "from-env", "LACEPS_S3_ENDPOINT_URL": "", "LACEPS_CLOUDFRONT_DISTRIBUTION_ID": "E123"}

    assert Target.from_settings(config, environ) == Target(
        bucket="from-env", region="eu-west-1", prefix="site/", distribution_id="E123"
    )


def test_no_bucket_is_refused():
    with pytest.raises(PublishError, match="no bucket to publish to: set LACEPS_S3_BUCKET"):
        Target.from_settings({}, {"LACEPS_S3_BUCKET": ""})


def test_a_bucket_that_does_not_exist_is_refused(target, builds):
    missing = Target(bucket="laceps-no-such-bucket", endpoint_url=target.endpoint_url)
    with pytest.raises(PublishError, match="bucket 'laceps-no-such-bucket' does not exist"):
        sync(builds(site_v1()), missing, SITE_URL)


def test_an_impossible_bucket_name_is_refused(target, builds):
    wrong = Target(bucket="LACEPS site!", endpoint_url=target.endpoint_url)
    with pytest.raises(PublishError, match=r"check LACEPS_S3_BUCKET \('LACEPS site!'\)"):
        sync(builds(site_v1()), wrong, SITE_URL)


def test_missing_credentials_are_refused(target, builds, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PublishError, match="^no AWS credentials found"):
        sync(builds(site_v1()), target, SITE_URL)


def test_wrong_credentials_are_refused(target, builds):
    post_to_moto(f"{target.endpoint_url}/moto-api/reset-auth", b"0")  # from now on moto checks keys
    try:
        with pytest.raises(PublishError, match=r"^the AWS credentials were refused \(InvalidAccessKeyId"):
            sync(builds(site_v1()), target, SITE_URL)
    finally:
        post_to_moto(f"{target.endpoint_url}/moto-api/reset-auth", b"inf")


@pytest.mark.parametrize(
    "home",
    [
        page("index.html").replace(SITE_URL, ""),  # a development build: relative addresses
        page("index.html").replace(SITE_URL, "http://localhost:8000"),
        None,  # no home page at all
    ],
)
def test_a_folder_that_is_not_a_production_build_is_refused(target, s3, builds, home):
    files = site_v1()
    if home is None:
        del files["index.html"]
    else:
        files["index.html"] = home

    with pytest.raises(PublishError, match=f"is not a production build: .*{SITE_URL}/"):
        sync(builds(files), target, SITE_URL)
    assert bucket_contents(s3) == {}


def python_wrapper(folder, script):
    """A stand-in for this Python that runs the shell `script` first: the build's process, seen from inside."""
    wrapper = folder / "python"
    wrapper.write_text(f"#!/bin/sh\n{script}\n", encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper


def test_the_build_runs_without_any_credential(target, monkeypatch, tmp_path):
    secrets = {
        "AWS_SESSION_TOKEN": "secret-session-token",
        "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/secret-role",
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "secret-web-identity"),
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/secret-container",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "secret-oidc-request",  # GitHub's: it can mint AWS credentials
        "GITHUB_TOKEN": "secret-github-token",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = secret-in-a-file\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    seen = tmp_path / "seen-by-the-build"
    observe = f'env > "{seen}"; echo "HOME_HOLDS=[$(ls -A "$HOME")]" >> "{seen}"\nexec "{sys.executable}" "$@"'
    monkeypatch.setattr(sys, "executable", str(python_wrapper(tmp_path, observe)))

    plan = publish_site({"bucket": BUCKET, "endpoint_url": target.endpoint_url}, dry_run=True)

    assert plan.uploads, "the build and the listing of the bucket (with the credentials) should both have worked"
    environment = seen.read_text(encoding="utf-8")
    names = re.findall(r"^(\w+)=", environment, re.MULTILINE)
    assert [name for name in names if name.startswith(("AWS_", "LACEPS_", "ACTIONS_", "GITHUB_"))] == []
    assert [value for value in [*secrets.values(), "testing"] if value in environment] == []
    assert f"HOME={home}" not in environment
    assert "HOME_HOLDS=[]" in environment


def test_a_failed_build_is_refused(aws, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(python_wrapper(tmp_path, "exit 3")))
    with pytest.raises(PublishError, match=r"^nothing published: the build failed \(exit 3\)"):
        publish_site({"bucket": BUCKET})


def test_caching_follows_how_each_file_changes():
    assert cache_control("theme/site.80037072ea.css") == CACHE_FOREVER
    assert cache_control("about-us/index.html") == CACHE_BRIEFLY
    assert cache_control("feeds/news-stories.atom.xml") == CACHE_BRIEFLY
    assert cache_control("pagefind/pagefind-entry.json") == CACHE_BRIEFLY  # names the current index files
    assert cache_control("images/team/ana-480.jpg") == CACHE_A_DAY
    # Pagefind names its chunks by their content; its WebAssembly must match pagefind.js, so it is as brief.
    assert cache_control("pagefind/fragment/en_2bcc133.pf_fragment") == CACHE_FOREVER
    assert cache_control("pagefind/pagefind.en_a09421d840.pf_meta") == CACHE_FOREVER
    assert cache_control("pagefind/wasm.en.pagefind") == CACHE_BRIEFLY
    # The web editor's configuration follows the checks of the site it edits.
    assert cache_control("admin/config.yml") == CACHE_BRIEFLY


def test_content_types_name_utf8_for_text():
    assert content_type("news/index.html") == "text/html; charset=utf-8"
    assert content_type("feeds/news-stories.atom.xml") == "application/atom+xml; charset=utf-8"
    assert content_type("js/search.js") == "text/javascript; charset=utf-8"
    assert content_type("admin/config.yml") == "text/yaml; charset=utf-8"  # Decap reads it as YAML
    assert content_type("images/photo.JPG") == "image/jpeg"
    assert content_type("fonts/body.woff2") == "font/woff2"
    assert content_type("downloads/data.bin") == "application/octet-stream"


# --- The whole command, build included ------------------------------------------------------------
def invoke_publish(*options):
    return subprocess.run(
        [sys.executable, "-m", "invoke", "publish", *options],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )


def test_invoke_publish_without_a_bucket_fails_with_one_line(aws):
    result = invoke_publish()

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "publish: no bucket to publish to: set LACEPS_S3_BUCKET (or publish.bucket in invoke.yaml)"
    ]


@pytest.mark.parametrize(
    "variable, value",
    [
        ("LACEPS_S3_ENDPOINT_URL", "minio.example:9000"),  # no scheme
        ("LACEPS_S3_ENDPOINT_URL", "https://"),
        ("LACEPS_S3_ENDPOINT_URL", "ftp://minio.example"),
        ("LACEPS_S3_REGION", "us west 2"),
        ("LACEPS_S3_REGION", "us-west-2/"),
    ],
)
def test_invoke_publish_with_a_malformed_setting_fails_with_one_line(aws, monkeypatch, variable, value):
    monkeypatch.setenv("LACEPS_S3_BUCKET", BUCKET)
    monkeypatch.setenv(variable, value)

    result = invoke_publish()

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"publish: {variable} {value!r} is not a")


def test_invoke_publish_site_syncs_a_built_folder_without_building(target, s3, builds, monkeypatch):
    monkeypatch.setenv("LACEPS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("LACEPS_S3_ENDPOINT_URL", target.endpoint_url)

    result = invoke_publish("--site", str(builds(site_v1())))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Processed" not in result.stdout + result.stderr  # Pelican's summary: no build ran
    assert bucket_contents(s3) == as_bytes(site_v1())


def symlinked_build(folder):
    build = write_build(folder, site_v1())
    (build / "leak.txt").symlink_to(build / "robots.txt")  # as a link to /proc/self/environ would be
    return build


@pytest.mark.parametrize(
    "make_folder, message",
    [
        (lambda folder: write_build(folder, {**site_v1(), "index.html": page("index.html").replace(SITE_URL, "")}),
         "is not a production build"),
        (lambda folder: folder / "no-such-folder", "is not a folder: give --site the folder of a production build"),
        (symlinked_build, "leak.txt is a symbolic link: a built site holds only its own files; nothing published"),
    ],
    ids=["development build", "missing", "symbolic link"],
)
def test_invoke_publish_site_refuses_a_folder_it_cannot_trust(target, s3, monkeypatch, tmp_path, make_folder, message):
    monkeypatch.setenv("LACEPS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("LACEPS_S3_ENDPOINT_URL", target.endpoint_url)

    result = invoke_publish("--site", str(make_folder(tmp_path / "site")))

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("publish: ") and message in line
    assert bucket_contents(s3) == {}


def test_invoke_publish_builds_the_production_site_and_syncs_it(target, s3, monkeypatch):
    monkeypatch.setenv("LACEPS_S3_BUCKET", BUCKET)
    monkeypatch.setenv("LACEPS_S3_ENDPOINT_URL", target.endpoint_url)

    dry_run = invoke_publish("--dry-run")
    assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
    assert "Dry run: nothing was changed." in dry_run.stdout
    assert bucket_contents(s3) == {}

    first = invoke_publish()
    assert first.returncode == 0, first.stdout + first.stderr
    published = bucket_contents(s3)
    assert f'<link rel="canonical" href="{SITE_URL}/">'.encode() in published["index.html"]
    stylesheets = [key for key in published if re.fullmatch(r"theme/site\.[0-9a-f]{8,}\.css", key)]
    assert stylesheets, "the build should publish a fingerprinted stylesheet"
    assert s3.head_object(Bucket=BUCKET, Key=stylesheets[0])["CacheControl"] == CACHE_FOREVER
    assert broken_links(published) == []

    # A rebuild of the same sources must come out byte for byte the same.
    second = invoke_publish()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 to upload, 0 to replace, 0 to delete" in second.stdout, second.stdout
