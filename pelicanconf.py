"""Pelican settings for the LACEPS website.

Every setting lives here; publishconf.py overrides only what production changes.
"""

import sys
from pathlib import Path

# The project's own plugins live in the `laceps` package beside this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from laceps.plugins import cms, drafts, images, languages, news, quality, sanitize, scheduled, share_cards, sitemap, templating, typography_cache  # noqa: E402
from laceps import translations  # noqa: E402

# Marks a label for the translation catalog (`invoke translations` extracts it);
# the templates translate it with _() when they show it.
_ = str

# --- The site -------------------------------------------------------------
SITENAME = "Los Angeles Coalition for Excellent Public Schools"
SITE_SHORT_NAME = "LACEPS"
SITE_DESCRIPTION = (
    "LACEPS brings together nine of L.A.’s leading nonprofit public charter school "
    "networks to collaborate and advocate for policies that accelerate learning."
)
SITEURL = ""
DEFAULT_LANG = "en"
LOCALE = ("en_US.UTF-8", "C.UTF-8", "")
TIMEZONE = "America/Los_Angeles"
OG_LOCALE = "en_US"
BABEL_LOCALE = "en_US"  # how the templates write dates and numbers (Babel)

# "Follow Us" links in the footer: (label, https URL). The footer hides the
# whole block while this is empty. The client has named no accounts yet.
SOCIAL = ()

# --- Content --------------------------------------------------------------
PATH = "content"
PAGE_PATHS = ["pages"]
ARTICLE_PATHS = ["news"]
# content/images/ is not copied as it is: laceps.plugins.images publishes sized
# copies of the photos that pages use, never the large originals.
STATIC_PATHS = ["extra"]
EXTRA_PATH_METADATA = {
    "extra/favicon.svg": {"path": "favicon.svg"},
}
DATA_FILES_DIR = "data"  # content/data/*.yaml, read by pelican-data-files
# What each data file must hold (checked by laceps.checks; "?" marks optional).
DATA_SCHEMAS = {
    "site.yaml": {
        "figures": {"networks": "count", "schools": "count", "students": "count"},
        "contact": {"email": "email"},
    },
    "members.yaml": {
        "members": {"name": "text", "description": "text?", "website": "https?", "logo": "image?"},
    },
    "team.yaml": {
        "people": {"name": "text", "role": "text", "email": "email?", "photo": "image?", "bio": "text?"},
    },
}
# A news item's Date and Category are in its file (laceps.checks requires them), over what Pelican
# would take from its file's name and folder: neither is read (50 µs a file and language, the date's).
FILENAME_METADATA = ""
USE_FOLDER_AS_CATEGORY = False
# A file without Lang is in the main language, in every language's site too
# (a subsite would otherwise take it for its own language).
DEFAULT_METADATA = {"status": "published", "lang": DEFAULT_LANG}
# Photos in Markdown and data files, published as responsive AVIF/WebP copies
# (laceps.plugins.images). Formats best first; the last is the <img> fallback.
# "sizes" is how wide each kind shows (see theme/static/css/site.css).
IMAGES = {
    "formats": ("avif", "webp"),  # AVIF only where Pillow can write it
    "quality": {"avif": 60, "webp": 80},
    "output": "images",
    "kinds": {
        "content": {"widths": (400, 800, 1200), "sizes": "(min-width: 40rem) 38rem, 100vw"},
        "logo": {"widths": (160, 320, 480), "sizes": "16rem"},
        "photo": {"widths": (320, 640), "sizes": "(min-width: 40rem) 20rem, 100vw"},
    },
}
# Summary is plain text (like Title), never Markdown: see laceps.plugins.templating.
FORMATTED_FIELDS = []
SUMMARY_MAX_LENGTH = 40
TYPOGRIFY = True
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {},  # ids on headings, so links can point at sections
    },
    "output_format": "html5",
}

# The three sections of "In The News": the only allowed Category values.
NEWS_SECTIONS = (_("News Stories"), _("Press Releases"), _("Opinion Editorials"))
NEWS_LANGS = ("en", "es")
NEWS_PER_SECTION_ON_INDEX = 5
HOME_LATEST_NEWS = 3
DEFAULT_PAGINATION = 10

