"""Share cards: the picture a link to any page shows on social media, drawn at build time.

Each page's card (SHARE_CARDS["size"], 1200 by 630) shows the wordmark, the page's title in the
site's typeface (a TrueType file that covers Spanish), and a band with the site's name and
domain. Templates ask for one with `share_card(title, lang)` (partials/meta.html), which gives
its address, size and alt text for the Open Graph and Twitter tags.

A card is named and cached by everything that draws it: its text, language, the font, the
wordmark and GENERATOR_VERSION. The cache lives in the build's cache folder, so a rebuild draws
only cards whose inputs changed and links the others into the output.

Drawing a card takes about 2 ms. What every card shares (the wordmark, the band, the palette,
and the PNG's rows above and below the title, compressed) is made once per process (`backdrop`),
and each letter of the title once per size (`Lettering`). A card is then its title's coverage,
mapped to the palette's shades and set into the backdrop's rows, and only the rows from the
title's top to its last inked row compressed; `Backdrop.png` writes the PNG around them.

A process shares nothing with others but files: each of a build's worker processes draws what it
needs, and writes a card under a name of its own before renaming it into the cache; what a
process that ended midway left half written, the next build deletes (`forget_ended_drawings`).

Pillow cannot read SVG, so `outline_mask` fills the wordmark's paths itself: the wordmark
(laceps.brand) is written with absolute M, L, H, V, Q, C and Z commands only, filled even-odd.
"""

import collections
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import struct
import textwrap
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import pass_context
from pelican import signals
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont

from laceps.plugins import is_subsite

