"""`invoke screenshots`: pictures of the main pages for the README, and the layout baselines.

A production build is served on loopback and opened in the machine's headless Chromium at a
phone's size and a laptop's (SIZES). For each main page (PAGES) this writes a PNG of the first
screen, what a visitor sees before scrolling, into docs/screenshots/, reduced to a palette so it
stays small. With `--baselines` it also records
where the key elements of each page sit (KEY_ELEMENTS) in BASELINES, which tests/test_layout.py
compares with a fresh build: boxes, not pixels, which differ from one Chromium build to the next.
"""

import json
import re
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from laceps import PROJECT_ROOT, toolchain
from laceps.serve_static import serve_production_build

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
BASELINES = PROJECT_ROOT / "tests" / "layout-baselines.json"
PAGES = {
    "home": "/",
    "home-es": "/es/",
    "about-us": "/about-us/",
    "our-members": "/our-members/",
    "news": "/news/",
}
SIZES = {375: {"width": 375, "height": 740}, 1280: {"width": 1280, "height": 800}}
# What a broken layout moves: {name: CSS selector}; every match is measured, in page order.
KEY_ELEMENTS = {
    "header": "header.site-header",
    "wordmark": ".brand img",
    "menu button": ".menu__button",
    "language switch": ".language-switch",
    "heading": "main h1",
    "subheadings": "main h2",
    "figures": ".figures > li",
    "actions": ".actions a",
    "cards": ".cards > li, .news-list--cards > li",
    "news items": ".news-list:not(.news-list--cards) > li",
    "footer": "footer.site-footer",
}
PALETTE = 32  # colours kept in a screenshot: flat colours and text stay crisp, files stay small

# Boxes of the visible elements that match each selector, in CSS pixels from the top of the page.
MEASURE = """(elements) => Object.fromEntries(Object.entries(elements).map(([name, selector]) => [name,
  [...document.querySelectorAll(selector)].filter((el) => el.checkVisibility()).map((el) => {
    const box = el.getBoundingClientRect();
    return [box.x, box.y + scrollY, box.width, box.height].map(Math.round);
  })]))"""


def open_page(page, url):
    """Open the page and wait for its web fonts: boxes measured in the fallback face would differ."""
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => undefined)")


def measure(page):
    """{element name: [[x, y, width, height], …]} of the open page."""
    return page.evaluate(MEASURE, KEY_ELEMENTS)


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(toolchain.chromium()), args=list(toolchain.CHROMIUM_FLAGS))


def screenshot_name(name, width):
    return f"{name}-{width}.png"


def save_small(png, target):
    """A screenshot reduced to PALETTE colours, without dithering (which would speckle the text)."""
    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=PALETTE, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(target, optimize=True)


def baseline_text(boxes):
    """The baselines as JSON with one box to a line, so that their diff lists the boxes that moved."""
    return re.sub(r"\[\s+(-?\d+),\s+(-?\d+),\s+(-?\d+),\s+(-?\d+)\s+\]", r"[\1, \2, \3, \4]", json.dumps(boxes, indent=1)) + "\n"


def run(baselines=False):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    boxes = {}
    with tempfile.TemporaryDirectory(prefix="laceps-screenshots-") as folder:
        work = Path(folder)
        with serve_production_build(work / "output", cache=work / "cache") as server, sync_playwright() as playwright:
            browser = launch(playwright)
            for width, viewport in SIZES.items():
                page = browser.new_page(viewport=viewport)
                for name, path in PAGES.items():
                    open_page(page, server.url + path)
                    raw = work / "raw.png"
                    page.screenshot(path=raw)
                    target = SCREENSHOTS / screenshot_name(name, width)
                    save_small(raw, target)
                    print(f"{target.relative_to(PROJECT_ROOT)}: {target.stat().st_size / 1024:.0f} KB")
                    boxes.setdefault(path, {})[str(width)] = measure(page)
                page.close()
            browser.close()
    if baselines:
        BASELINES.write_text(baseline_text(boxes), encoding="utf-8")
        print(f"{BASELINES.relative_to(PROJECT_ROOT)}: the layout of {len(boxes)} pages at {len(SIZES)} sizes")
