"""`invoke bench`: how long builds take as the news grows, against stock Pelican.

Synthetic sites with 1,000 and 5,000 news items are generated in a temporary folder (never in
content/), with our pages and data so the theme and plugins have what they need. Each is built
with our settings, theme and plugins (publishconf.py), and with stock Pelican: its default
theme, no plugins, typogrify on, on the same items. Timed: a full build from nothing, and a
rebuild after editing one item with the content cache warm. Medians of several runs.
"""

import shutil
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from laceps import site

STOCK_SETTINGS = """\
# Stock Pelican: its default theme (notmyidea), no plugins, typogrify on, the same news items.
SITENAME = "Benchmark"
SITEURL = "https://example.org"
TIMEZONE = "America/Los_Angeles"
ARTICLE_PATHS = ["news"]
PAGE_PATHS = []  # our pages ask for our theme's templates
PLUGINS = []
TYPOGRIFY = True
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
"""

ITEM = """\
Title: Synthetic news item {number}: "students" and families -- working together
Date: {date}
Category: {section}
Source: Member network {network}
Summary: Item {number} of a synthetic site, made to time the build.

Families and schools across Los Angeles... working together for "every" student.

A second paragraph, with *emphasis* and a [link](https://example.org/{number}).
"""
SECTIONS = ("News Stories", "Press Releases", "Opinion Editorials")
FIRST_DATE = date(2000, 1, 1)


def write_synthetic_content(folder, items):
    """Our pages and data plus `items` news items (each with a body, so each gets its own page)."""
    shutil.copytree(site.CONTENT, folder, ignore=lambda where, names: ["news"] if Path(where) == site.CONTENT else [])
    news = folder / "news"
    news.mkdir()
    for number in range(items):
        day = FIRST_DATE + timedelta(days=number)
        text = ITEM.format(number=number, date=day, section=SECTIONS[number % 3], network=number % 9)
        (news / f"{day}-item-{number}.md").write_text(text, encoding="utf-8")
    return folder


def edit_one_item(content):
    item = sorted((content / "news").glob("*.md"))[0]
    with item.open("a", encoding="utf-8") as file:
        file.write("\nA sentence added by the benchmark.\n")


def timed_builds(settings, content, work, runs):
    """Seconds for a full build from nothing, and for a rebuild after one edit: a list of each."""
    full, rebuild = [], []
    for run in range(runs):
        output, cache = work / f"output-{run}", work / f"cache-{run}"
        extra = {"CACHE_PATH": str(cache)}
        started = time.perf_counter()
        site.build(settings=settings, output=output, content=content, extra=extra, quiet=True)
        full.append(time.perf_counter() - started)
        edit_one_item(content)
        started = time.perf_counter()
        site.build(settings=settings, output=output, content=content, extra=extra, quiet=True)
        rebuild.append(time.perf_counter() - started)
        shutil.rmtree(output)
        shutil.rmtree(cache)
    return {"full build": statistics.median(full), "rebuild": statistics.median(rebuild)}


def run(sizes=(1000, 5000), runs=3):
    rows = []
    with tempfile.TemporaryDirectory(prefix="laceps-bench-") as folder:
        work = Path(folder)
        stock_settings = work / "stockconf.py"
        stock_settings.write_text(STOCK_SETTINGS, encoding="utf-8")
        for items in sizes:
            print(f"{items} items: building {runs} times each with our theme and with stock Pelican…", flush=True)
            content = write_synthetic_content(work / f"content-{items}", items)
            ours = timed_builds(site.PRODUCTION_SETTINGS, content, work, runs)
            stock = timed_builds(stock_settings, content, work, runs)
            rows += [(items, kind, ours[kind], stock[kind]) for kind in ours]
            shutil.rmtree(content)
    print_table(rows, runs)


def print_table(rows, runs):
    print(f"\nMedians of {runs} runs (seconds; per item in milliseconds)")
    print(f"{'items':>6}  {'build':<10}  {'ours':>7}  {'stock':>7}  {'ours/stock':>10}  {'ours/item':>9}  {'stock/item':>10}")
    for items, kind, ours, stock in rows:
        print(
            f"{items:>6}  {kind:<10}  {ours:>7.2f}  {stock:>7.2f}  {ours / stock:>10.2f}"
            f"  {ours / items * 1000:>9.2f}  {stock / items * 1000:>10.2f}"
        )