# --- URLs: clean, folder-style ---------------------------------------------
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_URL = PAGE_URL  # a page in another language than its site's (see I18N_UNTRANSLATED_PAGES)
PAGE_LANG_SAVE_AS = PAGE_SAVE_AS
ARTICLE_URL = "news/{date:%Y}/{slug}/"
ARTICLE_SAVE_AS = "news/{date:%Y}/{slug}/index.html"
ARTICLE_LANG_URL = ARTICLE_URL  # a Spanish item lives beside the English ones
ARTICLE_LANG_SAVE_AS = ARTICLE_SAVE_AS
# Drafts (Status: draft): local builds show them at their future address, in
# the lists, marked "Draft" (laceps.plugins.drafts); publishconf.py drops them.
SHOW_DRAFTS = True
# A news item dated in the future is held until its date and time (in TIMEZONE), like a draft
# (laceps.plugins.scheduled): local builds show it marked "Scheduled". NOW, an ISO date and
# time, is the builds' clock instead of the real one (tests set it).
NOW = None
DRAFT_URL = DRAFT_LANG_URL = ARTICLE_URL
DRAFT_SAVE_AS = DRAFT_LANG_SAVE_AS = ARTICLE_SAVE_AS
DRAFT_PAGE_URL = DRAFT_PAGE_LANG_URL = PAGE_URL
DRAFT_PAGE_SAVE_AS = DRAFT_PAGE_LANG_SAVE_AS = PAGE_SAVE_AS
CATEGORY_URL = "news/{slug}/"
CATEGORY_SAVE_AS = "news/{slug}/index.html"
PAGINATED_TEMPLATES = {"category": None}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
# Pages that exist only as lists of other things are not generated.
DIRECT_TEMPLATES = ["robots", "headers", "search", "admin"]
ROBOTS_SAVE_AS = "robots.txt"
HEADERS_SAVE_AS = "_headers"  # HTTP headers, for hosts that read the file (Netlify, Cloudflare Pages)
SEARCH_SAVE_AS = "search/index.html"  # Pagefind's search page, in each language
ADMIN_SAVE_AS = "admin/index.html"  # the web editor (laceps.cms), in the main site only
TAG_SAVE_AS = TAGS_SAVE_AS = ""
AUTHOR_SAVE_AS = AUTHORS_SAVE_AS = ""
CATEGORIES_SAVE_AS = ARCHIVES_SAVE_AS = ""

# The main navigation, in order: (label, URL relative to SITEURL).
NAV = (
    (_("Home"), ""),
    (_("About Us"), "about-us/"),
    (_("Our Team"), "our-team/"),
    (_("Our Members"), "our-members/"),
    (_("Our Programs"), "our-programs/"),
    (_("In The News"), "news/"),
)

# --- Languages: the Spanish version under /es/ (pelican-i18n-subsites) ------
# A page or news item is translated by a file with `Lang: es` and the same Slug.
# Template strings are translated by theme/translations/es/LC_MESSAGES/messages.po
# (`invoke translations` updates it; the build compiles it into cache/translations/,
# outside the watched theme/, where the templates and feeds read it).
I18N_SUBSITES = {
    "es": {
        "OG_LOCALE": "es_US",
        "BABEL_LOCALE": "es_US",  # Spanish as written in the US: 51,000, not 51.000
        "SITE_DESCRIPTION": (
            "LACEPS reúne a nueve de las principales redes de escuelas públicas chárter sin "
            "fines de lucro de Los Ángeles para colaborar y abogar por políticas que aceleren "
            "el aprendizaje."
        ),
        # robots.txt, _headers and sitemap.xml are the main site's, for both languages.
        "DIRECT_TEMPLATES": ["search"],
    },
}
# A page without a Spanish text still exists under /es/, in the Spanish frame
# (menu, headings, dates), its English text marked lang="en". Every news item is
# listed in both versions; one with its own page has it in its own language only
# (laceps.plugins.languages).
I18N_UNTRANSLATED_PAGES = "keep"
I18N_UNTRANSLATED_ARTICLES = "keep"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}  # the language switch, in each language's own words
# The tag on a news item listed in another language than its page's, in the item's own words.
LANGUAGE_TAGS = {"en": "In English", "es": "En español"}

# --- Feeds: on in production only (publishconf.py turns FEEDS on) ----------
# Their paths are known to every build, so laceps.checks keeps pages off them.
FEEDS = {"FEED_ALL_ATOM": "feeds/all.atom.xml", "CATEGORY_FEED_ATOM": "feeds/{slug}.atom.xml"}
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
FEED_ALL_RSS = CATEGORY_FEED_RSS = None
TRANSLATION_FEED_ATOM = AUTHOR_FEED_ATOM = AUTHOR_FEED_RSS = None
AUTHOR = SITENAME  # Atom requires a named author on every entry: the coalition lists them

