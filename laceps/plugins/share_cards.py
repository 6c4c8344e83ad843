"""Share cards: the picture a link to any page shows on social media, drawn at build time.

Each page's card (SHARE_CARDS["size"], 1200 by 630) shows the wordmark, the page's title in the
site's typeface (a TrueType file that covers Spanish), and a band with the site's name and
domain. Templates ask for one with `share_card(title, lang)` (partials/meta.html), which gives
its address, size and alt text for the Open Graph and Twitter tags.

A card is named and cached by everything that draws it: its text, language, the font, the
wordmark and GENERATOR_VERSION. The cache lives in the build's cache folder, so a rebuild draws
only cards whose inputs changed and links the others into the output. What every card shares (the
wordmark, the band, the palette) is drawn once per build process.

Pillow cannot read SVG, so `outline_mask` fills the wordmark's paths itself: the wordmark
(laceps.brand) is written with absolute M, L, H, V, Q, C and Z commands only, filled even-odd.
"""

import collections
import functools
import hashlib
import json
import os
import re
import shutil
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import pass_context
from pelican import signals
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont

# Bump when the drawing changes: every card is drawn again.
GENERATOR_VERSION = 1
# Where things sit on the card, in pixels, and its colours (site.css's tokens).
LAYOUT = {
    "margin": 72,
    "rule": 12,  # the sunny line along the top
    "wordmark_height": 76,
    "gap": 40,  # between the wordmark, the title and the band
    "title_sizes": (72, 64, 56, 48),  # the largest at which the title fits is used
    "band_height": 96,
    "band_text_size": 28,
    "backdrop_colours": 40,  # the palette: this many for the backdrop, then the title's shades
    "title_shades": 16,
    "colours": {
        "paper": "#fbf8f2", "ink": "#1b2430", "accent": "#f3b61f", "band": "#07325a", "band_text": "#ffffff",
    },
}
OVERSAMPLE = 4  # the wordmark is filled at this scale, then reduced: smooth edges
CURVE_STEPS = 12  # straight segments per Bézier curve
PATH_ELEMENT = re.compile(r'<path fill="(#[0-9a-fA-F]{6})" d="([^"]+)"')
VIEW_BOX = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')
PATH_TOKEN = re.compile(r"[MLHVQCZ]|-?\d*\.?\d+", re.IGNORECASE)
ARGUMENTS = {"M": 2, "L": 2, "H": 1, "V": 1, "Q": 4, "C": 6, "Z": 0}


def subpaths(d):
    """The closed outlines of an SVG path as lists of (x, y), curves flattened into segments."""
    tokens = PATH_TOKEN.findall(d)
    outlines, points, command, x, y = [], [], None, 0.0, 0.0
    index = 0
    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index].upper()
            index += 1
            if command == "Z":
                outlines.append(points)
                points = []
                continue
        values = [float(value) for value in tokens[index:index + ARGUMENTS[command]]]
        index += ARGUMENTS[command]
        if command == "M":
            if points:
                outlines.append(points)
            x, y = values
            points = [(x, y)]
            command = "L"  # further pairs after a moveto are linetos
            continue
        if command == "L":
            x, y = values
        elif command == "H":
            x = values[0]
        elif command == "V":
            y = values[0]
        else:
            controls = [(x, y), *zip(values[::2], values[1::2])]
            points += [bezier(controls, step / CURVE_STEPS) for step in range(1, CURVE_STEPS + 1)]
            x, y = controls[-1]
            continue
        points.append((x, y))
    if points:
        outlines.append(points)
    return outlines


def bezier(controls, t):
    """The point at t of a Bézier curve (quadratic or cubic), by de Casteljau's construction."""
    while len(controls) > 1:
        controls = [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for a, b in zip(controls, controls[1:])]
    return controls[0]


def outline_mask(d, size, scale):
    """A coverage mask ("L") of the path at `scale`, filled even-odd: a letter's counter stays open."""
    big = (size[0] * OVERSAMPLE, size[1] * OVERSAMPLE)
    mask = Image.new("1", big, 0)
    for outline in subpaths(d):
        shape = Image.new("1", big, 0)
        ImageDraw.Draw(shape).polygon([(x * scale * OVERSAMPLE, y * scale * OVERSAMPLE) for x, y in outline], fill=1)
        mask = ImageChops.logical_xor(mask, shape)
    return mask.convert("L").resize(size, Image.Resampling.BOX)


@functools.cache
def wordmark_image(svg_text, height):
    """The wordmark at `height` pixels, on transparency."""
    width, view_height = (float(value) for value in VIEW_BOX.search(svg_text).groups())
    scale = height / view_height
    size = (round(width * scale), height)
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for colour, d in PATH_ELEMENT.findall(svg_text):
        image.paste(Image.new("RGBA", size, colour), mask=outline_mask(d, size, scale))
    return image


