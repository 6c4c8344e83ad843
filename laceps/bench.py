"""`invoke bench`: how long builds take, and how much memory, as the news grows, against stock Pelican.

Each size gets a copy of the project in a temporary folder (never this checkout) whose news are
synthetic items with realistic bodies (about 400 words: headings, paragraphs, links, a list).
Ours is timed as an editor or CI runs it, `invoke preview` (English, Spanish and search) in that
copy: a full build after `invoke clean`, then a rebuild after editing one item, caches warm, and one
after editing one Spanish item.
Stock is plain `pelican` 4.12 on the same items: its default theme, no plugins, typogrify and the
content cache on, one language. Runs alternate (ours, stock, ours, stock…) so that other load on
the machine falls on both; the table shows medians. Memory is read from /proc while each build
runs: the peak of the build's own process, of Pagefind's, of the largest of its worker processes
(laceps.parallel), and of their sum (each process's proportional share, so that what forked workers
share with the build counts once). Then the last step of our build timed alone: Pagefind making each
language's index once it has every page, which no build can start before its last page is written.
Last, the delay from a save to the browser's reload under `invoke livereload`, on the real site and
on the synthetic sites up to LIVERELOAD_UP_TO items.
"""

import contextlib
import functools
import http.client
import itertools
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import wordfreq

from laceps import PROJECT_ROOT, cache_files, checks, devserver
from laceps import build as pipeline
from laceps.serve_static import free_port

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
CACHE_PATH = "stock-cache"  # cache/ is ours
"""
SECTIONS = ("News Stories", "Press Releases", "Opinion Editorials")
FIRST_DATE = date(2000, 1, 1)
SPANISH_EVERY = 10  # one item in ten is in Spanish, as on the real site
# Each language's words as news use them: its most frequent words (wordfreq's lists, the spelling
# report's dependency), each drawn as often as the language uses it. A search index grows with the
# words it holds: 40 words repeated, the bench's first vocabulary, made Pagefind's work a third of
# what a real text of the same length asks (2.7 s against 0.75 s for the index of 1,200 pages).
VOCABULARY_SIZE = 10_000
MEMORY_POLL_SECONDS = 0.02
LIVERELOAD_UP_TO = 1000  # sites whose livereload delay is measured too (with the real site)


@functools.cache
def vocabulary(lang):
    """(words, their cumulative weights) of `lang`, for random.choices."""
    words = [word for word in wordfreq.top_n_list(lang, VOCABULARY_SIZE) if word.isalpha()]
    return words, list(itertools.accumulate(wordfreq.word_frequency(word, lang) for word in words))


def words_of(rng, lang, count):
    words, weights = vocabulary(lang)
    return rng.choices(words, cum_weights=weights, k=count)


def sentence(rng, lang, count, max_chars=None):
    words = words_of(rng, lang, count)
    while max_chars and len(" ".join(words)) + 1 > max_chars:
        words.pop()
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def paragraph(rng, lang, number):
    """About 70 words, with a link, emphasis, a quotation and a dash for typogrify."""
    parts = [sentence(rng, lang, rng.randint(8, 16)) for _ in range(5)]
    said, emphasis, report = words_of(rng, lang, 3)
    parts.insert(1, f'"{sentence(rng, lang, 6)}" -- said *{said}* {emphasis}...')
    parts.insert(3, f"See [the {report} report](https://example.org/reports/{number}/{rng.randint(1, 99)}).")
    return " ".join(parts)


def body(rng, lang, number):
    """About 400 words: two headed sections of paragraphs, and a list."""
    blocks = [paragraph(rng, lang, number)]
    for _ in range(2):
        blocks.append(f"## {sentence(rng, lang, 4)[:-1]}")
        blocks += [paragraph(rng, lang, number) for _ in range(2)]
    blocks.append("\n".join(f"- {sentence(rng, lang, rng.randint(4, 9))}" for _ in range(4)))
    return "\n\n".join(blocks)


def news_item(number):
    rng = random.Random(number)
    spanish = number % SPANISH_EVERY == SPANISH_EVERY - 1
    lang = "es" if spanish else "en"
    lines = [
        f"Title: {'Noticia' if spanish else 'News item'} {number}: {sentence(rng, lang, 6)[:-1]}",
        f"Date: {FIRST_DATE + timedelta(days=number)}",
        f"Category: {SECTIONS[number % len(SECTIONS)]}",
        f"Source: Member network {number % 9}",
        f"Summary: {sentence(rng, lang, 14, max_chars=checks.SUMMARY_MAX_CHARS)}",
        *(["Lang: es"] if spanish else []),
    ]
    return "\n".join(lines) + "\n\n" + body(rng, lang, number) + "\n"


def project_copy(folder, items=None):
    """This project's files (tracked, and new ones not ignored), its news replaced by `items` synthetic
    items (None: the real news)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, set(listed.stdout.split("\0"))):
        source = PROJECT_ROOT / name
        if source.is_file() and (items is None or not name.startswith("content/news/")):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    news = folder / "content" / "news"
    news.mkdir(parents=True, exist_ok=True)
    for number in range(items or 0):
        (news / f"{FIRST_DATE + timedelta(days=number)}-item-{number}.md").write_text(news_item(number), encoding="utf-8")
    (folder / "stockconf.py").write_text(STOCK_SETTINGS, encoding="utf-8")
    return folder


