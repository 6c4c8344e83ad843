"""Responsive images: an editor drops one large photo, visitors get small, sized copies.

An image in Markdown (`![What it shows](photo.jpg)`, beside the item or under
content/images/) and an image named in a data file (a member logo, a team photo)
become a <picture>: AVIF (where Pillow can write it) and WebP in the widths of
IMAGES["kinds"], with srcset, sizes, width and height, lazy-loaded except the
first image on a page. Only those copies are published, never the original:
content/images/ is not a static path, and no link points at the original.
"""

import hashlib
import shutil
from pathlib import Path

from jinja2 import pass_context
from markupsafe import Markup, escape
from pelican import signals
from pelican.utils import slugify
from PIL import Image, ImageOps, features

from laceps.checks import IMAGE_TYPES, IMG_TAG, WEB_ADDRESS, content_file, img_attributes

MIME_TYPES = {"avif": "image/avif", "webp": "image/webp"}

# The sized copies each site of this build publishes (the Spanish subsite has
# its own output folder): output folder -> {path in it: file in the cache}.
# Filled while pages are read and rendered, written out when that site is done.
published = {}


def sized_copies(source, settings, kind):
    """Each width and format of `source` (made once, in the cache): {format: [(url path, width, height)]}."""
    config = settings["IMAGES"]
    cache = Path(settings["CACHE_PATH"]) / "images"
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
    formats = [name for name in config["formats"] if features.check(name)]
    copies = {name: [] for name in formats}
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened)  # phones record the rotation apart from the pixels
        has_alpha = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        # Never enlarge: a width beyond the original's becomes the original's.
        for width in sorted({min(width, image.width) for width in config["kinds"][kind]["widths"]}):
            height = round(image.height * width / image.width)
            resized = None
            for name in formats:
                url_path = f"{config['output']}/{slugify(source.stem)}-{digest}-{width}.{name}"
                cached = cache / Path(url_path).name
                if not cached.exists():
                    resized = resized or image.resize((width, height), Image.Resampling.LANCZOS)
                    resized.save(cached, name.upper(), quality=config["quality"][name])
                published.setdefault(settings["OUTPUT_PATH"], {})[url_path] = cached
                copies[name].append((url_path, width, height))
    return copies


def picture(source, settings, kind, alt, eager, css_class=""):
    """The <picture> markup for one image."""
    copies = sized_copies(source, settings, kind)
    siteurl = settings["SITEURL"]
    sizes = settings["IMAGES"]["kinds"][kind]["sizes"]

    def srcset(name):
        return ", ".join(f"{siteurl}/{url} {width}w" for url, width, _ in copies[name])

    *better, fallback = copies  # the last format is the one every browser shows
    url, width, height = copies[fallback][-1]
    sources = "".join(
        f'<source type="{MIME_TYPES[name]}" srcset="{srcset(name)}" sizes="{sizes}">' for name in better
    )
    # The first image is likely above the fold: load it at once.
    loading = "" if eager else ' loading="lazy" decoding="async"'
    klass = f' class="{escape(css_class)}"' if css_class else ""
    return Markup(
        f'<picture>{sources}<img src="{siteurl}/{url}" srcset="{srcset(fallback)}" sizes="{sizes}" '
        f'width="{width}" height="{height}" alt="{escape(alt)}"{klass}{loading}></picture>'
    )


def responsive_content(content):
    """Replace each <img> of a page or news item that shows one of our photos with a <picture>."""
    if not content._content or not IMG_TAG.search(content._content):
        return  # no image (most contents: asked before save_as, which Pelican works out at length)
    if not content.save_as:
        return  # not written (a draft in production): publish none of its images
    settings = content.settings
    folder, root = Path(content.source_path).parent, Path(settings["PATH"])
    first = True

    def replace(match):
        nonlocal first
        attrs = img_attributes(match[0])
        src = attrs.get("src", "")
        if WEB_ADDRESS.match(src) or Path(src).suffix.lower() not in IMAGE_TYPES:
            return match[0]  # laceps.checks refuses these before the build
        markup = picture(content_file(src, folder, root), settings, "content", attrs.get("alt", ""), eager=first)
        first = False
        return markup

    content._content = IMG_TAG.sub(replace, content._content)


@pass_context
def template_picture(context, path, kind, alt="", eager=False, css_class=""):
    """For templates: `{{ picture(member.logo, "logo", eager=loop.first) }}` (path relative to content/)."""
    return picture(Path(context["PATH"]) / path, context, kind, alt, eager, css_class)


def start(pelican):
    settings = pelican.settings
    published.pop(settings["OUTPUT_PATH"], None)  # what a build that failed in this process left
    settings["JINJA_GLOBALS"] = {**settings.get("JINJA_GLOBALS", {}), "picture": template_picture}


def write_copies(pelican):
    for url_path, cached in published.pop(pelican.settings["OUTPUT_PATH"], {}).items():
        target = Path(pelican.settings["OUTPUT_PATH"]) / url_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target)


def register():
    signals.initialized.connect(start)
    signals.content_object_init.connect(responsive_content)
    signals.finalized.connect(write_copies)