def file_digest(path):
    stat = Path(path).stat()
    return digest_of(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def digest_of(path, modified, size):
    """Read once per version of the file, however many cards and builds a process makes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def lines_that_fit(text, font, width, max_lines):
    """`text` broken into lines no wider than `width`, or None when it needs more than max_lines.
    Only spaces break: typogrify's no-break space keeps a title's last two words together."""
    lines = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
        elif font.getlength(word) <= width:
            lines.append(word)
        else:  # a word wider than a line (an address): cut it
            lines += textwrap.wrap(word, max(1, int(len(word) * width / font.getlength(word))))
        if len(lines) > max_lines:
            return None
    return lines


# A font file as it is now: caches keyed by it load the file again once it changes.
FontFile = collections.namedtuple("FontFile", "path digest")


@functools.cache
def font_at(font, size):
    return ImageFont.truetype(font.path, size)


def line_height(font):
    return round(font.size * 1.18)


def title_lines(text, font_file, width, height):
    """The title at the largest size whose lines fit the box; at the smallest, cut with an ellipsis."""
    for size in LAYOUT["title_sizes"]:
        font = font_at(font_file, size)
        lines = lines_that_fit(text, font, width, height // line_height(font))
        if lines is not None:
            return font, lines
    kept = lines_that_fit(text, font, width, len(text))[: height // line_height(font)]
    while font.getlength(kept[-1] + "…") > width and " " in kept[-1]:
        kept[-1] = kept[-1].rsplit(" ", 1)[0]
    kept[-1] += "…"
    return font, kept


@functools.cache
def backdrop(band, size, font_file, wordmark_svg):
    """What every card shares, drawn once: the sunny rule, the wordmark, and the band with the
    site's name and domain. Also the palette of every card: the backdrop's colours, then a ramp
    from paper to ink for the title's letters and their soft edges."""
    colours, margin = LAYOUT["colours"], LAYOUT["margin"]
    width, height = size
    card = Image.new("RGB", size, colours["paper"])
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, LAYOUT["rule"]), fill=colours["accent"])
    mark = wordmark_image(wordmark_svg, LAYOUT["wordmark_height"])
    card.paste(mark, (margin, margin), mark)
    band_top = height - LAYOUT["band_height"]
    draw.rectangle((0, band_top, width, height), fill=colours["band"])
    band_font = font_at(font_file, LAYOUT["band_text_size"])
    middle = band_top + LAYOUT["band_height"] // 2
    draw.text((margin, middle), band[0], font=band_font, fill=colours["band_text"], anchor="lm")
    if band[1]:
        draw.text((width - margin, middle), band[1], font=band_font, fill=colours["accent"], anchor="rm")
    shared = card.quantize(colors=LAYOUT["backdrop_colours"], method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    paper, ink = ImageColor.getrgb(colours["paper"]), ImageColor.getrgb(colours["ink"])
    steps = LAYOUT["title_shades"]
    ramp = [round(p + (i - p) * step / (steps - 1)) for step in range(steps) for p, i in zip(paper, ink)]
    palette = Image.new("P", (1, 1))
    palette.putpalette(shared.getpalette()[: 3 * LAYOUT["backdrop_colours"]] + ramp)
    return card, palette


def draw_card(title, band, size, font_file, wordmark_svg):
    """The card as a palette image: the backdrop with the title in the space between wordmark and band."""
    card, palette = backdrop(band, size, font_file, wordmark_svg)
    card = card.copy()
    margin = LAYOUT["margin"]
    top = margin + LAYOUT["wordmark_height"] + LAYOUT["gap"]
    bottom = size[1] - LAYOUT["band_height"] - LAYOUT["gap"]
    font, lines = title_lines(title, font_file, size[0] - 2 * margin, bottom - top)
    draw = ImageDraw.Draw(card)
    for number, line in enumerate(lines):
        draw.text((margin, top + number * line_height(font)), line, font=font, fill=LAYOUT["colours"]["ink"])
    # A few flat colours and the letters' soft edges: a fixed palette keeps the file small, and
    # is quicker than finding one for each card.
    return card.quantize(palette=palette, dither=Image.Dither.NONE)


def card_file(settings, title, lang):
    """The cached PNG for these inputs, drawn first if the cache lacks it: (file name, path)."""
    spec = settings["SHARE_CARDS"]
    theme = Path(settings["THEME"])
    font_path, wordmark_path = theme / spec["font"], theme / spec["wordmark"]
    band = (settings["SITENAME"], urlsplit(settings["SITEURL"]).netloc)
    font = FontFile(str(font_path), file_digest(font_path))
    inputs = [GENERATOR_VERSION, LAYOUT, spec["size"], title, lang, band, font.digest, file_digest(wordmark_path)]
    key = hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode()).hexdigest()[:16]
    name = f"card.{key}.png"  # a hash between dots: publishing lets the CDN keep it for a year
    cached = Path(settings["CACHE_PATH"]) / "share-cards" / name
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        card = draw_card(title, band, spec["size"], font, wordmark_path.read_text(encoding="utf-8"))
        partial = cached.with_suffix(".part")
        card.save(partial, "PNG")
        partial.replace(cached)  # never half a file in the cache, should the build stop
    return name, cached


@pass_context
def share_card(context, title, lang):
    """The card of a page titled `title` (plain text, as og:title has it), copied into this
    site's output: its url, width, height and alt text."""
    spec = context["SHARE_CARDS"]
    name, cached = card_file(context, title, lang)
    target = Path(context["OUTPUT_PATH"]) / spec["output"] / name
    if not target.exists():  # named by its inputs: a file of that name is that card
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(cached, target)  # 25 times faster than a copy, and a card never changes under its name
        except OSError:  # the cache on another file system
            shutil.copyfile(cached, target)
    width, height = spec["size"]
    return {
        "url": f"{context['SITEURL']}/{spec['output']}/{name}",
        "width": width,
        "height": height,
        "alt": f"{context['SITE_SHORT_NAME']}: {title}",
    }


def start(pelican):
    settings = pelican.settings
    settings["JINJA_GLOBALS"] = {**settings.get("JINJA_GLOBALS", {}), "share_card": share_card}


def register():
    signals.initialized.connect(start)
