"""Production settings: pelicanconf.py plus only what the live site changes."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pelicanconf import *  # noqa: E402,F403

SITEURL = "https://lacfeps.org"
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
CHECK_BUILT_LINKS = True

# Drafts are neither listed nor written anywhere.
SHOW_DRAFTS = False
DRAFT_URL = DRAFT_LANG_URL = DRAFT_SAVE_AS = DRAFT_LANG_SAVE_AS = ""
DRAFT_PAGE_URL = DRAFT_PAGE_LANG_URL = DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_LANG_SAVE_AS = ""

FEED_ALL_ATOM = FEEDS["FEED_ALL_ATOM"]  # noqa: F405
CATEGORY_FEED_ATOM = FEEDS["CATEGORY_FEED_ATOM"]  # noqa: F405

# The live editor saves through GitHub only: no trace of decap-server in its page or its policy.
CMS = {**CMS, "local_backend": ""}  # noqa: F405
