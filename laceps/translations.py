"""The theme's gettext catalogs: template strings in, compiled catalogs out.

theme/translations/messages.pot lists every string of the templates and the labels
pelicanconf.py marks with _() (extraction settings: [tool.babel] in pyproject.toml);
each language's LC_MESSAGES/messages.po holds its translations. Both are sources and
are committed; the build compiles each .po into a .mo under cache/translations/, where
Pelican reads them (I18N_GETTEXT_LOCALEDIR). Nothing is written into theme/: a build
changes no file of the repository, and a watcher of theme/ sees no build of its own.
"""

import os
import subprocess
import sys
import tempfile
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from laceps import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "theme" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
COMPILED = PROJECT_ROOT / "cache" / "translations"
SOURCES = ("theme/templates", "pelicanconf.py")


def catalogs():
    """Each language's catalog source: theme/translations/<lang>/LC_MESSAGES/messages.po."""
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def compiled_catalog(source):
    """Where the build puts the compiled form of a catalog source: cache/translations/<lang>/LC_MESSAGES/messages.mo."""
    return COMPILED / source.relative_to(TRANSLATIONS).with_suffix(".mo")


def compile_catalogs():
    """Compile each messages.po (fuzzy translations left out); write only the .mo files that change."""
    for source in catalogs():
        with source.open("rb") as po:
            catalog = read_po(po)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        target = compiled_catalog(source)
        if target.is_file() and target.read_bytes() == compiled.getvalue():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a build running at the same time never reads half a catalog.
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".messages-", delete=False) as partial:
            partial.write(compiled.getvalue())
        os.replace(partial.name, target)


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
