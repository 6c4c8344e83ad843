"""laceps.parallel's workers: results in order, and nothing a worker failed at or warned about
(the build's own process does that item again, and shows the problem once)."""

import logging
import multiprocessing
import os
import shutil

import pytest

from laceps import PROJECT_ROOT, bench, build, parallel, site


def square_unless_odd_one_out(number):
    if number == 7:
        raise ValueError("a file the build must read itself")
    if number == 11:
        logging.getLogger("pelican").warning("a warning the build must show itself")
    return number * number, os.getpid()


def test_workers_give_results_in_order_and_nothing_for_what_failed_or_warned(capfd):
    numbers = list(range(3 * parallel.CHUNK))
    with parallel.on_workers(square_unless_odd_one_out, numbers) as results:
        results = list(results)

    assert [result and result[0] for result in results] == [None if n in (7, 11) else n * n for n in numbers]
    workers = {result[1] for result in results if result}
    assert workers and os.getpid() not in workers  # done in other processes
    assert "warning" not in capfd.readouterr().err  # said once, by the build, when it does the item again


def test_workers_end_at_once_when_the_build_fails_while_they_work():
    # A worker left running keeps a copy of Pagefind's input open: the failed build would then wait
    # for Pagefind to stop, forever.
    with pytest.raises(RuntimeError), parallel.on_workers(square_unless_odd_one_out, list(range(6 * parallel.CHUNK))) as results:
        worker = next(results)[1]
        raise RuntimeError("the build failed meanwhile")

    assert multiprocessing.active_children() == []
    with pytest.raises(ProcessLookupError):
        os.kill(worker, 0)  # ended, and waited for


def build_that_fails_while_writing_the_news(tmp_path):
    """In a forked process: a build of a site past WORTH_FORKING news items whose search index
    refuses the 50th page written, while the workers render the rest. Exit 0 once it fails."""
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    for number in range(2 * parallel.WORTH_FORKING):
        (content / "news" / f"bench-{number}.md").write_text(bench.news_item(number), encoding="utf-8")
    add, written = build.SearchIndex.add, []

    def refusing(index, path, context=None):
        written.append(path)
        if len(written) == 50:
            raise RuntimeError("Pagefind: refused")
        return add(index, path, context)

    build.SearchIndex.add = refusing
    try:
        site.build(settings=site.PRODUCTION_SETTINGS, output=tmp_path / "output", content=content,
                   extra={"CACHE_PATH": str(tmp_path / "cache")}, quiet=True)
    except site.BuildFailed as failure:
        os._exit(0 if "Pagefind: refused" in failure.log else 2)
    os._exit(1)


def test_a_build_that_fails_while_the_workers_render_stops_and_says_why(tmp_path):
    builder = multiprocessing.get_context("fork").Process(target=build_that_fails_while_writing_the_news, args=(tmp_path,))
    builder.start()
    builder.join(timeout=120)  # the build takes about 15 s; a hung one, forever
    hung = builder.is_alive()
    if hung:
        builder.kill()
        builder.join()
    assert not hung, "the failed build did not end"
    assert builder.exitcode == 0
