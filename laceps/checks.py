"""Content checks: every mistake an editor can make, reported at once.

Each problem reads `path:line: what is wrong — how to fix it`, so a person
editing in GitHub's web editor can go straight to the line. The build runs
these checks first (laceps.plugins.quality), and so does `invoke check`.

They run before every build, so they are quick, and quicker again in a process that builds again
and again (`invoke livereload`, which turns MEMORY on): each Markdown file's own checks are
remembered until the file changes (FileMemory), and only what reads other files is done again.

They are also the build's guard against hostile or broken input: nothing the
build reads may lie outside content/ (no symbolic links, no path that climbs
out), and no file may make the build crash or work without end (text files
and images have size limits, data files may not use YAML's aliases, Markdown
may not nest deeper than its reader can follow).
"""

import os
import re
import time
import warnings
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from html.parser import HTMLParser
from pathlib import Path
from stat import S_ISREG
from urllib.parse import unquote

import yaml
from PIL import Image, UnidentifiedImageError

from laceps.cache_files import signature
from laceps.links import ISO_DAY, check_page_links, day, slug, slugified, substitutions

SUMMARY_MAX_CHARS = 160  # about what search engines show under a result
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M")
STATUSES = ("published", "draft", "hidden")
MAY_BE_EMPTY = ("url",)  # "URL:" with nothing after it puts a page at the site's root
META_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*):\s*(?P<value>.*)$")
INTERNAL_LINK = re.compile(r"\{(?:filename|static|attach)\}(?P<target>[^)\s\"'>]+)")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)")
IMAGE_BY_LABEL = re.compile(r"!\[(?P<alt>[^\]]*)\]\[(?P<label>[^\]]*)\]")
LABEL_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*<?(?P<src>[^\s>]+)", re.MULTILINE)
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
LINK_PREFIX = re.compile(r"^\{(?:filename|static|attach)\}")
WEB_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".webp")  # what laceps.plugins.images can resize
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
# What a data file's "https" and "count" values must match (laceps.cms gives the web editor the same patterns).
HTTPS_ADDRESS = re.compile(r"^https://[^\s/]+\.[^\s]+$")
COUNT = re.compile(r"^\d+$")
FILL_IN = "FILL IN"  # what `invoke new` writes where the editor still has to write something

# Limits that keep the build's work bounded whatever a file holds.
MAX_TEXT_MB = 1  # the longest page is a few KB: a bigger text file is the wrong file, or an attack
MAX_MEGAPIXELS = 60  # a 50-megapixel phone photo passes; beyond, resizing costs seconds and gigabytes
MAX_NESTING = 50  # Python-Markdown recurses once per level of lists in lists: about 250 crash it
# Python-Markdown looks for the end of each unclosed [ or ( through the rest of the paragraph:
# 20,000 of them take minutes.
MAX_UNCLOSED_BRACKETS = 50
MAX_ADDRESS_CHARS = 200  # a folder's name may be 255 bytes long
# One step deeper into nested Markdown: an indentation level, a quote mark or a list marker.
NESTING_STEP = re.compile(r" {4}|\t| {0,3}(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])")
NESTING_STARTS = frozenset(" \t>-*+")  # what a NESTING_STEP can start with, besides a digit (any \d)
MARKDOWN_IN_HTML = re.compile(r"<\w+[^>]*\bmarkdown\s*=", re.IGNORECASE)  # each one nests a Markdown block
BRACKET = re.compile(r"[\[\]()]")
PAGE_TEXT = re.compile(r"\bpage\.(?:title|content|summary)\b")  # what a page layout shows (page_templates)
SAFE_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser, when PyYAML was built with it

FILL_IN_FIX = "replace the FILL IN text with the real information (or delete the line if the field is optional)"
MISSING_FILE_FIX = "check the file name and folder (paths are relative to this file, or to content/ when they start with /)"
IMAGE_TYPE_FIX = "save it as a .jpg or .png file and write that file name here"
UNREADABLE_FIX = "open it and save it again as JPEG or PNG (a phone's HEIC photo renamed to .jpg is not a JPEG)"
TOO_LARGE_FIX = "save a smaller copy (6000 pixels wide is plenty) and use that"
OUTSIDE_FIX = "put the file inside content/ (beside this one) and write its name: the site reads nothing outside content/"
DATA_IMAGE_FIX = "put the image in content/images/ and write its path, e.g. images/logo.png"
INDENT_FIX = "indent it like the other lines of its entry: two spaces before the -, four before each field"
COLON_FIX = "write it as field: value, with a colon and a space after the field name"
QUOTE_FIX = 'put the whole value in double quotes, like name: "Example: Network"'
ALIAS_FIX = "write each value out in full: the site does not read YAML anchors, aliases or tags"
ADDRESS_FIX = "give the page another address: change its Save_as or its Slug (or its Title)"

