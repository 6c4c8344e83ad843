"""Responsive images (laceps.plugins.images): photos the tests make, built into a small site.

An editor's large JPEG beside a news item, a member's PNG logo and a team photo
become AVIF/WebP copies in several widths, with srcset, sizes, width and height,
lazy below the first image; no original is published.
"""

import re

import pytest
from PIL import Image, features

from pelicanconf import SHARE_CARDS
from tests.content_copy import build, copy_content, make_photo

FORMATS = ["avif", "webp"] if features.check("avif") else ["webp"]
STORY = """\
Title: A sample story with photos
Date: 2025-01-02
Category: News Stories
Source: LACEPS

Some text.

![A sample photo of a classroom](classroom.jpg)

![A second sample photo]({static}/images/small.png)
"""


@pytest.fixture(scope="module")
def site_with_photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    content = copy_content(folder)
    make_photo(content / "news/classroom.jpg", (2400, 1600))
    make_photo(content / "images/small.png", (300, 200), mode="RGBA")
    make_photo(content / "images/members/example-logo.png", (900, 300), mode="RGBA")
    make_photo(content / "images/team/full-name.jpg", (1000, 1000))
    (content / "news/2025-01-02-sample-story.md").write_text(STORY, encoding="utf-8")
    members = content / "data/members.yaml"
    members.write_text(members.read_text() + "  - name: Example Network\n    description: A sample.\n"
                       "    logo: images/members/example-logo.png\n")
    team = content / "data/team.yaml"
    team.write_text(team.read_text().replace("people: []", "people:\n  - name: Full Name\n    role: Sample role\n"
                                              "    photo: images/team/full-name.jpg"))
    return build(content, folder)


def pictures(html):
    return re.findall(r"<picture>.*?</picture>", html, re.DOTALL)


def test_each_kind_is_published_in_its_widths_and_formats(site_with_photos):
    published = sorted(path.name for path in (site_with_photos / "images").iterdir())
    expected = []
    for stem, widths in (("classroom", (400, 800, 1200)), ("small", (300,)),
                         ("example-logo", (160, 320, 480)), ("full-name", (320, 640))):
        for width in widths:
            matches = [name for name in published if re.fullmatch(rf"{stem}-[0-9a-f]{{10}}-{width}\.({'|'.join(FORMATS)})", name)]
            assert len(matches) == len(FORMATS), (stem, width, published)
            expected += matches
            for name in matches:
                with Image.open(site_with_photos / "images" / name) as image:
                    assert image.width == width and image.format.lower() == name.rsplit(".", 1)[1]
    assert published == sorted(expected)


def test_no_original_is_published(site_with_photos):
    # PNG files the build draws itself (share cards) are not editors' originals.
    originals = [
        path for path in site_with_photos.rglob("*")
        if path.suffix.lower() in (".jpg", ".jpeg", ".png") and SHARE_CARDS["output"] not in path.relative_to(site_with_photos).parts
    ]
    assert originals == []


def test_a_photo_in_markdown_becomes_a_responsive_picture(site_with_photos):
    html = (site_with_photos / "news/2025/a-sample-story-with-photos/index.html").read_text()
    first, second = pictures(html)
    if "avif" in FORMATS:
        assert re.search(r'<source type="image/avif" srcset="https://lacfeps.org/images/classroom-\w+-400\.avif 400w, '
                         r'\S+ 800w, \S+-1200\.avif 1200w" sizes="\(min-width: 40rem\) 38rem, 100vw">', first)
    img = re.search(r"<img [^>]*>", first)[0]
    assert re.search(r'src="https://lacfeps.org/images/classroom-\w+-1200\.webp"', img)
    assert re.search(r'srcset="\S+-400\.webp 400w, \S+-800\.webp 800w, \S+-1200\.webp 1200w"', img)
    assert 'width="1200" height="800"' in img and 'alt="A sample photo of a classroom"' in img
    assert "loading=" not in img and "decoding=" not in img  # the first image on the page loads at once
    img = re.search(r"<img [^>]*>", second)[0]
    assert 'width="300" height="200"' in img  # never enlarged
    assert 'loading="lazy" decoding="async"' in img


def test_logos_and_photos_on_cards_use_the_same_responsive_output(site_with_photos):
    members = (site_with_photos / "our-members/index.html").read_text()
    (logo,) = pictures(members)
    assert re.search(r'<img src="\S+example-logo-\w+-480\.webp" srcset="\S+ 160w, \S+ 320w, \S+ 480w" sizes="16rem" '
                     r'width="480" height="160" alt="" class="card__logo" loading="lazy" decoding="async">', logo)
    team = (site_with_photos / "our-team/index.html").read_text()
    (photo,) = pictures(team)
    # The first card on the page is above the fold: no lazy loading.
    assert re.search(r'<img src="\S+full-name-\w+-640\.webp" srcset="\S+ 320w, \S+ 640w" sizes="[^"]+" '
                     r'width="640" height="640" alt="Full Name" class="card__photo">', photo)

