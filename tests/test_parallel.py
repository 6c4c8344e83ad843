"""laceps.parallel's workers: results in order, and nothing a worker failed at or warned about
(the build's own process does that item again, and shows the problem once)."""

import logging
import os

from laceps import parallel


def square_unless_odd_one_out(number):
    if number == 7:
        raise ValueError("a file the build must read itself")
    if number == 11:
        logging.getLogger("pelican").warning("a warning the build must show itself")
    return number * number, os.getpid()


def test_workers_give_results_in_order_and_nothing_for_what_failed_or_warned(capfd):
    numbers = list(range(3 * parallel.CHUNK))
    results = list(parallel.on_workers(square_unless_odd_one_out, numbers))

    assert [result and result[0] for result in results] == [None if n in (7, 11) else n * n for n in numbers]
    workers = {result[1] for result in results if result}
    assert workers and os.getpid() not in workers  # done in other processes
    assert "warning" not in capfd.readouterr().err  # said once, by the build, when it does the item again
