"""The theme's gettext catalogs: template strings in, compiled catalogs out.

theme/translations/messages.pot lists every string of the templates and the labels
pelicanconf.py marks with _() (extraction settings: [tool.babel] in pyproject.toml);
each language's LC_MESSAGES/messages.po holds its translations. Both are sources and
are committed; the build compiles each .po into the .mo that Pelican reads.
"""

import subprocess
import sys

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from laceps import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "theme" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
SOURCES = ("theme/templates", "pelicanconf.py")


def catalogs():
    """Each language's catalog source: theme/translations/<lang>/LC_MESSAGES/messages.po."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def compile_catalogs():
    """Write messages.mo beside each messages.po (fuzzy translations are left out)."""
    for source in catalogs():
        with source.open("rb") as po:
            catalog = read_po(po)
        with source.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalog)


def pybabel(*arguments):
    # From the project root, so the catalog names source files by their path in the repository.
    command = [sys.executable, "-m", "babel.messages.frontend", "--quiet", *arguments, "--no-wrap"]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True)


def extract(template=TEMPLATE):
    """Write every translatable string of the templates and settings into a .pot file."""
    pybabel("extract", "--mapping-file", "pyproject.toml", "--add-location=file", "--sort-by-file",
            "--output-file", str(template), *SOURCES)


def update_catalogs():
    """Extract the strings into messages.pot, then add new ones to every .po for translating."""
    extract()
    pybabel("update", "--input-file", str(TEMPLATE), "--output-dir", str(TRANSLATIONS),
            "--no-fuzzy-matching", "--ignore-obsolete")