# --- Theme ----------------------------------------------------------------
THEME = "theme"
THEME_STATIC_PATHS = []  # laceps.plugins.templating publishes fingerprinted assets
# The stylesheet names the fonts by their paths here (url(fonts/…)): those become the hashed names.
THEME_ASSETS = ["css/site.css", "js/search.js", "fonts/public-sans-400.woff2", "fonts/public-sans-700.woff2", "img/wordmark.svg"]
# Every page carries this policy (meta tag; _headers adds it as a header too):
# nothing from other origins, no scripts, no inline styles. connect-src 'self'
# lets crawlers' in-page checks (Lighthouse reads robots.txt) fetch from the site.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; connect-src 'self'"
)
# `invoke livereload`'s server (laceps.devserver) adds /__reload.js to each page it
# serves, which listens to the same server for finished builds; only builds for that
# local server (LIVERELOAD, set by the task) allow it.
# The search page alone runs a script: its own module and Pagefind's, which
# fetches the index and compiles WebAssembly.
SEARCH_CSP = "script-src 'self' 'wasm-unsafe-eval'"
# The web editor's page (/admin/, laceps.cms) alone runs Decap CMS, which needs more: 'unsafe-eval' (it
# compiles its config's schema with new Function), inline styles (its CSS-in-JS), GitHub's API, and
# images it shows from blob: URLs (uploads, the repository's images) and GitHub's avatars.
# tests/test_cms.py proves the first two needed; README, "The web editor", says the rest.
ADMIN_CSP = (
    "script-src 'self' 'unsafe-eval'; style-src 'unsafe-inline'; "
    "connect-src https://api.github.com; img-src blob: https://avatars.githubusercontent.com"
)
# The web editor (README, "The web editor"): it opens a pull request in this GitHub repository
# (OWNER/NAME) for each change; "auth" is where GitHub sign-in completes (Decap's base_url and
# site_domain, or auth_endpoint); "local_backend" is decap-server's address on this computer
# (`invoke cms`), used only when the editor is opened from localhost or 127.0.0.1.
CMS = {
    "repo": "",
    "branch": "main",
    "auth": {"base_url": "https://api.netlify.com", "site_domain": ""},
    "local_backend": "http://localhost:8081/api/v1",
}
LIVERELOAD = False
LIVERELOAD_CSP = "script-src 'self'; connect-src 'self'"
# Headers for every response where the host takes them from the site: the `_headers` file
# (Netlify, Cloudflare Pages) and CloudFront's response headers policies (infra/hosting.yaml,
# which `invoke infra` renders from these). Their Content-Security-Policy is the pages' own
# plus HEADER_CSP: only a header can forbid framing.
HEADER_CSP = "frame-ancestors 'none'"
SECURITY_HEADERS = {
    # HTTPS only, for a year. Not includeSubDomains: that would bind every subdomain, whoever hosts it.
    "Strict-Transport-Security": "max-age=31536000",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# A build that search engines must not index (a pull request's preview: `invoke preview --noindex`).
NOINDEX = False
JINJA_ENVIRONMENT = {
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "extensions": ["jinja2.ext.i18n"],
}
I18N_TEMPLATES_LANG = "en"
I18N_GETTEXT_LOCALEDIR = str(translations.COMPILED)

# --- Plugins --------------------------------------------------------------
# quality first: the content checks run before anything reads the content (pelican-data-files
# loads every file of content/data/ only once they passed). sanitize wraps templating's reader.
PLUGINS = [quality, "data_files", "i18n_subsites", typography_cache, templating, sanitize, scheduled, drafts, news, languages, sitemap, images, cms, share_cards]
# Each page's picture for social media (laceps.plugins.share_cards): written into this folder of
# each language's site, drawn with these files of the theme (made by `invoke brand`).
SHARE_CARDS = {
    "output": "share-cards",
    "size": (1200, 630),  # what Facebook, LinkedIn and X show large
    "font": "static/fonts/public-sans-700.ttf",
    "wordmark": "static/img/wordmark.svg",
}
SITEMAP = {
    "save_as": "sitemap.xml",
    "exclude": [r"^404\.html$", r"^robots\.txt$", r"^_headers$", r"^admin/"],
}
SEARCH_INDEX_FOLDER = "pagefind"  # Pagefind's index (its default folder), written by laceps.site after Pelican

# --- Build ----------------------------------------------------------------
OUTPUT_PATH = "output"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
# A file's cached reading holds while its bytes do: a fresh checkout (CI) gives every file a new
# modification time, which Pelican's default stamp would take for a change.
CHECK_MODIFIED_METHOD = "blake2b"
GZIP_CACHE = False  # read on every build: unzipping the content cache took longer than reading it whole
CACHE_PATH = "cache"  # laceps.site.build keys it by the settings and plugins
DELETE_OUTPUT_DIRECTORY = False
# After the build, every link of its pages must lead to a page, file or #fragment
# (laceps.links). Production only: a local build keeps old files in output/,
# which would hide a broken link.
CHECK_BUILT_LINKS = False
