"""`invoke new`: start a news item, a page, a member network or a team member.

Every field the editor still has to write says FILL IN, which `invoke check`
(and so every build) refuses until it is replaced: a placeholder cannot go live.
Nothing is ever overwritten.
"""

import datetime
import json
import re
from pathlib import Path

import yaml
from invoke.exceptions import Exit
from pelican.settings import read_settings
from pelican.utils import slugify

from laceps.checks import display, mapping_value
from laceps.site import DEV_SETTINGS

NEWS_ITEM = """\
Title: {title}
Date: {date}
Category: {section}
Source: FILL IN — the member network, or LACEPS
Lang: en
Summary: FILL IN — one sentence for the news lists and search results, or delete this line
Link: FILL IN — the https:// address of the coverage, or delete this line

FILL IN — write the story here, or delete this line to list the item without a page of its own.
"""

PAGE = """\
Title: {title}
Summary: FILL IN — one sentence about this page, for search results

FILL IN — write the page here. Leave a blank line between paragraphs; start a heading with "## ".
"""

# The fields of a new data entry after its name, in the order the data file's comments give.
ENTRIES = {
    "members.yaml": {
        "description": "FILL IN — one or two sentences about the network, or delete this line",
        "website": "FILL IN — its https:// address, or delete this line",
    },
    "team.yaml": {
        "role": "FILL IN — their title at LACEPS",
        "email": "FILL IN — their work email address, or delete this line",
    },
}
# The other optional fields, written commented out under a line saying how to use them:
# an image must be uploaded before its line can go live, and a bio may not be at hand.
OPTIONAL_ENTRY_FIELDS = {
    "members.yaml": ("upload the logo into content/images/members/ first", {"logo": "images/members/{slug}.png"}),
    "team.yaml": (
        "upload the photo into content/images/team/ first",
        {"photo": "images/team/{slug}.jpg", "bio": "FILL IN — one or two sentences about them"},
    ),
}

# File and folder names may be 255 bytes long; a news file adds its date and ".md",
# and the slug is also the page's folder in the built site and its address.
SLUG_MAX_BYTES = 150
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ScaffoldError(Exit):
    """A one-line reason why nothing was written."""

    def __init__(self, message):
        super().__init__(f"invoke new: {message}", code=1)


def new(name, section="", page=False, member=False, team=False, date="", content=None, today=None):
    """Write the new item and return what to do next. Exactly one kind must be chosen."""
    kinds = [kind for kind, chosen in (("section", section), ("page", page), ("member", member), ("team", team)) if chosen]
    if len(kinds) != 1:
        raise ScaffoldError("say what to create: --section SECTION, --page, --member or --team (just one)")
    if date and not section:
        raise ScaffoldError("--date is for a news item: use it with --section")
    name = " ".join(name.split())  # one line, single spaces
    if not name:
        raise ScaffoldError("give a title or name in quotes, e.g. invoke new \"Spring Family Summit\" --page")
    settings = read_settings(str(DEV_SETTINGS), override={"PATH": str(content)} if content else None)
    slug = file_slug(settings, name, "title" if section or page else "name")
    if section:
        when = news_date(date) if date else today or datetime.date.today()
        return new_news_item(settings, name, slug, section_name(settings, section), when)
    if page:
        return new_page(settings, name, slug)
    return add_entry(settings, "members.yaml" if member else "team.yaml", name, slug)


