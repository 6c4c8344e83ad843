"""`invoke brand`: the site's typeface and its mark, made from the pinned typeface package.

The typeface is Public Sans (the US Web Design System's), from npm's @fontsource/public-sans
(pinned in package-lock.json), whose "latin" files hold every letter Spanish uses. This writes:
- one WOFF2 file per weight for the pages, with only CHARACTERS (each well under 30 KB);
- a TrueType copy of the bold weight, for the share cards Pillow draws (laceps.plugins.share_cards);
- the wordmark: the emblem, a sun rising with nine rays (the nine member networks) over Los
  Angeles' horizon, then "LACEPS" in Public Sans ExtraBold, as outlines (an SVG shown as an
  image cannot load a web font); and the favicon, the emblem alone.

The files are committed, because the build that publishes installs no npm package: it only reads
them. tests/test_design.py checks that they equal a fresh run of this module.
"""

import io
import math

from fontTools import subset
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont

from laceps import PROJECT_ROOT, toolchain

SOURCE = toolchain.NODE_MODULES / "@fontsource" / "public-sans" / "files"
FONTS = PROJECT_ROOT / "theme" / "static" / "fonts"
WORDMARK = PROJECT_ROOT / "theme" / "static" / "img" / "wordmark.svg"
FAVICON = PROJECT_ROOT / "content" / "extra" / "favicon.svg"
WEIGHTS = (400, 700)
SHARE_CARD_WEIGHT = 700
WORDMARK_WEIGHT = 800
# ASCII, Latin-1 (á é í ó ú ü ñ ¿ ¡ « » º ª), the accents Spanish text may carry as separate
# marks (a Mac's decomposed é), and the punctuation typogrify writes: curly quotes, dashes, ellipsis.
CHARACTERS = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x100),
    0x0301, 0x0303, 0x0308,
    0x2013, 0x2014, 0x2018, 0x2019, 0x201A, 0x201C, 0x201D, 0x201E,
    0x2022, 0x2026, 0x2039, 0x203A, 0x20AC, 0x2122,
]
# The site's colours (theme/static/css/site.css: --color-brand, --color-accent, --color-paper).
BRAND, SUN, PAPER = "#0b4a80", "#f3b61f", "#ffffff"
# The emblem, on a 64-unit square; the letters' cap height and spacing, in the same units.
EMBLEM = 64
HORIZON = 43
SUN_RADIUS = 12.5
RAYS = 9
RAY_FROM, RAY_TO, RAY_WIDTH = 16.5, 25, 3.6
CAP_HEIGHT = 31
LETTER_GAP = 1.4
EMBLEM_GAP = 12


def source(weight):
    return toolchain.require(SOURCE / f"public-sans-latin-{weight}-normal.woff2")


def cut(weight, flavor):
    """The font of this weight with only CHARACTERS, as WOFF2 (flavor "woff2") or TrueType (None)."""
    options = subset.Options()
    options.flavor = flavor
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # with the copyright and the licence (OFL)
    options.layout_features += ["tnum"]  # figures that line up, for the home page's numbers
    font = subset.load_font(str(source(weight)), options)  # keeps the source's timestamp: reproducible
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=CHARACTERS)
    subsetter.subset(font)
    data = io.BytesIO()
    subset.save_font(font, data, options)
    return data.getvalue()


