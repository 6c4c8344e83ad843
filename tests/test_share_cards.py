"""Share cards as drawn, without building the site: each card is a well-formed PNG that shows the
backdrop and its title in the palette's shades, the title's letters set one by one are the pixels
Pillow draws, its lines break where Pillow's measure breaks them, cards stay small, and worker
processes forked from a build draw cards side by side (and what one left half written goes at the
next build). tests/test_design.py checks the cards of the built site."""

import io
import multiprocessing
import os
import random
import struct
import subprocess
import types
import zlib

import pytest
from PIL import Image, ImageChops, ImageColor, ImageDraw

from laceps import bench, brand, site
from laceps.plugins import share_cards

BAND = ("Los Angeles Coalition for Excellent Public Schools", "lacfeps.org")
SIZE = (1200, 630)
FONT = share_cards.theme_file(brand.FONTS / f"public-sans-{brand.SHARE_CARD_WEIGHT}.ttf")
WORDMARK = share_cards.theme_file(brand.WORDMARK)
LAYOUT = share_cards.LAYOUT
TEXT_WIDTH = SIZE[0] - 2 * LAYOUT["margin"]
TEXT_HEIGHT = SIZE[1] - LAYOUT["band_height"] - LAYOUT["gap"] - (LAYOUT["margin"] + LAYOUT["wordmark_height"] + LAYOUT["gap"])
# What shaping does beyond kerned pairs: ligatures (fi and fl, as wide as their letters; after
# another f, not), the spaced em dash, accents typed as combining marks, a no-break space, a soft hyphen; then kerned capitals,
# Spanish, quotes and figures.
SHAPED = ["find the flood", "office affluent", "a — b", "cafe\u0301 nin\u0303o", "x\u00a0y co\u00adop", "AVAT To Ty Yo",
          "Qué pasó: jóvenes, güeros y ñandúes", "«Año» “quoted” ‘it’s’ $15,000 — 1/2"]