def edit_one_item(folder, lang="en"):
    """Add a sentence to the first news item in `lang`."""
    item = sorted((folder / "content" / "news").glob("*.md"))[SPANISH_EVERY - 1 if lang == "es" else 0]
    with item.open("a", encoding="utf-8") as file:
        file.write("\nA sentence added by the benchmark.\n")


def descendants(pid):
    """The process ids started by `pid`, at any depth (Linux /proc)."""
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as children:
                    kids = [int(kid) for kid in children.read().split()]
                found += kids
                pending += kids
        except OSError:
            continue  # ended meanwhile
    return found


def memory_kib(pid):
    """(resident now, resident peak) of a process in KiB, or None once it has ended."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError):
        return None


def proportional_kib(pid):
    """A process's share of the memory it uses, in KiB: pages it shares with others (a forked worker
    with the build) count in part, so the sum over processes is the memory they use together."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def is_pagefind(pid):
    try:
        with open(f"/proc/{pid}/comm") as name:
            return name.read().startswith("pagefind")
    except OSError:
        return False


def measured(command, cwd):
    """Run a build; its seconds and peak memory in MB: its own process, Pagefind, its worker processes
    (laceps.parallel: the largest one), and all of them at once."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peaks = {"own": 0, "pagefind": 0, "worker": 0, "whole": 0}

    def sample():
        while process.poll() is None:
            own = memory_kib(process.pid)
            helpers = [(pid, reading) for pid in descendants(process.pid) if (reading := memory_kib(pid))]
            if own:
                peaks["own"] = max(peaks["own"], own[1])
                peaks["whole"] = max(peaks["whole"], sum(map(proportional_kib, [process.pid, *(pid for pid, _ in helpers)])))
            for pid, (_, peak) in helpers:
                kind = "pagefind" if is_pagefind(pid) else "worker"
                peaks[kind] = max(peaks[kind], peak)
            time.sleep(MEMORY_POLL_SECONDS)

    sampler = threading.Thread(target=sample)
    sampler.start()
    log = process.communicate()[0]
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{log}")
    return {"seconds": seconds, **{name: kib / 1024 for name, kib in peaks.items()}}


def ours(folder):
    return measured([sys.executable, "-m", "invoke", "preview"], folder)


def stock(folder):
    return measured([sys.executable, "-m", "pelican", "content", "--settings", "stockconf.py", "--output", "stock-output"], folder)


def clean_stock(folder):
    for name in ("stock-output", "stock-cache"):
        shutil.rmtree(folder / name, ignore_errors=True)


def measure_size(folder, runs):
    """{(build, kind): [measurements]} for build in ours/stock, kind in full/rebuild; runs interleaved."""
    results = {}
    for _ in range(runs):
        subprocess.run([sys.executable, "-m", "invoke", "clean"], cwd=folder, check=True)
        results.setdefault(("ours", "full"), []).append(ours(folder))
        clean_stock(folder)
        results.setdefault(("stock", "full"), []).append(stock(folder))
        for kind, lang in (("rebuild", "en"), ("Spanish rebuild", "es")):
            edit_one_item(folder, lang)
            results.setdefault(("ours", kind), []).append(ours(folder))
            results.setdefault(("stock", kind), []).append(stock(folder))
    return results


def index_alone(folder):
    """{language: seconds} Pagefind takes to make that language's index (get_files) once it has
    every page, in our build's own SearchIndex, from the pages of the last build in its order."""
    record = cache_files.load(next((folder / "cache").glob(f"*/{pipeline.SEARCH_RECORD}")))
    output, order, seconds = folder / "output", record["order"], {}
    with tempfile.TemporaryDirectory(prefix="laceps-bench-index-") as scratch, contextlib.closing(pipeline.SearchIndex(scratch)) as index:
        for start in range(0, len(order), pipeline.PAGES_PER_SEND):
            index.give([(page, (output / page).read_text(encoding="utf-8")) for page in order[start:start + pipeline.PAGES_PER_SEND]], index.pending)
        for given in index.pending:
            given.result()
        for lang, (_, language_index) in sorted(index.indexes.items()):
            started = time.perf_counter()
            index.wait(language_index.get_files())
            seconds[lang] = time.perf_counter() - started
    return seconds


