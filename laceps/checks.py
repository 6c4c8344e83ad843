"""Content checks: every mistake an editor can make, reported at once.

Each problem reads `path:line: what is wrong — how to fix it`, so a person
editing in GitHub's web editor can go straight to the line. The build runs
these checks first (laceps.plugins.quality), and so does `invoke check`.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

import yaml
from pelican.utils import slugify
from PIL import Image, UnidentifiedImageError

SUMMARY_MAX_CHARS = 160  # about what search engines show under a result
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M")
STATUSES = ("published", "draft", "hidden")
MAY_BE_EMPTY = ("url",)  # "URL:" with nothing after it puts a page at the site's root
META_LINE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9_-]*):\s*(?P<value>.*)$")
INTERNAL_LINK = re.compile(r"\{(?:filename|static|attach)\}(?P<target>[^)\s\"'>]+)")
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)")
LINK_PREFIX = re.compile(r"^\{(?:filename|static|attach)\}")
WEB_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".webp")  # what laceps.plugins.images can resize
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
FILL_IN = "FILL IN"  # what `invoke new` writes where the editor still has to write something

FILL_IN_FIX = "replace the FILL IN text with the real information (or delete the line if the field is optional)"
MISSING_FILE_FIX = "check the file name and folder (paths are relative to this file, or to content/ when they start with /)"
IMAGE_TYPE_FIX = "save it as a .jpg or .png file and write that file name here"
UNREADABLE_FIX = "open it and save it again as JPEG or PNG (a phone's HEIC photo renamed to .jpg is not a JPEG)"

NEWS_FIELDS = {
    "required": ("title", "date", "category", "source"),
    "optional": ("link", "lang", "summary", "status", "slug", "modified"),
}
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


def read_source(path, display):
    lines = path.read_text(encoding="utf-8").splitlines()
    fields, body_start, last_key = {}, len(lines), None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            body_start = number
            break
        match = META_LINE.match(text)
        if match:
            last_key = match["key"].lower()
            fields[last_key] = (match["value"].strip(), number)
        elif last_key and text.startswith((" ", "\t")):
            value, line = fields[last_key]
            fields[last_key] = (f"{value} {text.strip()}", line)
        else:
            body_start = number - 1
            break
    body = list(enumerate(lines, start=1))[body_start:]
    return Source(path, display, fields, body)


class Checker:
    def __init__(self, settings):
        self.settings = settings
        self.content = Path(settings["PATH"])
        self.problems = []

    def report(self, where, line, message, fix):
        self.problems.append(Problem(where, line, message, fix))

    def run(self):
        news = self.sources(self.settings["ARTICLE_PATHS"])
        pages = self.sources(self.settings["PAGE_PATHS"])
        for source in news:
            self.check_fields(source, NEWS_FIELDS)
            self.check_news_item(source)
        for source in pages:
            self.check_fields(source, PAGE_FIELDS)
        for source in news + pages:
            self.check_common(source)
            self.check_links(source)
            self.check_images(source)
            self.check_unfilled_body(source)
        self.check_unique(news, "news item")
        self.check_unique(pages, "page")
        self.check_data()
        return sorted(self.problems)

    # --- Markdown files -----------------------------------------------------
    def sources(self, folders):
        found = []
        for folder in folders:
            for path in sorted((self.content / folder).rglob("*.md")):
                found.append(read_source(path, display(path)))
        return found

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
                if not any(self.parses(value, fmt) for fmt in DATE_FORMATS):
                    self.report(
                        source.display,
                        line,
                        f'{key.title()} "{value}" is not a date',
                        "write it as YYYY-MM-DD, for example 2025-04-25",
                    )

    @staticmethod
    def parses(value, fmt):
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            return False
        return True

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

    def check_links(self, source):
        for number, text in source.body:
            images = [match.span("src") for match in IMAGE.finditer(text)]
            for match in INTERNAL_LINK.finditer(text):
                if any(start <= match.start() < end for start, end in images):
                    continue  # check_images says more about an image
                if not content_file(match[0], source.path.parent, self.content).is_file():
                    self.report(source.display, number, f"link to {match['target']!r}: that file does not exist", MISSING_FILE_FIX)

    def check_images(self, source):
        for number, text in source.body:
            for match in IMAGE.finditer(text):
                src = match["src"]
                if not match["alt"].strip():
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
                elif Path(src).suffix.lower() not in IMAGE_TYPES:
                    self.report(source.display, number, f"image {src} is not a JPEG or PNG photo", IMAGE_TYPE_FIX)
                elif not content_file(src, source.path.parent, self.content).is_file():
                    self.report(source.display, number, f"image {src}: that file does not exist", MISSING_FILE_FIX)
                elif not readable(content_file(src, source.path.parent, self.content)):
                    self.report(source.display, number, f"image {src} is not a picture the site can read", UNREADABLE_FIX)

    def check_unfilled_body(self, source):
        for number, text in source.body:
            if FILL_IN in text:
                self.report(source.display, number, f"this line still says {FILL_IN}", "write the text you mean here, or delete the line")

    def check_unique(self, sources, kind):
        seen_slugs, seen_titles = {}, {}
        for source in sources:
            title = source.fields.get("title", ("", 1))[0]
            lang = source.fields.get("lang", (self.settings["DEFAULT_LANG"],))[0]
            if not title:
                continue
            slug = source.fields.get("slug", (slugify(title, regex_subs=self.settings["SLUG_REGEX_SUBSTITUTIONS"]),))[0]
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

    # --- Data files -----------------------------------------------------------
    def check_data(self):
        data_dir = self.content / self.settings["DATA_FILES_DIR"]
        for name, spec in self.settings["DATA_SCHEMAS"].items():
            path = data_dir / name
            where = display(path)
            if not path.is_file():
                self.report(where, 1, "this data file is missing", "restore it from the repository history")
                continue
            try:
                root = yaml.compose(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                line = mark.line + 1 if mark else 1
                self.report(
                    where,
                    line,
                    f"this is not valid YAML ({getattr(error, 'problem', error)})",
                    "check the indentation and that each value follows 'field: '; quote values that contain a colon",
                )
                continue
            for list_name, fields in spec.items():
                self.check_records(where, root, list_name, fields)

    def check_records(self, display, root, list_name, fields):
        node = mapping_value(root, list_name)
        if node is None:
            self.report(display, 1, f'the list "{list_name}:" is missing', f'add "{list_name}:" at the start of a line')
            return
        records = node.value if isinstance(node, yaml.SequenceNode) else [node]
        names = {}  # name -> line of its first entry
        for record in records:
            line = record.start_mark.line + 1
            if not isinstance(record, yaml.MappingNode):
                self.report(display, line, f"an entry of {list_name} is not a set of fields", "copy the layout of the entries around it")
                continue
            values = {k.value: v for k, v in record.value}
            for field, rule in fields.items():
                value_node = values.get(field)
                if value_node is None or value_node.value in ("", None):
                    if rule.endswith("?"):
                        continue
                    self.report(display, line, f'this entry has no "{field}"', f'add "{field}: …" to it, indented like the other fields')
                elif FILL_IN in str(value_node.value):
                    self.report(display, value_node.start_mark.line + 1, f"{field} still says {FILL_IN}", FILL_IN_FIX)
                else:
                    self.check_value(display, value_node, field, rule.rstrip("?"))
            name = values.get("name")
            if name is not None and isinstance(name.value, str):
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
        value = str(node.value)
        line = node.start_mark.line + 1
        if rule == "https" and not re.match(r"^https://[^\s/]+\.[^\s]+$", value):
            self.report(display, line, f'{field} "{value}" is not an https:// web address', "copy the full address from the browser, starting with https://")
        elif rule == "email" and not EMAIL.match(value):
            self.report(display, line, f'{field} "{value}" is not an email address', "write it as name@example.org")
        elif rule == "image" and Path(value).suffix.lower() not in IMAGE_TYPES:
            self.report(display, line, f"{field} {value} is not a JPEG or PNG photo", IMAGE_TYPE_FIX)
        elif rule == "image" and not (self.content / value.lstrip("/")).is_file():
            self.report(display, line, f"{field} {value}: that image does not exist", "put the image in content/images/ and write its path, e.g. images/logo.png")
        elif rule == "image" and not readable(self.content / value.lstrip("/")):
            self.report(display, line, f"{field} {value} is not a picture the site can read", UNREADABLE_FIX)
        elif rule == "count" and not re.fullmatch(r"\d+", value):
            self.report(display, line, f'{field} "{value}" is not a whole number', "write digits only, without commas or a plus sign, e.g. 51000")


def display(path):
    """A path as the editor should read it: from the project folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def readable(path):
    """True when Pillow (which makes the published sizes) can read this image."""
    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        return False
    return True


def content_file(target, folder, content):
    """The file a link or image in `folder` points at: relative to it, or to content/ with a leading /."""
    target = unquote(LINK_PREFIX.sub("", target).split("#")[0])
    return ((content if target.startswith("/") else folder) / target.lstrip("/")).resolve()


def mapping_value(node, key):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    return None


def check_content(settings):
    """All problems in the content described by these Pelican settings."""
    return Checker(settings).run()