def number(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def point(x, y):
    return f"{number(x)} {number(y)}"


def rounded_square(size, radius):
    """A square with rounded corners, in SVG path commands (cubic Béziers for the corners)."""
    k = radius * (1 - 0.5523)  # where a quarter circle's control points sit
    far = size - radius
    return (
        f"M{point(radius, 0)}H{number(far)}C{point(size - k, 0)} {point(size, k)} {point(size, radius)}"
        f"V{number(far)}C{point(size, size - k)} {point(size - k, size)} {point(far, size)}"
        f"H{number(radius)}C{point(k, size)} {point(0, size - k)} {point(0, far)}"
        f"V{number(radius)}C{point(0, k)} {point(k, 0)} {point(radius, 0)}Z"
    )


def half_sun(cx, cy, radius):
    """The upper half of a circle, as two cubic Béziers."""
    k = radius * 0.5523
    return (
        f"M{point(cx - radius, cy)}C{point(cx - radius, cy - k)} {point(cx - k, cy - radius)} {point(cx, cy - radius)}"
        f"C{point(cx + k, cy - radius)} {point(cx + radius, cy - k)} {point(cx + radius, cy)}Z"
    )


def rays(cx, cy):
    """RAYS rays fanned evenly over the sun, each a thin quadrilateral pointing away from it."""
    commands = []
    for index in range(RAYS):
        angle = math.radians(170 - index * 160 / (RAYS - 1))
        dx, dy = math.cos(angle), -math.sin(angle)
        nx, ny = -dy * RAY_WIDTH / 2, dx * RAY_WIDTH / 2
        corners = [
            (cx + dx * RAY_FROM + nx, cy + dy * RAY_FROM + ny),
            (cx + dx * RAY_TO + nx, cy + dy * RAY_TO + ny),
            (cx + dx * RAY_TO - nx, cy + dy * RAY_TO - ny),
            (cx + dx * RAY_FROM - nx, cy + dy * RAY_FROM - ny),
        ]
        commands.append("M" + "L".join(point(x, y) for x, y in corners) + "Z")
    return "".join(commands)


def emblem_paths():
    """[(colour, path)]: the square, the rays and sun, and the horizon with a shorter line beneath."""
    centre = EMBLEM / 2
    return [
        (BRAND, rounded_square(EMBLEM, 12)),
        (SUN, rays(centre, HORIZON) + half_sun(centre, HORIZON, SUN_RADIUS)),
        (PAPER, f"M9 {HORIZON}H55V{HORIZON + 4}H9Z M19 {HORIZON + 9}H45V{HORIZON + 12}H19Z"),
    ]


def letters(text, left, baseline):
    """`text` in Public Sans ExtraBold as one outline path, its cap height CAP_HEIGHT: (path, right edge)."""
    font = TTFont(str(source(WORDMARK_WEIGHT)))
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    scale = CAP_HEIGHT / font["OS/2"].sCapHeight
    pen = SVGPathPen(glyphs, number)
    x = left
    for index, character in enumerate(text):
        glyph = glyphs[cmap[ord(character)]]
        glyph.draw(TransformPen(pen, (scale, 0, 0, -scale, x, baseline)))
        x += glyph.width * scale + (LETTER_GAP if index < len(text) - 1 else 0)
    return pen.getCommands(), x


def svg(width, height, paths, title):
    body = "".join(f'<path fill="{colour}" d="{d}"/>' for colour, d in paths)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {number(width)} {height}" '
        f'width="{number(width)}" height="{height}" role="img" aria-label="{title}">'
        f"<title>{title}</title>{body}</svg>\n"
    ).encode()


def wordmark():
    baseline = (EMBLEM + CAP_HEIGHT) / 2
    path, right = letters("LACEPS", EMBLEM + EMBLEM_GAP, baseline)
    return svg(math.ceil(right), EMBLEM, [*emblem_paths(), (BRAND, path)], "LACEPS")


def generated_files():
    """{path: bytes} of every file this module writes."""
    files = {FONTS / f"public-sans-{weight}.woff2": cut(weight, "woff2") for weight in WEIGHTS}
    files[FONTS / f"public-sans-{SHARE_CARD_WEIGHT}.ttf"] = cut(SHARE_CARD_WEIGHT, None)
    files[FONTS / "LICENSE.txt"] = (SOURCE.parent / "LICENSE").read_bytes()
    files[WORDMARK] = wordmark()
    files[FAVICON] = svg(EMBLEM, EMBLEM, emblem_paths(), "LACEPS")
    return files


def write():
    for path, data in generated_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path.relative_to(PROJECT_ROOT)}: {len(data) / 1024:.1f} KB")