def median(measurements, key):
    return statistics.median(measurement[key] for measurement in measurements)


def livereload_delays(folder, saves):
    """Seconds from each save of a news item to the reload event `invoke livereload` sends the browser."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "invoke", "livereload", "--port", str(port)], cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        for line in server.stdout:
            if line.startswith(("built in", "build failed")):
                break
        events = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        events.request("GET", devserver.BUILD_EVENTS)
        stream = events.getresponse()
        next_event(stream)  # the first build's
        delays = []
        for _ in range(saves):
            time.sleep(1)  # past the settle time, and Pagefind's update of the last save
            started = time.perf_counter()
            edit_one_item(folder)
            next_event(stream)
            delays.append(time.perf_counter() - started)
        events.close()
        return delays
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # not Ctrl+C's SIGINT: a bench run in the background ignores it
        server.wait()


def next_event(stream):
    while not stream.readline().startswith(b"data: "):
        pass


def run(sizes=(1000, 5000), runs=3):
    rows, delays, alone = [], {}, {}
    for items in sizes:
        print(f"{items} items: {runs} interleaved runs of our invoke preview and of stock pelican…", flush=True)
        with tempfile.TemporaryDirectory(prefix="laceps-bench-") as work:
            folder = project_copy(Path(work), items)
            results = measure_size(folder, runs)
            alone[items] = [index_alone(folder) for _ in range(runs)]
            if items <= LIVERELOAD_UP_TO:
                delays[f"{items:,} items"] = livereload_delays(folder, runs)
        rows += [(items, kind, results[("ours", kind)], results[("stock", kind)]) for kind in ("full", "rebuild", "Spanish rebuild")]
    with tempfile.TemporaryDirectory(prefix="laceps-bench-") as work:
        delays["the real site"] = livereload_delays(project_copy(Path(work)), runs)
    print_table(rows, runs)
    print(f"\nPagefind making each language's index once it has every page, alone (median of {runs}, seconds),"
          " against stock's rebuild after one edit:")
    for items, kind, _, stock_runs in rows:
        if kind == "rebuild":
            stock_s = median(stock_runs, "seconds")
            seconds = {lang: statistics.median(run[lang] for run in alone[items]) for lang in alone[items][0]}
            figures = ", ".join(f"{lang} {value:.2f}" for lang, value in seconds.items())
            print(f"- {items:,} items: {figures}; the longest is {max(seconds.values()) / stock_s:.2f}× stock's rebuild ({stock_s:.2f} s)")
    print(f"\ninvoke livereload, from saving one news item to the browser's reload (median of {runs}, seconds):")
    for site_name, seconds in delays.items():
        print(f"- {site_name}: {statistics.median(seconds):.2f}")


def print_table(rows, runs):
    print(f"\nMedians of {runs} interleaved runs. Time in seconds; peak memory in MB (the build's own "
          f"process; Pagefind's; the largest of its workers'; ours all at once; stock's one process). "
          f"Load average now: {os.getloadavg()[0]:.2f}")
    header = ("items", "build", "ours s", "stock s", "ours/stock", "ours MB", "Pagefind MB", "worker MB",
              "ours, all MB", "stock MB", "ours/stock MB")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for items, kind, ours_runs, stock_runs in rows:
        ours_s, stock_s = median(ours_runs, "seconds"), median(stock_runs, "seconds")
        ours_mb, stock_mb = median(ours_runs, "own"), median(stock_runs, "own")
        cells = (
            f"{items:,}", kind, f"{ours_s:.2f}", f"{stock_s:.2f}", f"{ours_s / stock_s:.2f}",
            *(f"{median(ours_runs, key):.0f}" for key in ("own", "pagefind", "worker", "whole")),
            f"{stock_mb:.0f}", f"{ours_mb / stock_mb:.2f}",
        )
        print("| " + " | ".join(cells) + " |")