NEWS_FIELDS = {
    "required": ("title", "date", "category", "source"),
    "optional": ("link", "lang", "summary", "status", "slug", "modified"),
}
FIELD_NAMES = {"save_as": "Save_as", "url": "URL"}  # as editors write them (and Pelican's guide)
PAGE_FIELDS = {
    "required": ("title",),
    "optional": ("summary", "slug", "status", "template", "save_as", "url", "lang", "modified"),
}


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    fix: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.message} — {self.fix}"


@dataclass
class Source:
    """One Markdown file's metadata header, with the line of every field."""

    path: Path
    display: str
    fields: dict  # lower-case key -> (value, line)
    body: list  # (line number, text)

    @cached_property
    def text(self):
        """The body as one string."""
        return "\n".join(line for _, line in self.body)

    def body_matches(self, pattern):
        """(line number, match) of each match of `pattern` in the body, which it may span several lines of."""
        if not self.body:
            return
        first, text = self.body[0][0], self.text
        for match in pattern.finditer(text):
            yield first + text.count("\n", 0, match.start()), match

    @cached_property
    def images(self):
        """(line, src, alt) of each image in the body: ![alt](src), ![alt][label] and HTML's <img>."""
        found = []
        if "![" in self.text:  # what IMAGE and IMAGE_BY_LABEL start with
            labels = {match["label"].lower(): match["src"] for _, match in self.body_matches(LABEL_DEFINITION)}
            found += [(number, match["src"], match["alt"]) for number, match in self.body_matches(IMAGE)]
            for number, match in self.body_matches(IMAGE_BY_LABEL):
                label = (match["label"] or match["alt"]).lower()
                if label in labels:  # Markdown shows an image without a definition as text
                    found.append((number, labels[label], match["alt"]))
        for number, match in self.body_matches(IMG_TAG) if "<" in self.text else ():
            attributes = img_attributes(match[0])
            found.append((number, attributes.get("src", ""), attributes.get("alt", "")))
        return found

    @cached_property
    def internal_links(self):
        """(line, link, its target) of each {filename}, {static} or {attach} link in the body."""
        return [(number, match[0], match["target"]) for number, match in self.body_matches(INTERNAL_LINK)] if "{" in self.text else []


def read_source(path, display, text):
    lines = text.splitlines()
    fields, body_start, last_key = {}, len(lines), None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            body_start = number
            break
        match = META_LINE.match(line)
        if match:
            last_key = match["key"].lower()
            fields[last_key] = (match["value"].strip(), number)
        elif last_key and line.startswith((" ", "\t")):
            value, field_line = fields[last_key]
            fields[last_key] = (f"{value} {line.strip()}", field_line)
        else:
            body_start = number - 1
            break
    body = list(enumerate(lines, start=1))[body_start:]
    return Source(path, display, fields, body)


class FileMemory:
    """Each Markdown file's own checks, kept for the life of the process: `invoke livereload` checks
    the content before every build, in one process, and a save changes one file. A file is checked
    again when its stat signature (or the name it is shown by) changes; the checks of links and
    images between files, and across files, are done again every time. One content folder, and one
    set of the settings the own checks read, at a time: another starts the memory afresh. Off
    unless `enabled`: a process that checks once would only hold every file's text for nothing
    (13 MB at 1,000 news items) while it builds."""

    def __init__(self):
        self.enabled = False
        self.scope, self.files = None, {}  # (path, kind) -> ((signature, shown as), problems, Source or None)

    def for_scope(self, scope):
        if not self.enabled:
            return {}
        if scope != self.scope:
            self.scope, self.files = scope, {}
        return self.files


MEMORY = FileMemory()
# A file changed this recently may change again within the same tick of its file system's clock
# (FAT's ticks every two seconds), unseen: it is checked again next time, not remembered (git's
# "racily clean" files).
SETTLE_NS = 2_000_000_000


def settled(stat):
    return time.time_ns() - stat.st_ctime_ns > SETTLE_NS


