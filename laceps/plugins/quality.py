"""Stop the build before Pelican reads anything if the content has problems.

Every problem is printed at once, as `path:line: what — how to fix`, and the
build exits non-zero; Pelican's own warnings are made fatal by the build task.
"""

import sys

from pelican import signals

from laceps.checks import check_content
from laceps.plugins import is_subsite


def refuse_broken_content(pelican):
    if is_subsite(pelican.settings):
        return  # the same content, checked once by the main site
    problems = check_content(pelican.settings)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"The build stopped: {len(problems)} problem(s) in the content.", file=sys.stderr)
        raise SystemExit(1)


def register():
    signals.initialized.connect(refuse_broken_content)
