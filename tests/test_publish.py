"""Publishing against a real S3 API: moto's server on a loopback port.

The sync tests use small hand-made builds, so they do not depend on the
content; one test at the end runs the whole `invoke publish`, build included.
"""

import os
import re
import subprocess
import sys
import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

from laceps import PROJECT_ROOT
from laceps.serve_static import free_port
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
    sync,
)

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
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    return {key[len(prefix):]: s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


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

    assert recorder.writes == []
    assert (plan.new, plan.changed, plan.gone, plan.unchanged) == ([], [], [], len(site_v1()))
    assert "0 to upload, 0 to replace, 0 to delete, 10 unchanged" in capsys.readouterr().out


def test_a_changed_news_item_uploads_only_that_file(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    files = site_v1()
    files["news/2025/first/index.html"] = page("news/2025/first/index.html", text="First item, corrected.")
    recorder = Recorder(target)

    sync(builds(files), target, SITE_URL, clients=recorder.clients)

    assert recorder.writes == [("put", "news/2025/first/index.html")]
    assert bucket_contents(s3) == as_bytes(files)


def test_a_removed_page_is_deleted(target, s3, builds):
    sync(builds(site_v1()), target, SITE_URL)
    files = site_v1()
    del files["about-us/index.html"]
    files["sitemap.xml"] = "<urlset></urlset>"

    sync(builds(files), target, SITE_URL)

    assert "about-us/index.html" not in bucket_contents(s3)
    assert bucket_contents(s3) == as_bytes(files)


def test_uploads_go_assets_then_new_pages_then_changed_pages_then_feeds_and_deletions_last(target, builds):
    sync(builds(site_v1()), target, SITE_URL)
    recorder = Recorder(target)

    sync(builds(site_v2()), target, SITE_URL, clients=recorder.clients)

    assert recorder.writes == [
        ("put", "images/new.png"),
        ("put", NEW_CSS),
        ("put", "news/2025/second/index.html"),
        ("put", "404.html"),
        ("put", "index.html"),
        ("put", "news/2025/first/index.html"),
        ("put", "feeds/all.atom.xml"),
        ("put", "sitemap.xml"),
        ("delete", "about-us/index.html"),
        ("delete", OLD_CSS),
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
    assert "3 to upload, 5 to replace, 2 to delete, 3 unchanged" in printed
    for line in (f"upload   {NEW_CSS}", "replace  index.html", f"delete   {OLD_CSS}", "Dry run: nothing was changed."):
        assert line in printed


def test_objects_outside_the_prefix_are_left_alone(target, s3, builds):
    s3.put_object(Bucket=BUCKET, Key="backups/keep-me.txt", Body=b"not the site's")
    in_folder = Target(bucket=BUCKET, endpoint_url=target.endpoint_url, prefix="preview/")

    sync(builds(site_v1()), in_folder, SITE_URL)

    assert bucket_contents(s3, "preview/") == as_bytes(site_v1())
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
    assert bucket_contents(s3) == as_bytes(site_v2())
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


def test_the_cdn_forgets_exactly_the_changed_and_removed_pages(target, builds, capsys):
    cloudfront, distribution = create_distribution(target.endpoint_url)
    with_cdn = Target(bucket=BUCKET, endpoint_url=target.endpoint_url, distribution_id=distribution)
    sync(builds(site_v1()), with_cdn, SITE_URL)
    assert invalidated_paths(cloudfront, distribution) == []  # nothing was served before

    sync(builds(site_v2()), with_cdn, SITE_URL)

    assert invalidated_paths(cloudfront, distribution) == [
        sorted(["/404.html", "/index.html", "/", "/news/2025/first/index.html", "/news/2025/first/",
                "/about-us/index.html", "/about-us/"])
    ]
    assert f"Invalidated 7 paths on CloudFront distribution {distribution}" in capsys.readouterr().out


def test_a_failed_invalidation_says_the_bucket_is_up_to_date(target, s3, builds):
    unknown_cdn = Target(bucket=BUCKET, endpoint_url=target.endpoint_url, distribution_id="E0NOSUCHDIST")
    sync(builds(site_v1()), unknown_cdn, SITE_URL)

    with pytest.raises(PublishError, match="^the bucket is up to date, but the CDN was not told which pages changed"):
        sync(builds(site_v2()), unknown_cdn, SITE_URL)
    assert bucket_contents(s3) == as_bytes(site_v2())


def test_many_changed_pages_are_invalidated_with_one_wildcard():
    few = [f"news/{number}/index.html" for number in range(MAX_INVALIDATION_PATHS // 2)]
    assert len(invalidation_paths(few)) == MAX_INVALIDATION_PATHS
    assert invalidation_paths(few + ["one-more/index.html"]) == ["/*"]


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


def test_a_failed_build_is_refused(aws, monkeypatch):
    from laceps import site

    def fail(**_):
        raise site.BuildFailed("the build failed (exit 1); the messages above say why")

    monkeypatch.setattr(site, "build", fail)
    with pytest.raises(PublishError, match="^nothing published: the build failed"):
        publish_site({"bucket": BUCKET})


def test_caching_follows_how_each_file_changes():
    assert cache_control("theme/site.80037072ea.css") == CACHE_FOREVER
    assert cache_control("about-us/index.html") == CACHE_BRIEFLY
    assert cache_control("feeds/news-stories.atom.xml") == CACHE_BRIEFLY
    assert cache_control("pagefind/pagefind-entry.json") == CACHE_BRIEFLY  # names the current index files
    assert cache_control("images/team/ana-480.jpg") == CACHE_A_DAY


def test_content_types_name_utf8_for_text():
    assert content_type("news/index.html") == "text/html; charset=utf-8"
    assert content_type("feeds/news-stories.atom.xml") == "application/atom+xml; charset=utf-8"
    assert content_type("js/search.js") == "text/javascript; charset=utf-8"
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