class Checker:
    def __init__(self, settings):
        self.settings = settings
        self.content = Path(settings["PATH"])
        self.inside = self.content.resolve()
        self.substitutions = substitutions(settings)
        self.problems = []
        self.entries = []  # everything in content/, as walk() finds it
        self.shown_folders = {}  # folder -> how display() shows the files in it
        self.remembered = MEMORY.for_scope((str(self.inside), repr(settings["NEWS_SECTIONS"]), repr(settings["NEWS_LANGS"])))

    def report(self, where, line, message, fix):
        self.problems.append(Problem(where, line, message, fix))

    def run(self):
        self.entries = list(walk(str(self.content)))
        self.check_files()
        news = self.sources(self.settings["ARTICLE_PATHS"], "news item")
        pages = self.sources(self.settings["PAGE_PATHS"], "page")
        for source in news + pages:
            self.check_links(source)
            self.check_images(source)
        self.check_templates(pages)
        self.check_unique(news, "news item")
        self.check_unique(pages, "page")
        self.check_addresses(news, pages)
        check_page_links(self, news, pages)
        self.check_data()
        return sorted(self.problems)

    # --- Every file ------------------------------------------------------------
    def check_files(self):
        """Only plain files and folders: a symbolic link would publish whatever it points at."""
        for entry in self.entries:
            if entry.is_symlink():
                self.report(display(entry.path), 1, "this is a symbolic link, not a file", "replace it with the file itself: the site reads only what is inside content/")
            elif not entry.is_dir() and not entry.is_file():
                self.report(display(entry.path), 1, "this is not a plain file", "delete it: content/ holds only text files and pictures")

    def is_inside(self, path):
        """True when `path`, with every link and .. followed, is a file or folder inside content/."""
        return Path(path).resolve().is_relative_to(self.inside)

    def read_text(self, path, where):
        """A Markdown or YAML file's text (a byte order mark dropped), or None once what is wrong is reported."""
        if not self.is_inside(path) or not path.is_file():
            return None  # reported by check_files, and never read
        return self.decoded(path, where, path.stat().st_size)

    def decoded(self, path, where, size):
        """read_text() of a plain file inside content/."""
        if size > MAX_TEXT_MB * 1_000_000:
            self.report(where, 1, f"this file is larger than {MAX_TEXT_MB} MB", "a page or data file is a few KB of text: check that this is the right file, or split it")
            return None
        data = Path(path).read_bytes()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            self.report(where, line, "this line has characters that are not UTF-8 text", "retype the odd characters, or save the file again with the encoding UTF-8")
            return None

    # --- Markdown files -----------------------------------------------------
    def sources(self, folders, kind):
        """The Markdown files under `folders` read, each with its own checks done (or remembered)."""
        found = []
        for folder in folders:
            for path, where, stat in self.markdown_files(self.content / folder):
                problems, source = self.own_checks(path, where, kind, stat)
                self.problems += problems
                if source is not None:
                    found.append(source)
        return found

    def markdown_files(self, folder):
        """(path as a str, display(path), its stat or None) of each .md file under `folder`, in the order of
        sorted(folder.rglob("*.md")). A plain file the walk of content/ found is known to be inside it:
        only the others (linked, or in a folder outside) are resolved and checked on their own."""
        walked = folder == self.content or any(entry.path == str(folder) and entry.is_dir(follow_symlinks=False) for entry in self.entries)
        if ".." in folder.parts or not walked:
            for path in sorted(folder.rglob("*.md")):
                yield str(path), display(path), None
            return
        prefix = "" if folder == self.content else f"{folder}/"
        found = [entry for entry in self.entries if entry.name.endswith(".md") and entry.path.startswith(prefix)]
        for entry in sorted(found, key=lambda entry: entry.path[len(prefix) :].split("/")):
            if entry.is_symlink():
                yield entry.path, display(entry.path), None
            elif entry.is_file(follow_symlinks=False):
                yield entry.path, self.shown(os.path.dirname(entry.path), entry.name), entry.stat()

    def shown(self, folder, name):
        """display() of a file in a folder, for a file that is no link: the folder's part worked out once."""
        if folder not in self.shown_folders:
            self.shown_folders[folder] = display(Path(folder, "-"))[: -len("-")]
        return self.shown_folders[folder] + name

    def own_checks(self, path, where, kind, stat):
        """(the problems, the Source or None) of a Markdown file's checks that read nothing else: from
        memory for a plain file inside content/ (stat given) that is as it was."""
        key, version = (path, kind), (signature(stat), where) if stat else None
        remembered = self.remembered.get(key)
        if version and remembered and remembered[0] == version:
            return remembered[1:]
        outer, self.problems, path = self.problems, [], Path(path)
        text = self.decoded(path, where, stat.st_size) if stat else self.read_text(path, where)
        source = read_source(path, where, text) if text is not None else None
        if source is not None:
            self.check_fields(source, NEWS_FIELDS if kind == "news item" else PAGE_FIELDS)
            if kind == "news item":
                self.check_news_item(source)
            self.check_common(source)
            self.check_nesting(source)
            self.check_unfilled_body(source)
        problems, self.problems = self.problems, outer
        if version and settled(stat):
            self.remembered[key] = (version, problems, source)
        return problems, source

    def check_fields(self, source, spec):
        known = spec["required"] + spec["optional"]
        for key, (value, line) in source.fields.items():
            if key not in known:
                self.report(
                    source.display,
                    line,
                    f'unknown field "{key.title()}"',
                    f"use one of: {', '.join(k.title() for k in known)} (check the spelling)",
                )
            elif FILL_IN in value:
                self.report(source.display, line, f"{key.title()} still says {FILL_IN}", FILL_IN_FIX)
            elif not value and key not in MAY_BE_EMPTY:
                self.report(source.display, line, f"{key.title()} is empty", "write a value after the colon or delete the line")
        for key in spec["required"]:
            if key not in source.fields:
                self.report(
                    source.display,
                    1,
                    f"{key.title()} is missing",
                    f'add a line "{key.title()}: …" to the block at the top of the file',
                )
        # An unfilled field is reported once, above, not again as a malformed value.
        source.fields = {key: field for key, field in source.fields.items() if FILL_IN not in field[0]}

    def check_common(self, source):
        fields = source.fields
        if "status" in fields and fields["status"][0] not in STATUSES:
            value, line = fields["status"]
            self.report(source.display, line, f'Status "{value}" is not known', f"use one of: {', '.join(STATUSES)}")
        if "lang" in fields and fields["lang"][0] not in self.settings["NEWS_LANGS"]:
            value, line = fields["lang"]
            langs = " or ".join(self.settings["NEWS_LANGS"])
            self.report(source.display, line, f'Lang "{value}" is not a language of this site', f"use {langs}")
        if "summary" in fields and len(fields["summary"][0]) > SUMMARY_MAX_CHARS:
            value, line = fields["summary"]
            self.report(
                source.display,
                line,
                f"Summary is {len(value)} characters long; search engines show about {SUMMARY_MAX_CHARS}",
                f"shorten it to {SUMMARY_MAX_CHARS} characters or fewer",
            )
        for key in ("date", "modified"):
            if key in fields and fields[key][0]:
                value, line = fields[key]
                if parse_date(value) is None:
                    self.report(
                        source.display,
                        line,
                        f'{key.title()} "{value}" is not a date',
                        "write it as YYYY-MM-DD, for example 2025-04-25",
                    )

    def check_news_item(self, source):
        fields = source.fields
        if "category" in fields and fields["category"][0] not in self.settings["NEWS_SECTIONS"]:
            value, line = fields["category"]
            self.report(
                source.display,
                line,
                f'Category "{value}" is not a news section',
                f"use exactly one of: {', '.join(self.settings['NEWS_SECTIONS'])}",
            )
        if "link" in fields and fields["link"][0] and not fields["link"][0].startswith("https://"):
            value, line = fields["link"]
            self.report(
                source.display,
                line,
                f'Link "{value}" is not a secure https:// address',
                "copy the full address from the browser, starting with https://",
            )

    def check_nesting(self, source):
        """Refuse Markdown that would crash its reader (too deep) or keep it busy for minutes (unclosed brackets)."""
        nested_blocks, unclosed = 0, 0
        for number, text in source.body:
            if "markdown" in text.lower():
                nested_blocks += len(MARKDOWN_IN_HTML.findall(text))
            if nesting_depth(text) + nested_blocks > MAX_NESTING:
                self.report(
                    source.display,
                    number,
                    f"this line is nested more than {MAX_NESTING} levels deep",
                    "put fewer lists (or quotes) inside each other: the site reads at most that many levels",
                )
                return
            if not text.strip():
                unclosed = 0  # a paragraph ends
                continue
            unclosed += unclosed_brackets(text)
            if unclosed > MAX_UNCLOSED_BRACKETS:
                self.report(
                    source.display,
                    number,
                    f"this paragraph opens more than {MAX_UNCLOSED_BRACKETS} brackets [ or ( that it never closes",
                    r"close each [ with ] and each ( with ), or write \[ and \( for brackets meant as text",
                )
                return

    def check_links(self, source):
        images = {src for _, src, _ in source.images}
        for number, link, target in source.internal_links:
            if link in images:
                continue  # check_images says more about an image
            path = content_file(link, source.path.parent, self.content)
            if not path.is_relative_to(self.inside):
                self.report(source.display, number, f"link to {target!r} leads outside the content folder", "link only to files inside content/")
            elif not path.is_file():
                self.report(source.display, number, f"link to {target!r}: that file does not exist", MISSING_FILE_FIX)

    def check_images(self, source):
        for number, src, alt in source.images:
            if not alt.strip():
                self.report(
                    source.display,
                    number,
                    f"image {src} has no alt text",
                    "describe the image between the square brackets: ![What the picture shows](…)",
                )
            if WEB_ADDRESS.match(src):
                self.report(
                    source.display,
                    number,
                    f"image {src} is on another website",
                    "download it, put the file beside this one and write its file name (the site shows only its own images)",
                )
                continue
            if Path(src).suffix.lower() not in IMAGE_TYPES:
                self.report(source.display, number, f"image {src} is not a JPEG or PNG photo", IMAGE_TYPE_FIX)
                continue
            state = image_state(content_file(src, source.path.parent, self.content), self.inside)
            if state == "outside":
                self.report(source.display, number, f"image {src} is outside the content folder", OUTSIDE_FIX)
            elif state == "missing":
                self.report(source.display, number, f"image {src}: that file does not exist", MISSING_FILE_FIX)
            elif state == "too large":
                self.report(source.display, number, f"image {src} has more than {MAX_MEGAPIXELS} megapixels", TOO_LARGE_FIX)
            elif state == "unreadable":
                self.report(source.display, number, f"image {src} is not a picture the site can read", UNREADABLE_FIX)

    def check_templates(self, pages):
        """A page's Template must be one of the theme's page layouts: Pelican stops on any other. Checked
        on every run (not remembered with the file's own checks): it reads the theme."""
        layouts = page_templates(os.path.join(self.settings["THEME"], "templates"))
        for source in pages:
            name, line = source.fields.get("template", (None, 0))
            if name and name not in layouts:
                self.report(source.display, line, f'Template "{name}" is not a page layout of the site',
                            f"use one of: {', '.join(layouts)} (or delete the line: the page then has the plain layout)")

    def check_unfilled_body(self, source):
        for number, text in source.body:
            if FILL_IN in text:
                self.report(source.display, number, f"this line still says {FILL_IN}", "write the text you mean here, or delete the line")

    def slug(self, source):
        return slug(source.fields, self.substitutions)

    def check_unique(self, sources, kind):
        seen_slugs, seen_titles = {}, {}
        for source in sources:
            title = source.fields.get("title", ("", 1))[0]
            lang = source.fields.get("lang", (self.settings["DEFAULT_LANG"],))[0]
            if not title:
                continue
            slug = self.slug(source)
            clash = seen_slugs.get((slug, lang)) or seen_titles.get((title, lang))
            if clash:
                same = f'address "{slug}"' if (slug, lang) in seen_slugs else "title"
                self.report(
                    source.display,
                    source.fields["title"][1],
                    f"this {kind} has the same {same} as {clash}",
                    "change the Title (or add a distinct Slug) so each one is unique",
                )
            seen_slugs.setdefault((slug, lang), source.display)
            seen_titles.setdefault((title, lang), source.display)

    # --- Where pages are written ----------------------------------------------
    def check_addresses(self, news, pages):
        """Each page and news item is written inside the site, to a file of its own that the build makes for nothing else."""
        owner_of = owned_outputs(self.settings)
        written = {}  # output path -> (slug, display): translations share their original's
        for source, kind in [*((s, "news item") for s in news), *((s, "page") for s in pages)]:
            fields, slug = source.fields, self.slug(source)
            # The line the address comes from: Save_as, Slug, or Title.
            line = next((fields[key][1] for key in ("save_as", "slug", "title") if key in fields), 1)
            outside = [key for key in ("save_as", "url") if key in fields and leaves_site(fields[key][0])]
            for key in outside:
                value, key_line = fields[key]
                self.report(source.display, key_line, f'{FIELD_NAMES[key]} "{value}" leads outside the site', "write an address inside the site, such as my-page/ (or delete the line)")
            output = self.output_of(source, kind, slug)
            if outside or output is None:
                continue
            if any(len(part) > MAX_ADDRESS_CHARS for part in output.split("/")):
                self.report(
                    source.display,
                    line,
                    f"this {kind}'s address is longer than {MAX_ADDRESS_CHARS} characters",
                    "shorten the Title, or add a shorter Slug: line",
                )
                continue
            owner = owner_of(output)
            if owner:
                self.report(source.display, line, f'this {kind} would be written to "{output}", which the build writes for {owner}', ADDRESS_FIX)
            elif output in written and written[output][0] != slug:
                same = f'address "{output}"'
                self.report(source.display, line, f"this {kind} has the same {same} as {written[output][1]}", ADDRESS_FIX)
            written.setdefault(output, (slug, source.display))
            if "url" in fields and fields["url"][0]:
                value, url_line = fields["url"]
                target = value + "index.html" if value.endswith("/") else value
                owner = owner_of(target.lstrip("/"))
                if owner:
                    self.report(source.display, url_line, f'URL "{value}" leads to what the build writes for {owner}', "write this page's own address, or delete the line")

    def output_of(self, source, kind, slug):
        """The file a page or a news item with its own page is written to, or None when it has none."""
        fields = source.fields
        if kind == "page":
            return fields["save_as"][0] if "save_as" in fields else self.settings["PAGE_SAVE_AS"].format(slug=slug)
        date = parse_date(fields.get("date", ("",))[0])
        if date is None or not any(text.strip() for _, text in source.body):
            return None  # no page of its own (laceps.plugins.news)
        return self.settings["ARTICLE_SAVE_AS"].format(slug=slug, date=date)

    # --- Data files -----------------------------------------------------------
    def check_data(self):
        data_dir = self.content / self.settings["DATA_FILES_DIR"]
        schemas = self.settings["DATA_SCHEMAS"]
        # pelican-data-files reads every file of the folder: an unknown one would skip these checks.
        for path in sorted(data_dir.rglob("*")):
            if path.is_file() and not path.is_symlink() and path.relative_to(data_dir).as_posix() not in schemas:
                self.report(
                    display(path),
                    1,
                    "the site has no use for this data file",
                    f"delete it, or move it out of {display(data_dir)}/: the site reads only {', '.join(schemas)} there",
                )
        for name, spec in schemas.items():
            path = data_dir / name
            where = display(path)
            if not path.is_file() and not path.is_symlink():
                self.report(where, 1, "this data file is missing", "restore it from the repository history")
                continue
            text = self.read_text(path, where)
            root = self.load_data(where, text) if text is not None else None
            if root is None:
                continue
            for list_name, fields in spec.items():
                self.check_records(where, root, list_name, fields)

    def load_data(self, where, text):
        """A data file's YAML as nodes (with their lines), or None once its mistakes are reported."""
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() and "\t" in line[: len(line) - len(line.lstrip())]:
                self.report(where, number, "this line is indented with a tab", "use spaces, not tabs, to indent")
                return None
        try:
            # Aliases are refused before anything is built: a few lines of them can stand for billions of values.
            for event in yaml.parse(text, Loader=SAFE_YAML):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) or getattr(event, "tag", None):
                    self.report(where, event.start_mark.line + 1, "this line uses a YAML anchor (&), alias (*) or tag (!)", ALIAS_FIX)
                    return None
            return yaml.compose(text, Loader=SAFE_YAML) or yaml.ScalarNode("tag:yaml.org,2002:null", "")
        except yaml.YAMLError as error:
            self.report_yaml_mistake(where, text.splitlines(), error)
            return None

    def report_yaml_mistake(self, where, lines, error):
        """Say what is wrong in the editor's words: the parser's own ("mapping values are not allowed") mean nothing to them."""
        problem, context = getattr(error, "problem", None) or "", getattr(error, "context", None) or ""
        mark, opened = getattr(error, "problem_mark", None), getattr(error, "context_mark", None)
        line = mark.line + 1 if mark else 1
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        start = opened.line + 1 if opened else line
        if isinstance(error, yaml.reader.ReaderError):
            self.report(where, self.line_of_position(lines, error.position), "this line has an invisible control character", "retype the line: the character cannot be seen, but YAML does not allow it")
        elif "quoted scalar" in context:
            self.report(where, start, "the quote that starts on this line is never closed", "end the value with the same quote mark it starts with")
        elif "flow sequence" in context or "flow mapping" in context:
            self.report(where, start, 'a bracket "[" or "{" on this line is never closed', QUOTE_FIX)
        elif "expected ':'" in problem:
            self.report(where, start, "this line has no colon after its field name", COLON_FIX)
        elif "cannot start any token" in problem or "block scalar" in context:
            self.report(where, start, 'a value on this line starts with a sign that YAML reserves (such as @ or %)', QUOTE_FIX)
        elif "another document" in problem:
            self.report(where, line, 'the line "---" ends the data here', "delete it: a data file holds one list")
        elif "mapping values are not allowed" in problem:
            previous = next((lines[n] for n in range(line - 2, -1, -1) if lines[n].strip()), "")
            if re.search(r":\s.*:(\s|$)", text):
                self.report(where, line, 'a value on this line contains ": " (a colon and a space)', QUOTE_FIX)
            elif re.match(r"\s*(-\S|(-\s+)?[\w-]+:\S)", previous):
                self.report(where, line - 1, "this line needs a space after its - or its colon", "write - name: value, with a space after the - and after the colon")
            elif ":" not in previous:
                self.report(where, line - 1, "this line has no colon after its field name", COLON_FIX)
            else:
                self.report(where, line, "this line is indented differently from the lines above it", INDENT_FIX)
        elif re.search(r""":\s*(["']).*\1\s*[^\s#]""", text):
            self.report(where, line, "there is text after the closing quote on this line", "put the whole value inside the quotes")
        else:
            self.report(where, line, "this line is indented differently from the lines above it", INDENT_FIX)

    @staticmethod
    def line_of_position(lines, position):
        """The line number of a character position in the text these lines make (with their line breaks)."""
        for number, line in enumerate(lines, start=1):
            position -= len(line) + 1
            if position < 0:
                return number
        return max(len(lines), 1)

    def check_records(self, display, root, list_name, fields):
        node = mapping_value(root, list_name)
        if node is None:
            self.report(display, 1, f'the list "{list_name}:" is missing', f'add "{list_name}:" at the start of a line')
            return
        records = node.value if isinstance(node, yaml.SequenceNode) else [node]
        names = {}  # name -> line of its first entry
        for record in records:
            line = record.start_mark.line + 1
            if not isinstance(record, yaml.MappingNode) or not all(isinstance(key, yaml.ScalarNode) for key, _ in record.value):
                self.report(display, line, f"an entry of {list_name} is not a set of fields", "copy the layout of the entries around it")
                continue
            values = {}
            for key, value_node in record.value:
                if key.value in values:
                    self.report(display, key.start_mark.line + 1, f'this entry has "{key.value}" twice', "delete one of the two lines")
                values[key.value] = value_node
            for field, rule in fields.items():
                value_node = values.get(field)
                if value_node is None or value_node.value in ("", None):
                    if rule.endswith("?"):
                        continue
                    self.report(display, line, f'this entry has no "{field}"', f'add "{field}: …" to it, indented like the other fields')
                elif not isinstance(value_node, yaml.ScalarNode):
                    self.report(display, value_node.start_mark.line + 1, f"{field} is not a single value", f"write one value after {field}: on the same line")
                elif FILL_IN in value_node.value:
                    self.report(display, value_node.start_mark.line + 1, f"{field} still says {FILL_IN}", FILL_IN_FIX)
                else:
                    self.check_value(display, value_node, field, rule.rstrip("?"))
            name = values.get("name")
            if isinstance(name, yaml.ScalarNode):
                if name.value in names:
                    self.report(
                        display,
                        name.start_mark.line + 1,
                        f'"{name.value}" is listed twice (first on line {names[name.value]})',
                        "delete one of the two entries",
                    )
                names.setdefault(name.value, name.start_mark.line + 1)
            for field, value_node in values.items():
                if field not in fields:
                    self.report(
                        display,
                        value_node.start_mark.line + 1,
                        f'unknown field "{field}"',
                        f"use one of: {', '.join(fields)} (check the spelling)",
                    )

    def check_value(self, display, node, field, rule):
        value = node.value
        line = node.start_mark.line + 1
        if rule == "https" and not HTTPS_ADDRESS.match(value):
            self.report(display, line, f'{field} "{value}" is not an https:// web address', "copy the full address from the browser, starting with https://")
        elif rule == "email" and not EMAIL.match(value):
            self.report(display, line, f'{field} "{value}" is not an email address', "write it as name@example.org")
        elif rule == "count" and not COUNT.match(value):
            self.report(display, line, f'{field} "{value}" is not a whole number', "write digits only, without commas or a plus sign, e.g. 51000")
        elif rule == "image" and Path(value).suffix.lower() not in IMAGE_TYPES:
            self.report(display, line, f"{field} {value} is not a JPEG or PNG photo", IMAGE_TYPE_FIX)
        elif rule == "image":
            state = image_state(self.content / value.lstrip("/"), self.inside)
            if state == "outside":
                self.report(display, line, f"{field} {value} is outside the content folder", DATA_IMAGE_FIX)
            elif state == "missing":
                self.report(display, line, f"{field} {value}: that image does not exist", DATA_IMAGE_FIX)
            elif state == "too large":
                self.report(display, line, f"{field} {value} has more than {MAX_MEGAPIXELS} megapixels", TOO_LARGE_FIX)
            elif state == "unreadable":
                self.report(display, line, f"{field} {value} is not a picture the site can read", UNREADABLE_FIX)


