"""`invoke new`: start a news item, a page, a member network or a team member.

Every field the editor still has to write says FILL IN, which `invoke check`
(and so every build) refuses until it is replaced: a placeholder cannot go live.
Nothing is ever overwritten.
"""

import json
import re
from datetime import date
from pathlib import Path

import yaml
from invoke.exceptions import Exit
from pelican.settings import read_settings
from pelican.utils import slugify

from laceps.checks import display
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
        "description": "FILL IN — one or two sentences about the network",
        "website": "FILL IN — its https:// address, or delete this line",
    },
    "team.yaml": {
        "role": "FILL IN — their title at LACEPS",
        "email": "FILL IN — their work email address, or delete this line",
    },
}


class ScaffoldError(Exit):
    """A one-line reason why nothing was written."""

    def __init__(self, message):
        super().__init__(f"invoke new: {message}", code=1)


def new(name, section="", page=False, member=False, team=False, content=None, today=None):
    """Write the new item and return what to do next. Exactly one kind must be chosen."""
    kinds = [kind for kind, chosen in (("section", section), ("page", page), ("member", member), ("team", team)) if chosen]
    if len(kinds) != 1:
        raise ScaffoldError("say what to create: --section SECTION, --page, --member or --team (just one)")
    name = " ".join(name.split())  # one line, single spaces
    if not name:
        raise ScaffoldError("give a title or name in quotes, e.g. invoke new \"Spring Family Summit\" --page")
    settings = read_settings(str(DEV_SETTINGS), override={"PATH": str(content)} if content else None)
    if section:
        return new_news_item(settings, name, section, today or date.today())
    if page:
        return new_page(settings, name)
    return add_entry(settings, "members.yaml" if member else "team.yaml", name)


def slug_of(settings, title):
    return slugify(title, regex_subs=settings["SLUG_REGEX_SUBSTITUTIONS"])


def write_new(path, text):
    if path.exists():
        raise ScaffoldError(f"{display(path)} already exists; open it, or choose another title")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return f"Created {display(path)}: replace each FILL IN, then run `invoke check`."


def new_news_item(settings, title, section, today):
    sections = {slug_of(settings, name): name for name in settings["NEWS_SECTIONS"]}
    if section not in sections:
        raise ScaffoldError(f'there is no news section "{section}"; use one of: {", ".join(sections)}')
    path = Path(settings["PATH"], settings["ARTICLE_PATHS"][0], f"{today:%Y-%m-%d}-{slug_of(settings, title)}.md")
    return write_new(path, NEWS_ITEM.format(title=title, date=f"{today:%Y-%m-%d}", section=sections[section]))


def new_page(settings, title):
    path = Path(settings["PATH"], settings["PAGE_PATHS"][0], f"{slug_of(settings, title)}.md")
    return write_new(path, PAGE.format(title=title))


def add_entry(settings, file_name, name):
    """Append an entry to a data file as text, so its comments and layout stay as they are."""
    path = Path(settings["PATH"], settings["DATA_FILES_DIR"], file_name)
    list_name = next(iter(settings["DATA_SCHEMAS"][file_name]))
    text = path.read_text(encoding="utf-8")
    entries = (yaml.safe_load(text) or {}).get(list_name) or []
    if any(str(entry.get("name", "")).casefold() == name.casefold() for entry in entries):
        raise ScaffoldError(f"{display(path)} already lists {name}")
    first = re.search(r"^( *)- name:", text, re.MULTILINE)
    indent = first[1] if first else "  "
    lines = [f"{indent}- name: {yaml_text(name)}"]
    lines += [f"{indent}  {field}: {value}" for field, value in ENTRIES[file_name].items()]
    updated = append_to_list(text, list_name, "\n".join(lines))
    try:
        appended = (yaml.safe_load(updated) or {}).get(list_name, [])[:-1] == entries
    except yaml.YAMLError:
        appended = False
    if not appended:
        raise ScaffoldError(f'could not add to {display(path)}: "{list_name}:" is not its last list; add the entry by hand (EDITING.md)')
    path.write_text(updated, encoding="utf-8")
    return f"Added {name} to {display(path)}: replace each FILL IN, then run `invoke check`."


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
