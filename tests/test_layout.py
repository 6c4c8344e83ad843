"""Layout regression: where the key elements of the main pages sit, at a phone's and a laptop's
size, against the baselines in tests/layout-baselines.json. Boxes, not pixels: a font renders a
little differently from one Chromium build to the next, a broken layout moves boxes by far more.

After a deliberate change of layout, record new baselines with `uv run invoke screenshots
--baselines` and commit them with the change.
"""

import json

import pytest

from laceps import screenshots

TOLERANCE = 8  # CSS pixels any edge may move
BASELINES = json.loads(screenshots.BASELINES.read_text(encoding="utf-8"))
FIX = "if the change is meant, run `uv run invoke screenshots --baselines` and commit tests/layout-baselines.json"


@pytest.fixture(scope="module")
def tabs(browser):
    """A tab at each size of screenshots.SIZES."""
    contexts = {width: browser.new_context(viewport=viewport) for width, viewport in screenshots.SIZES.items()}
    yield {width: context.new_page() for width, context in contexts.items()}
    for context in contexts.values():
        context.close()


def moves(expected, found):
    """What differs between two measurements: one line per element that moved, appeared or went."""
    problems = []
    for name in expected.keys() | found.keys():
        before, after = expected.get(name, []), found.get(name, [])
        if len(before) != len(after):
            problems.append(f"{name}: {len(before)} on the page before, {len(after)} now")
            continue
        for index, (old, new) in enumerate(zip(before, after)):
            if any(abs(a - b) > TOLERANCE for a, b in zip(old, new)):
                problems.append(f"{name}[{index}] moved: [x, y, width, height] {old} -> {new}")
    return sorted(problems)


def test_the_baselines_cover_every_main_page_at_every_size():
    assert {path: sorted(sizes) for path, sizes in BASELINES.items()} == {
        path: sorted(map(str, screenshots.SIZES)) for path in screenshots.PAGES.values()
    }, FIX


@pytest.mark.parametrize("width", screenshots.SIZES)
@pytest.mark.parametrize("path", screenshots.PAGES.values())
def test_key_elements_stay_where_the_baseline_has_them(tabs, served_site, path, width):
    tab = tabs[width]
    screenshots.open_page(tab, served_site.url + path)
    problems = moves(BASELINES[path][str(width)], screenshots.measure(tab))
    assert not problems, f"{path} at {width} px:\n  " + "\n  ".join(problems) + f"\n({FIX})"


def test_a_moved_card_is_named():
    before = {"cards": [[16, 100, 300, 120], [332, 100, 300, 120]], "footer": [[0, 900, 1280, 300]]}
    after = {"cards": [[16, 100, 300, 120], [16, 236, 300, 120]], "footer": [[0, 903, 1280, 300]]}
    assert moves(before, after) == ["cards[1] moved: [x, y, width, height] [332, 100, 300, 120] -> [16, 236, 300, 120]"]