def page_templates(folder):
    """The names of the templates in `folder` that show a page's own text (its title, content or
    summary): the layouts a page may name. The others show news, lists, or no page at all."""
    names = []
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name):
        if entry.name.endswith(".html") and entry.is_file():
            with open(entry.path, encoding="utf-8") as template:
                if PAGE_TEXT.search(template.read()):
                    names.append(entry.name.removesuffix(".html"))
    return names


def walk(folder):
    """Everything under `folder` as os.scandir's entries, as os.walk finds it: folders reached through
    a symbolic link are not gone into."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in entries:
        yield entry
        if entry.is_dir(follow_symlinks=False):
            yield from walk(entry.path)


def display(path):
    """A path as the editor should read it: from the project folder when inside it (a link's own name, not its target's)."""
    path = Path(path).absolute()
    try:
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@cache  # for the life of the process: the checks run before each build, on the same dates
def parse_date(value):
    if ISO_DAY.fullmatch(value):
        return day(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def nesting_depth(line):
    """How many lists, quotes and indented blocks this line of Markdown is inside."""
    if line[:1] not in NESTING_STARTS and not line[:1].isdecimal():
        return 0
    depth, position = 0, 0
    while match := NESTING_STEP.match(line, position):
        depth, position = depth + 1, match.end()
    return depth


def unclosed_brackets(line):
    if "[" not in line and "(" not in line:
        return 0
    opened = {"[": 0, "(": 0}
    for match in BRACKET.finditer(line):
        bracket = match[0]
        if bracket in opened:
            opened[bracket] += 1
        else:
            partner = "[" if bracket == "]" else "("
            opened[partner] = max(opened[partner] - 1, 0)
    return sum(opened.values())


IMAGE_STATES = {}  # (image, signature()) -> image_state(), for the life of the process


def image_state(path, inside):
    """Why laceps.plugins.images could not make the published sizes of this image ("outside", "missing",
    "too large", "unreadable"), or None when it can. Only the header is decoded before the size is known."""
    path = path.resolve()
    if not path.is_relative_to(inside):
        return "outside"
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return "missing"
    if not S_ISREG(stat.st_mode):
        return "missing"
    key = (str(path), signature(stat))
    if key not in IMAGE_STATES:
        state = decoded_image_state(path)
        if not settled(stat):
            return state
        IMAGE_STATES[key] = state
    return IMAGE_STATES[key]


def decoded_image_state(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below, in words
            with Image.open(path) as image:
                if image.width * image.height > MAX_MEGAPIXELS * 1_000_000:
                    return "too large"
                image.verify()
    except Image.DecompressionBombError:
        return "too large"  # Pillow's own limit, for images far beyond ours
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return "unreadable"
    return None


class Attributes(HTMLParser):
    """The attributes of one HTML tag, unescaped."""

    def handle_starttag(self, tag, attrs):
        self.attrs = {name: value or "" for name, value in attrs}


def img_attributes(tag):
    parser = Attributes()
    parser.attrs = {}
    parser.feed(tag)
    return parser.attrs


def content_file(target, folder, content):
    """The file a link or image in `folder` points at: relative to it, or to content/ with a leading /."""
    target = unquote(LINK_PREFIX.sub("", target).split("#")[0])
    return ((content if target.startswith("/") else folder) / target.lstrip("/")).resolve()


def leaves_site(address):
    """True for a Save_as or URL that is not a path inside the site (absolute, a web address, or climbing out with ..)."""
    return address.startswith(("/", "\\")) or WEB_ADDRESS.match(address) is not None or ".." in re.split(r"[/\\]", address)


def owned_outputs(settings):
    """What the build writes besides pages and news items, from its settings: a function that says what a
    path is written for (the first of them that it is), or None."""
    files = {settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html"): f"{name.upper()}_SAVE_AS" for name in settings["DIRECT_TEMPLATES"]}
    files[settings["SITEMAP"]["save_as"]] = "the sitemap (SITEMAP)"
    files.update({metadata["path"]: f"content/{source}" for source, metadata in settings["EXTRA_PATH_METADATA"].items() if "path" in metadata})
    feeds = {**settings["FEEDS"], **{key: value for key, value in settings.items() if key.endswith(("FEED_ATOM", "FEED_RSS")) and value}}
    folders = {
        settings["THEME_STATIC_DIR"]: "the theme's files (THEME_STATIC_DIR)",
        settings["IMAGES"]["output"]: "the images (IMAGES)",
        settings["SEARCH_INDEX_FOLDER"]: "the search index (SEARCH_INDEX_FOLDER)",
        settings["SHARE_CARDS"]["output"]: "the share cards (SHARE_CARDS)",
        os.path.dirname(settings["ADMIN_SAVE_AS"]): "the web editor's files (ADMIN_SAVE_AS)",
        **{lang: "the site in that language (I18N_SUBSITES)" for lang in settings["I18N_SUBSITES"]},
        **{folder: "the static files (STATIC_PATHS)" for folder in settings["STATIC_PATHS"]},
    }
    for section in settings["NEWS_SECTIONS"]:
        slug = slugified(section, substitutions(settings))
        folders[os.path.dirname(settings["CATEGORY_SAVE_AS"].format(slug=slug))] = f"the news section {section} (CATEGORY_SAVE_AS)"
    patterns = [(re.escape(path), label) for path, label in files.items()]
    patterns += [(r"[^/]+".join(map(re.escape, re.split(r"\{\w+\}", path))), f"the feeds ({key})") for key, path in feeds.items()]
    patterns += [(re.escape(folder.strip("/")) + "/.*", label) for folder, label in folders.items()]
    # One expression, its n-th group the n-th pattern: the first that matches the whole path is the one.
    any_of = re.compile("|".join(f"({pattern})" for pattern, _ in patterns))
    labels = [label for _, label in patterns]

    def owner(path):
        match = any_of.fullmatch(path)
        return labels[match.lastindex - 1] if match else None

    return owner


def mapping_value(node, key):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    return None


def check_content(settings):
    """All problems in the content described by these Pelican settings."""
    return Checker(settings).run()