def slug_of(settings, title):
    return slugify(title, regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"])


def file_slug(settings, name, noun):
    """The slug that names the new file (and a page's address), if it can name one."""
    slug = slug_of(settings, name)
    if not slug.strip("-"):
        raise ScaffoldError(f"this {noun} has no letters or digits to name a file after: write it in words")
    if len(slug.encode()) > SLUG_MAX_BYTES:
        raise ScaffoldError(
            f"this {noun} is too long to name a file after (it makes {len(slug.encode())} characters; "
            f"at most {SLUG_MAX_BYTES}): shorten it"
        )
    return slug


def section_name(settings, section):
    """The news section as shown ("News Stories"), from its name or its slug, in any case."""
    wanted = slug_of(settings, section)
    for name in settings["NEWS_SECTIONS"]:
        if slug_of(settings, name) == wanted:
            return name
    names = ", ".join(f'"{name}"' for name in settings["NEWS_SECTIONS"])
    raise ScaffoldError(f'there is no news section "{section}"; use one of: {names}')


def news_date(text):
    """--date as a day: YYYY-MM-DD only (Python alone would also take 20260115 or 2026-W03)."""
    text = text.strip()
    if DATE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass  # 2026-02-30: the same message
    raise ScaffoldError(f'--date "{text}" is not a date: write it as YYYY-MM-DD, e.g. 2026-01-15')


def write_new(path, text):
    if path.exists():
        raise ScaffoldError(f"{display(path)} already exists; open it, or choose another title")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"Created {display(path)}: replace each FILL IN, then run `invoke check`."


def new_news_item(settings, title, slug, section, when):
    path = Path(settings["PATH"], settings["ARTICLE_PATHS"][0], f"{when:%Y-%m-%d}-{slug}.md")
    return write_new(path, NEWS_ITEM.format(title=title, date=f"{when:%Y-%m-%d}", section=section))


def new_page(settings, title, slug):
    path = Path(settings["PATH"], settings["PAGE_PATHS"][0], f"{slug}.md")
    return write_new(path, PAGE.format(title=title))


def add_entry(settings, file_name, name, slug):
    """Append an entry to a data file as text, so its comments and layout stay as they are."""
    path = Path(settings["PATH"], settings["DATA_FILES_DIR"], file_name)
    list_name = next(iter(settings["DATA_SCHEMAS"][file_name]))
    try:
        text = path.read_text(encoding="utf-8")
        names = listed_names(text, list_name)
    except (OSError, ValueError, yaml.YAMLError) as error:  # ValueError: not UTF-8, or no such list
        raise ScaffoldError(f"could not read {display(path)}: run `invoke check` to see what to fix there") from error
    if any(listed.casefold() == name.casefold() for listed in names):
        raise ScaffoldError(f"{display(path)} already lists {name}")
    first = re.search(r"^( *)- name:", text, re.MULTILINE)
    indent = first[1] if first else "  "
    how, optional = OPTIONAL_ENTRY_FIELDS[file_name]
    lines = [f"{indent}- name: {yaml_text(name)}"]
    lines += [f"{indent}  {field}: {value}" for field, value in ENTRIES[file_name].items()]
    lines.append(f'{indent}  # Optional: to use a line below, delete its "# " ({how}).')
    lines += [f"{indent}  # {field}: {value.format(slug=slug)}" for field, value in optional.items()]
    updated = append_to_list(text, list_name, "\n".join(lines))
    try:
        appended = listed_names(updated, list_name) == [*names, name]
    except (ValueError, yaml.YAMLError):
        appended = False
    if not appended:
        raise ScaffoldError(f'could not add to {display(path)}: "{list_name}:" is not its last list; add the entry by hand (EDITING.md)')
    path.write_text(updated, encoding="utf-8")
    return f"Added {name} to {display(path)}: replace each FILL IN, then run `invoke check`."


def listed_names(text, list_name):
    """The names in a data file's list, read as YAML nodes: an alias is never expanded, so no file can make this slow."""
    node = mapping_value(yaml.compose(text), list_name)
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return []  # "people:" with nothing under it yet
    if not isinstance(node, yaml.SequenceNode):
        raise ValueError(f'no list "{list_name}:"')
    names = [mapping_value(entry, "name") for entry in node.value]
    return [name.value for name in names if isinstance(name, yaml.ScalarNode)]


def append_to_list(text, list_name, entry):
    """A data file's text with `entry` (YAML lines) added at its end, the end of its list `list_name`."""
    # "people: []" (an empty list) must become "people:" before entries can follow it.
    text = re.sub(rf"^{list_name}:\s*\[\]\s*$", f"{list_name}:", text, flags=re.MULTILINE)
    return text.rstrip("\n") + "\n" + entry.rstrip("\n") + "\n"


def yaml_text(value):
    """The value as YAML: as typed when that reads back the same, else in double quotes."""
    try:
        if yaml.safe_load(f"k: {value}") == {"k": value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)