# Bump when the drawing changes: every card is drawn again.
GENERATOR_VERSION = 2
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
PARTIAL_CARD = re.compile(r"card\.[0-9a-f]+\.png\.(\d+)\.part")  # a card being written by the process of that id


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
    stat = os.stat(path)
    return digest_of(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def digest_of(path, modified, size):
    """Read once per version of the file, however many cards and builds a process makes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# A file of the theme as it is now: caches keyed by it load the file again once it changes.
ThemeFile = collections.namedtuple("ThemeFile", "path digest")


def theme_file(path):
    return ThemeFile(str(path), file_digest(str(path)))


@functools.cache
def font_at(font, size):
    return ImageFont.truetype(font.path, size)


def line_height(font):
    return round(font.size * 1.18)


class Lettering:
    """The title's font at one size, set letter by letter from letters drawn once per process.

    Pillow lays out and rasterizes a whole line in FreeType on every call, about 1 ms a line at
    72 px. Here each letter is drawn once, and a line is its letters pasted where Pillow puts
    them: at the pen position, in 64ths of a pixel, that the letters' advances and each pair's
    kerning add up to (both as Pillow measures them, with raqm), rounded to the pixel. A line
    whose shaping is more than kerned pairs is drawn by Pillow whole: one with a pair that
    Pillow draws otherwise (a ligature such as fi, an accent typed as a combining mark), or whose
    width differs from Pillow's (the font's spaced em dash). Either way the pixels are Pillow's."""

    def __init__(self, font):
        self.font = font
        self.letters = {}  # character: (mask or None, its offset from the pen, advance)
        self.kerning = {}  # pair of characters: adjustment of the first one's advance
        self.lettered = {}  # pair of characters: whether Pillow draws it as the two letters

    def letter(self, character):
        if character not in self.letters:
            left, top, right, bottom = self.font.getbbox(character)
            mask = None
            if right > left and bottom > top:
                mask = Image.new("L", (right - left, bottom - top))
                ImageDraw.Draw(mask).text((-left, -top), character, font=self.font, fill=255)
            self.letters[character] = (mask, (left, top), self.sixty_fourths(character))
        return self.letters[character]

    def kern(self, pair):
        if pair not in self.kerning:
            self.kerning[pair] = self.sixty_fourths(pair) - self.letter(pair[0])[2] - self.letter(pair[1])[2]
        return self.kerning[pair]

    def is_lettered(self, pair):
        if pair not in self.lettered:
            size = self.font.size
            shaped, lettered = Image.new("L", (4 * size, 2 * size)), Image.new("L", (4 * size, 2 * size))
            ImageDraw.Draw(shaped).text((size, size // 2), pair, font=self.font, fill=255)
            self.paste_letters(lettered, (size, size // 2), pair)
            self.lettered[pair] = not ImageChops.difference(shaped, lettered).getbbox()
        return self.lettered[pair]

    def sixty_fourths(self, text):
        return round(self.font.getlength(text) * 64)  # FreeType's unit: exact, where pixels are not

    def pen_positions(self, text):
        """Where each character starts and the text ends, in 64ths of a pixel."""
        pen, positions = 0, []
        for index, character in enumerate(text):
            positions.append(pen)
            pen += self.letter(character)[2]
            if index + 1 < len(text):
                pen += self.kern(text[index:index + 2])
        return positions, pen

    def length(self, text):
        """The text's width in pixels, as Pillow's getlength measures it."""
        return self.pen_positions(text)[1] / 64

    def length_joined(self, left, left_length, right, right_length):
        """The width of `left + right` from theirs: a line's width as it grows, word by word."""
        return left_length + right_length + (self.kern(left[-1] + right[0]) / 64 if left and right else 0)

    def paste_letters(self, canvas, xy, text):
        positions, _ = self.pen_positions(text)
        for character, pen in zip(text, positions):
            mask, (left, top), _ = self.letter(character)
            if mask:
                canvas.paste(255, (xy[0] + (pen + 32) // 64 + left, xy[1] + top), mask)  # over what is there

    def draw(self, canvas, xy, line):
        """Draw `line` in white on the coverage `canvas` ("L"), its top left at xy, as Pillow would."""
        if all(self.is_lettered(line[index:index + 2]) for index in range(len(line) - 1)) and (
            self.pen_positions(line)[1] == self.sixty_fourths(line)
        ):
            self.paste_letters(canvas, xy, line)
        else:
            ImageDraw.Draw(canvas).text(xy, line, font=self.font, fill=255)


@functools.cache
def lettering(font, size):
    return Lettering(font_at(font, size))


def lines_that_fit(text, letters, width, max_lines):
    """`text` broken into lines no wider than `width`, or None when it needs more than max_lines.
    Only spaces break: typogrify's no-break space keeps a title's last two words together."""
    lines, line_length, space = [], 0, letters.length(" ")
    for word in text.split(" "):
        word_length = letters.length(word)
        if lines:
            with_space = letters.length_joined(lines[-1], line_length, " ", space)
            candidate_length = letters.length_joined(lines[-1] + " ", with_space, word, word_length)
            # Pillow has the last word: shaping can make a line narrower than its pairs (" — ").
            if candidate_length <= width or letters.font.getlength(f"{lines[-1]} {word}") <= width:
                lines[-1] += " " + word
                line_length = candidate_length
                continue
        if word_length <= width:
            lines.append(word)
            line_length = word_length
        else:  # a word wider than a line (an address): cut it
            lines += textwrap.wrap(word, max(1, int(len(word) * width / word_length)))
            line_length = letters.length(lines[-1])
        if len(lines) > max_lines:
            return None
    return lines


def title_lines(text, font_file, width, height):
    """The title at the largest size whose lines fit the box; at the smallest, cut with an ellipsis."""
    for size in LAYOUT["title_sizes"]:
        letters = lettering(font_file, size)
        max_lines = height // line_height(letters.font)
        lines = lines_that_fit(text, letters, width, max_lines)
        if lines is not None:
            return letters, lines
    kept = lines_that_fit(text, letters, width, len(text))[:max_lines]
    while letters.length(kept[-1] + "…") > width and " " in kept[-1]:
        kept[-1] = kept[-1].rsplit(" ", 1)[0]
    kept[-1] += "…"
    return letters, kept


# zlib's level and strategy. The rows from the title's top to its last inked row are the only
# part of a PNG compressed for each card: run-length matches alone compress them as fast as level 1
# and 13% smaller (0.79 ms and 14.6 KB a card against 0.81 ms and 16.9 KB; level 3: 0.92 ms and
# 13.8 KB). What all cards share is compressed once per process, as small as zlib can.
TITLE_COMPRESSION = (1, zlib.Z_RLE)
SHARED_COMPRESSION = (9, zlib.Z_DEFAULT_STRATEGY)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NO_FILTER = 0  # the first byte of each row; a palette image compresses best unfiltered
ADLER_BASE = 65521


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def deflated(data, compression, last):
    """`data` as raw deflate blocks, either the stream's last or ending on a byte boundary (a full
    flush, after which nothing refers back): pieces compressed apart, some only once, then follow
    one another in one stream."""
    level, strategy = compression
    deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, 8, strategy)
    return deflate.compress(data) + deflate.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)


def adler32_joined(first, second, second_length):
    """The Adler-32 checksum of two pieces of data joined, from theirs (zlib's adler32_combine)."""
    low = ((first & 0xFFFF) + (second & 0xFFFF) - 1) % ADLER_BASE
    high = ((first >> 16) + (second >> 16) + second_length * ((first & 0xFFFF) - 1)) % ADLER_BASE
    return high << 16 | low


class Backdrop:
    """A card without its title, ready to have one set in: the PNG's header and palette; the
    rows above the title, compressed; the title's rows, blank (each a filter byte, then palette
    indices); the rest below the title's last inked row, compressed once for each height it
    comes in; and `shades`, the palette index for each coverage of the title's letters."""

    def __init__(self, card, palette, title_top, title_bottom, shades):
        width, height = card.size
        indices, stride = card.tobytes(), width + 1
        rows = b"".join(bytes([NO_FILTER]) + indices[y * width:(y + 1) * width] for y in range(height))
        above = rows[: title_top * stride]
        header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8 bits a pixel, a palette, no interlace
        self.head = PNG_SIGNATURE + png_chunk(b"IHDR", header) + png_chunk(b"PLTE", bytes(palette))
        with_zlib_header = zlib.compressobj(SHARED_COMPRESSION[0])
        self.above = with_zlib_header.compress(above) + with_zlib_header.flush(zlib.Z_FULL_FLUSH)  # to be continued
        self.above_checksum = zlib.adler32(above)
        # An "L" image of the rows: pasting into it sets the bytes as they are, palette indices.
        self.title_rows = Image.frombytes("L", (stride, height), rows).crop((0, title_top, stride, title_bottom))
        self.blank_row = self.title_rows.crop((0, 0, stride, 1)).tobytes()
        self.below = rows[title_bottom * stride:]
        self.title_top = title_top
        self.shades = shades
        self.endings = {}

    def ending(self, blank_rows):
        """The image after the title's last inked row: (its deflate blocks, checksum, length)."""
        if blank_rows not in self.endings:
            rest = self.blank_row * blank_rows + self.below
            self.endings[blank_rows] = (deflated(rest, SHARED_COMPRESSION, last=True), zlib.adler32(rest), len(rest))
        return self.endings[blank_rows]

    def png(self, inked_rows):
        """The card's PNG file, given its rows from the title's top to its last inked row."""
        rest, rest_checksum, rest_length = self.ending(self.title_rows.height - inked_rows.height)
        rows = inked_rows.tobytes()
        checksum = adler32_joined(zlib.adler32(rows, self.above_checksum), rest_checksum, rest_length)
        image_data = self.above + deflated(rows, TITLE_COMPRESSION, last=False) + rest + struct.pack(">I", checksum)
        return self.head + png_chunk(b"IDAT", image_data) + png_chunk(b"IEND", b"")


@functools.cache
def backdrop(band, size, font_file, wordmark_file):
    """What every card shares, drawn once per process: the sunny rule, the wordmark, and the band
    with the site's name and domain. Also the palette of every card: the backdrop's colours,
    then a ramp from paper to ink for the title's letters and their soft edges (a few flat
    colours keep the file small)."""
    colours, margin = LAYOUT["colours"], LAYOUT["margin"]
    width, height = size
    card = Image.new("RGB", size, colours["paper"])
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, LAYOUT["rule"]), fill=colours["accent"])
    mark = wordmark_image(Path(wordmark_file.path).read_text(encoding="utf-8"), LAYOUT["wordmark_height"])
    card.paste(mark, (margin, margin), mark)
    band_top = height - LAYOUT["band_height"]
    draw.rectangle((0, band_top, width, height), fill=colours["band"])
    band_font = font_at(font_file, LAYOUT["band_text_size"])
    middle = band_top + LAYOUT["band_height"] // 2
    draw.text((margin, middle), band[0], font=band_font, fill=colours["band_text"], anchor="lm")
    if band[1]:
        draw.text((width - margin, middle), band[1], font=band_font, fill=colours["accent"], anchor="rm")
    flat = card.quantize(colors=LAYOUT["backdrop_colours"], method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    paper, ink = ImageColor.getrgb(colours["paper"]), ImageColor.getrgb(colours["ink"])
    steps = LAYOUT["title_shades"]
    ramp = [round(p + (i - p) * step / (steps - 1)) for step in range(steps) for p, i in zip(paper, ink)]
    palette = flat.getpalette()[: 3 * LAYOUT["backdrop_colours"]] + ramp
    palette_image = Image.new("P", (1, 1))
    palette_image.putpalette(palette)
    card = card.quantize(palette=palette_image, dither=Image.Dither.NONE)
    title_top = margin + LAYOUT["wordmark_height"] + LAYOUT["gap"]
    paper_index = card.getpixel((0, title_top))
    # Each coverage (0-255) to the nearest shade of the ramp; what rounds to paper is the backdrop's.
    nearest = [round(coverage * (steps - 1) / 255) for coverage in range(256)]
    shades = [LAYOUT["backdrop_colours"] + step if step else paper_index for step in nearest]
    return Backdrop(card, palette, title_top, band_top, shades)


def draw_card(title, band, size, font_file, wordmark_file):
    """The card as PNG bytes: the backdrop with the title in the space between wordmark and band.
    The title is drawn as coverage, mapped to the palette's shades and set into the backdrop's
    rows: no full-colour image, no quantizing, and only the title's rows compressed per card."""
    shared = backdrop(band, size, font_file, wordmark_file)
    margin = LAYOUT["margin"]
    bottom = size[1] - LAYOUT["band_height"] - LAYOUT["gap"]
    letters, lines = title_lines(title, font_file, size[0] - 2 * margin, bottom - shared.title_top)
    coverage = Image.new("L", (size[0], shared.title_rows.height))
    for number, line in enumerate(lines):
        letters.draw(coverage, (margin, number * line_height(letters.font)), line)
    inked = coverage.getbbox()
    rows = shared.title_rows.crop((0, 0, shared.title_rows.width, inked[3] if inked else 0))
    if inked:
        rows.paste(coverage.crop(inked).point(shared.shades), (1 + inked[0], inked[1]))  # after the filter byte
    return shared.png(rows)


@functools.cache
def inputs_of_every_card(size, site_name, site_url, font_digest, wordmark_digest):
    """What draws every card, as JSON (what names a card besides its title and language), and the
    band's text: worked out once per process and version of the files, not once per page."""
    band = (site_name, urlsplit(site_url).netloc)
    return json.dumps([GENERATOR_VERSION, LAYOUT, size, band, font_digest, wordmark_digest], ensure_ascii=False), band


def card_file(settings, title, lang):
    """The cached PNG for these inputs, drawn first if the cache lacks it: (file name, path).
    Called for every page a build renders, so in strings rather than pathlib's slower paths."""
    spec = settings["SHARE_CARDS"]
    font = theme_file(os.path.join(settings["THEME"], spec["font"]))
    wordmark = theme_file(os.path.join(settings["THEME"], spec["wordmark"]))
    size = tuple(spec["size"])
    every_card, band = inputs_of_every_card(size, settings["SITENAME"], settings["SITEURL"], font.digest, wordmark.digest)
    key = hashlib.sha256((every_card + json.dumps([title, lang], ensure_ascii=False)).encode()).hexdigest()[:16]
    name = f"card.{key}.png"  # a hash between dots: publishing lets the CDN keep it for a year
    cached = os.path.join(settings["CACHE_PATH"], "share-cards", name)
    if not os.path.exists(cached):
        os.makedirs(os.path.dirname(cached), exist_ok=True)
        # Written under a name of this process's own, then renamed: never half a file in the
        # cache should the build stop, and two worker processes drawing one card never clash.
        partial = f"{cached}.{os.getpid()}.part"
        Path(partial).write_bytes(draw_card(title, band, size, font, wordmark))
        os.replace(partial, cached)
    return name, cached


@pass_context
def share_card(context, title, lang):
    """The card of a page titled `title` (plain text, as og:title has it), copied into this
    site's output: its url, width, height and alt text."""
    spec = context["SHARE_CARDS"]
    name, cached = card_file(context, title, lang)
    target = os.path.join(context["OUTPUT_PATH"], spec["output"], name)
    if not os.path.exists(target):  # named by its inputs: a file of that name is that card
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            os.link(cached, target)  # 25 times faster than a copy, and a card never changes under its name
        except FileExistsError:  # another worker process linked it first
            pass
        except OSError:  # the cache on another file system
            shutil.copyfile(cached, target)
    width, height = spec["size"]
    return {
        "url": f"{context['SITEURL']}/{spec['output']}/{name}",
        "width": width,
        "height": height,
        "alt": f"{context['SITE_SHORT_NAME']}: {title}",
    }


def forget_ended_drawings(settings):
    """Delete the cards that processes which have ended left half written: a worker ended midway
    (its build failed meanwhile, laceps.parallel) renamed nothing into the cache."""
    try:
        entries = list(os.scandir(os.path.join(settings["CACHE_PATH"], "share-cards")))
    except OSError:
        return  # no cards yet
    for entry in entries:
        drawing = PARTIAL_CARD.fullmatch(entry.name)
        if drawing and not is_running(int(drawing[1])):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def is_running(pid):
    try:
        os.kill(pid, 0)  # no signal: only whether the process is there
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's
    return True


def start(pelican):
    settings = pelican.settings
    settings["JINJA_GLOBALS"] = {**settings.get("JINJA_GLOBALS", {}), "share_card": share_card}
    if not is_subsite(settings):
        forget_ended_drawings(settings)


def register():
    signals.initialized.connect(start)