def titles(count, seed=1):
    """Titles like the site's: the benchmark's news items, and words of both languages with the
    shaped text above mixed in, from one word to more than fit."""
    rng = random.Random(seed)
    words = bench.vocabulary("en")[0][:300] + bench.vocabulary("es")[0][:300] + SHAPED
    made = [bench.news_item(number).split("\n", 1)[0].removeprefix("Title: ") for number in range(count // 2)]
    return made + [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(count - len(made))]


def card(title):
    return share_cards.draw_card(title, BAND, SIZE, FONT, WORDMARK)


def chunks(png):
    """The PNG's chunks as (kind, data), each checked against its CRC."""
    assert png[:8] == share_cards.PNG_SIGNATURE
    position, found = 8, []
    while position < len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind, data = png[position + 4:position + 8], png[position + 8:position + 8 + length]
        assert struct.unpack(">I", png[position + 8 + length:position + 12 + length])[0] == zlib.crc32(kind + data), kind
        found.append((kind, data))
        position += 12 + length
    return found


@pytest.mark.parametrize("title", ["", "Home", titles(2)[0], "A title far too long to fit. " * 12])
def test_a_card_is_a_png_whose_compressed_rows_are_its_pixels(title):
    png = card(title)
    found = chunks(png)
    assert [kind for kind, _ in found] == [b"IHDR", b"PLTE", b"IDAT", b"IEND"]
    rows = zlib.decompress(found[2][1])  # zlib checks the Adler-32 of the joined pieces
    with Image.open(io.BytesIO(png)) as image:
        assert (image.mode, image.size) == ("P", SIZE)
        pixels = image.tobytes()
    width = SIZE[0]
    assert rows == b"".join(b"\0" + pixels[y * width:(y + 1) * width] for y in range(SIZE[1]))


def test_a_card_is_the_backdrop_with_its_title_in_shades_from_paper_to_ink():
    title = "Niños periodistas de Boyle Heights se dirigieron a Biden con el corazón"
    with Image.open(io.BytesIO(card(title))) as drawn, Image.open(io.BytesIO(card(""))) as blank:
        drawn, blank = drawn.convert("RGB"), blank.convert("RGB")
    shared = share_cards.backdrop(BAND, SIZE, FONT, WORDMARK)
    top, bottom = shared.title_top, shared.title_top + shared.title_rows.height
    # Outside the title's rows, the card is the backdrop.
    assert not ImageChops.difference(drawn.crop((0, 0, SIZE[0], top)), blank.crop((0, 0, SIZE[0], top))).getbbox()
    assert not ImageChops.difference(drawn.crop((0, bottom, *SIZE)), blank.crop((0, bottom, *SIZE))).getbbox()
    # Within them, each pixel is the shade of the title's coverage, as Pillow draws the lines.
    letters, lines = share_cards.title_lines(title, FONT, TEXT_WIDTH, TEXT_HEIGHT)
    coverage = Image.new("L", (SIZE[0], bottom - top))
    for number, line in enumerate(lines):
        ImageDraw.Draw(coverage).text((LAYOUT["margin"], number * share_cards.line_height(letters.font)), line, font=letters.font, fill=255)
    paper, ink = (ImageColor.getrgb(LAYOUT["colours"][name]) for name in ("paper", "ink"))
    steps = LAYOUT["title_shades"] - 1
    shade = [tuple(round(p + (i - p) * round(c * steps / 255) / steps) for p, i in zip(paper, ink)) for c in range(256)]
    expected = Image.merge("RGB", [coverage.point([colour[band] for colour in shade]) for band in range(3)])
    assert len(lines) > 1 and not ImageChops.difference(drawn.crop((0, top, SIZE[0], bottom)), expected).getbbox()


@pytest.mark.parametrize("size", LAYOUT["title_sizes"])
def test_letters_set_one_by_one_are_the_pixels_pillow_draws_the_line_in(size):
    letters = share_cards.lettering(FONT, size)
    for line in SHAPED + titles(60, seed=size):
        by_letter, by_pillow = Image.new("L", (1600, 2 * size)), Image.new("L", (1600, 2 * size))
        letters.draw(by_letter, (20, 10), line)
        ImageDraw.Draw(by_pillow).text((20, 10), line, font=letters.font, fill=255)
        assert not ImageChops.difference(by_letter, by_pillow).getbbox(), line


def test_titles_take_the_size_and_lines_pillows_own_measure_gives():
    def by_pillow(text):
        for size in LAYOUT["title_sizes"]:
            font, lines = share_cards.font_at(FONT, size), []
            for word in text.split(" "):
                if lines and font.getlength(f"{lines[-1]} {word}") <= TEXT_WIDTH:
                    lines[-1] += " " + word
                else:
                    lines.append(word)  # no word of these titles is wider than a line
            if len(lines) <= TEXT_HEIGHT // share_cards.line_height(font):
                return size, lines
        return None  # cut with an ellipsis

    for title in titles(400):
        letters, lines = share_cards.title_lines(title, FONT, TEXT_WIDTH, TEXT_HEIGHT)
        expected = by_pillow(title)
        assert (letters.font.size, lines) == expected if expected else lines[-1].endswith("…"), title


def test_cards_stay_small_for_social_networks_to_fetch():
    longest = "Niños periodistas de Boyle Heights se dirigieron a Biden con el corazón y se ganaron reconocimiento nacional"
    sizes = sorted(len(card(title)) for title in [*titles(40)[:20], longest])
    assert sizes[len(sizes) // 2] < 24 * 1024 and sizes[-1] < 30 * 1024, sizes


WORKERS = {}  # what forked workers inherit: Pelican's settings hold modules, which do not pickle


def draw_in_worker(title):
    WORKERS["both started"].wait(timeout=60)  # the two draw the same card at the same time
    return os.getpid(), share_cards.card_file(WORKERS["settings"], title, "en")


def test_forked_workers_draw_one_card_side_by_side(tmp_path, monkeypatch):
    from pelican.settings import read_settings

    settings = read_settings(str(site.DEV_SETTINGS), override={"CACHE_PATH": str(tmp_path)})
    partials, replace = [], os.replace
    monkeypatch.setattr(share_cards.os, "replace", lambda partial, cached: partials.append(partial) or replace(partial, cached))
    name, cached = share_cards.card_file(settings, "Drawn here first", "en")
    assert partials == [f"{cached}.{os.getpid()}.part"]  # a name of this process's own
    fork = multiprocessing.get_context("fork")
    monkeypatch.setitem(WORKERS, "settings", settings)
    monkeypatch.setitem(WORKERS, "both started", fork.Barrier(2))
    with fork.Pool(2) as pool:
        drawn = pool.map(draw_in_worker, ["Drawn by two workers at once"] * 2, chunksize=1)
    assert len({pid for pid, _ in drawn}) == 2 and drawn[0][1] == drawn[1][1]
    files = sorted(os.listdir(tmp_path / "share-cards"))
    assert len(files) == 2 and all(file.endswith(".png") for file in files), files  # no part left behind
    with Image.open(drawn[0][1][1]) as image:
        assert image.size == SIZE


def test_a_build_deletes_the_cards_that_ended_processes_left_half_written(tmp_path):
    from pelican.settings import read_settings

    settings = read_settings(str(site.DEV_SETTINGS), override={"CACHE_PATH": str(tmp_path)})
    ended = subprocess.Popen(["true"])
    ended.wait()
    folder = tmp_path / "share-cards"
    folder.mkdir()
    left = folder / f"card.0123456789abcdef.png.{ended.pid}.part"  # a worker ended midway
    being_drawn = folder / f"card.fedcba9876543210.png.{os.getpid()}.part"
    kept = folder / "card.fedcba9876543210.png"
    for file in (left, being_drawn, kept):
        file.write_bytes(b"PNG")
    share_cards.start(types.SimpleNamespace(settings=settings))  # as each build starts
    assert sorted(os.listdir(folder)) == sorted([being_drawn.name, kept.name])
