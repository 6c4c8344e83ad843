"""Production settings: pelicanconf.py plus only what the live site changes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pelicanconf import *  # noqa: E402,F403

SITEURL = "https://lacfeps.org"
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True

FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
