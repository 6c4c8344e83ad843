"""`invoke audit`: Lighthouse 12 (mobile) on the key pages of a locally served production build.

A benchmark, not a test: it prints the four category scores with LCP, CLS and TBT for each
page, each the median of several runs. The goal is 100 in every category on every page.
"""

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

from invoke.exceptions import Exit

from laceps import toolchain
from laceps.serve_static import serve_production_build

KEY_PAGES = (
    ("Home", "/"),
    ("About Us", "/about-us/"),
    ("In The News", "/news/"),
    ("News Stories (section)", "/news/news-stories/"),
)
CATEGORIES = (("Perf", "performance"), ("A11y", "accessibility"), ("BP", "best-practices"), ("SEO", "seo"))
METRICS = (
    ("LCP ms", "largest-contentful-paint", "{:.0f}"),
    ("CLS", "cumulative-layout-shift", "{:.3f}"),
    ("TBT ms", "total-blocking-time", "{:.0f}"),
)


def article_page(root):
    """An article with its own page (news/<year>/<slug>/), or else the Contact page."""
    articles = sorted(root.glob("news/[0-9][0-9][0-9][0-9]/*/index.html"))
    if articles:
        return "Article", "/" + articles[0].parent.relative_to(root).as_posix() + "/"
    print("No news item has its own page (none has a body): auditing the Contact page instead.")
    return "Contact (no article page)", "/contact/"


def lighthouse(url):
    """One Lighthouse run with its mobile settings: the JSON report."""
    command = [
        str(toolchain.require(toolchain.LIGHTHOUSE)), url,
        "--form-factor=mobile",
        "--output=json", "--output-path=stdout", "--quiet",
        "--chrome-flags=" + " ".join((toolchain.HEADLESS, *toolchain.CHROMIUM_FLAGS)),
    ]
    env = {**os.environ, "CHROME_PATH": str(toolchain.chromium())}
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise Exit(f"Lighthouse failed on {url}:\n{result.stderr[-2000:]}", code=1)
    return json.loads(result.stdout)


def median_figures(reports):
    """Medians over the runs of each category score (0-100) and metric; None where all failed."""
    def median(values):
        values = [value for value in values if value is not None]
        return statistics.median(values) if values else None

    figures = {}
    for label, category in CATEGORIES:
        scores = [report["categories"][category]["score"] for report in reports]
        figures[label] = median([None if score is None else score * 100 for score in scores])
    for label, audit, _ in METRICS:
        figures[label] = median([report["audits"][audit].get("numericValue") for report in reports])
    return figures


def run(runs=3):
    toolchain.require(toolchain.LIGHTHOUSE)
    toolchain.chromium()
    rows = []
    with tempfile.TemporaryDirectory(prefix="laceps-audit-") as folder:
        with serve_production_build(Path(folder) / "output", cache=Path(folder) / "cache") as server:
            for name, path in (*KEY_PAGES, article_page(server.root)):
                print(f"Lighthouse, {runs} run(s): {path}", flush=True)
                rows.append((name, median_figures([lighthouse(server.url + path) for _ in range(runs)])))
    print_table(rows, runs)


def print_table(rows, runs):
    formats = {label: "{:.0f}" for label, _ in CATEGORIES} | {label: fmt for label, _, fmt in METRICS}
    print(f"\nLighthouse {'/'.join(l for l, _ in CATEGORIES)} scores and metrics, mobile, medians of {runs} run(s)")
    print(f"{'page':<26}" + "".join(f"{label:>8}" for label in formats))
    for name, figures in rows:
        cells = ("–" if figures[label] is None else fmt.format(figures[label]) for label, fmt in formats.items())
        print(f"{name:<26}" + "".join(f"{cell:>8}" for cell in cells))
