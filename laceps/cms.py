"""The web editor at /admin/: Decap CMS's configuration, made from the content checks' own definitions.

Each field the editor shows is one that laceps.checks accepts, with the same rules: the news
sections and languages from the settings, the https:// and email patterns of laceps.checks, the
Summary's length, the data files' fields and which of them are required (DATA_SCHEMAS). So the
editor cannot save what the checks would refuse. The build writes the result as admin/config.yml
(laceps.plugins.cms); the guidance editors need is in the fields' hints, never in the data files'
comments, which Decap drops when it saves a file.

Decap itself is vendored in theme/static/admin/decap-cms/: exact copies of the files of the npm
package pinned in package-lock.json (tests/test_cms.py compares them), so that building the site
needs Python alone. `invoke cms-vendor` copies them again after an upgrade.
"""

import os
import shutil
import subprocess
from urllib.parse import urlsplit

from pelican.settings import read_settings

from laceps import PROJECT_ROOT, toolchain
from laceps.checks import EMAIL, HTTPS_ADDRESS, NEWS_FIELDS, PAGE_FIELDS, SUMMARY_MAX_CHARS

STATIC = PROJECT_ROOT / "theme" / "static" / "admin"  # the editor's files, published under admin/
VENDORED = STATIC / "decap-cms"
PACKAGE_DIST = PROJECT_ROOT / "node_modules" / "decap-cms" / "dist"


def vendored_names(dist=PACKAGE_DIST):
    """The files of Decap's dist/ that the editor loads: the bundle, the chunks and WebAssembly it
    fetches by name from beside itself, and its licence notices (not the source maps, nor cms.js, a
    second copy of the same bundle under its old name)."""
    return sorted(
        path.name for path in dist.iterdir()
        if path.name == "decap-cms.js" or path.name.endswith((".decap-cms.js", ".wasm", "decap-cms.js.LICENSE.txt"))
    )


def vendor(dist=PACKAGE_DIST, target=VENDORED):
    """Replace the vendored copy with the installed package's files (after `npm install decap-cms@…`)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in vendored_names(dist):
        shutil.copy2(dist / name, target / name)
    return len(vendored_names(dist))


def pattern(regex, message):
    """A Decap pattern (a JavaScript regular expression and the message shown when a value fails it)."""
    return [regex.pattern, message]


HTTPS_PATTERN = pattern(HTTPS_ADDRESS, "Paste the whole address from the browser, starting with https://")
# The header's lines: a Title, Source or Summary is one line of text.
ONE_LINE = r"^[^\n]*$"

# How the editor shows each field of a news item's or a page's header. Only fields that
# NEWS_FIELDS or PAGE_FIELDS name may be here (tests/test_cms.py checks).
HEADER_FIELDS = {
    "title": {"label": "Title", "widget": "string", "hint": "The headline, exactly as it should appear."},
    "date": {
        "label": "Date",
        "widget": "datetime",
        "format": "YYYY-MM-DD HH:mm",
        "date_format": "YYYY-MM-DD",
        "time_format": "HH:mm",
        "hint": "A date and time still to come schedules the item: it goes live by itself within the hour after "
                "that time (Los Angeles time), with no one having to do anything.",
    },
    "category": {"label": "Section", "widget": "select", "hint": "The section of In The News it is listed in."},
    "source": {"label": "Source", "widget": "string", "hint": "The member network the news is about or from, or LACEPS."},
    "link": {
        "label": "Link",
        "widget": "string",
        "hint": "The https:// address of the coverage on another website. Leave it empty for an item with only its own text.",
        "pattern": ["^https://", "Paste the whole address from the browser, starting with https://"],
    },
    "lang": {"label": "Language", "widget": "select", "hint": "Español for an item written in Spanish; empty means English."},
    "summary": {
        "label": "Summary",
        "widget": "string",
        "hint": f"One sentence, at most {SUMMARY_MAX_CHARS} characters, for the news lists and search results.",
        "pattern": [rf"^[^\n]{{0,{SUMMARY_MAX_CHARS}}}$", f"At most {SUMMARY_MAX_CHARS} characters, on one line."],
    },
    "slug": {
        "label": "Address of the English page",
        "widget": "string",
        "hint": "The last part of the English page's address, for example about-us for /about-us/: "
                "the translation takes its place under /es/.",
    },
}
BODY = {
    "label": "Text",
    "name": "body",
    "widget": "markdown",
    "required": False,
    "hint": "An item with text gets its own page. Images must have a description (the words in the picture's 'alt' box).",
}

# How the editor shows each kind of value of a data file (DATA_SCHEMAS's rules).
DATA_RULES = {
    "text": {"widget": "string"},
    "https": {"widget": "string", "pattern": HTTPS_PATTERN},
    "email": {"widget": "string", "pattern": pattern(EMAIL, "Write it as name@example.org")},
    "count": {"widget": "number", "value_type": "int", "min": 0, "step": 1},  # writes digits only, as COUNT wants
    "image": {"widget": "image", "choose_url": False},
}
# Labels and hints of the data files' lists and fields: the guidance their comments used to hold.
DATA_FILES = {
    "site.yaml": {
        "label": "Figures and contact",
        "hint": "Shown on Home, About Us and in every page's footer: change a number here and every page follows.",
        "lists": {
            "figures": ("Figures", {"networks": "Member networks", "schools": "Schools", "students": "Students"}),
            "contact": ("Contact", {"email": "The coalition's email address"}),
        },
        "hints": {
            "networks": "Digits only. Our Members says how many networks are still to be listed, from this number.",
            "students": "Digits only: 51000, not 51,000+ (the site adds the comma and the plus sign).",
        },
    },
    "members.yaml": {
        "label": "Member networks",
        "hint": "One entry per member network, shown as cards on Our Members in this order (drag to reorder).",
        "lists": {"members": ("Members", {"name": "Name", "description": "Description", "website": "Website", "logo": "Logo"})},
        "hints": {
            "name": "The network's name.",
            "description": "One or two sentences about the network. Leave it empty until the network confirms one.",
            "website": "Its https:// address.",
            "logo": "A JPEG or PNG file: the site makes the sizes it needs.",
        },
        "media": "images/members",
        "multiline": ("description",),
    },
    "team.yaml": {
        "label": "Our Team",
        "hint": "One entry per person, shown on Our Team in this order (drag to reorder).",
        "lists": {"people": ("People", {"name": "Full name", "role": "Role", "email": "Email", "photo": "Photo", "bio": "Bio"})},
        "hints": {
            "role": "Their title at LACEPS, for example Executive Director.",
            "email": "Their work email.",
            "photo": "A JPEG or PNG portrait: the site makes the sizes it needs.",
            "bio": "One or two sentences.",
        },
        "media": "images/team",
        "multiline": ("bio",),
    },
}


def header_field(name, spec, settings):
    field = {"name": name, **HEADER_FIELDS[name], "required": name in spec["required"]}
    if name == "category":
        field["options"] = list(settings["NEWS_SECTIONS"])
    elif name == "lang":
        field["options"] = [{"label": settings["LANGUAGE_NAMES"][lang], "value": lang} for lang in settings["NEWS_LANGS"]]
    return field


def data_field(name, rule, file_spec, content):
    required = not rule.endswith("?")
    field = {"name": name, "label": next(labels[name] for _, labels in file_spec["lists"].values() if name in labels),
             "required": required, **DATA_RULES[rule.rstrip("?")]}
    if name in file_spec.get("hints", {}):
        field["hint"] = file_spec["hints"][name]
    if name in file_spec.get("multiline", ()):
        field["widget"] = "text"
    if field["widget"] == "image":
        # Images go under content/images/, and the value is their path from content/, as the checks want it.
        field["media_folder"] = f"/{content}/{file_spec['media']}"
        field["public_folder"] = file_spec["media"]
    return field


def data_collection(settings, content):
    files = []
    for name, schema in settings["DATA_SCHEMAS"].items():
        spec = DATA_FILES[name]
        fields = []
        for list_name, rules in schema.items():
            label, _ = spec["lists"][list_name]
            subfields = [data_field(field, rule, spec, content) for field, rule in rules.items()]
            if list_name in ("figures", "contact"):  # one set of values, not a list
                fields.append({"name": list_name, "label": label, "widget": "object", "collapsed": False, "fields": subfields})
            else:
                # Every entry open: an editor sees each field without first finding where to click.
                fields.append({"name": list_name, "label": label, "widget": "list", "summary": "{{fields.name}}",
                               "collapsed": False, "fields": subfields})
        files.append({
            "name": name.removesuffix(".yaml"),
            "label": spec["label"],
            "file": f"{content}/{settings['DATA_FILES_DIR']}/{name}",
            "description": spec["hint"],
            "fields": fields,
        })
    return {"name": "data", "label": "Members, team and figures", "editor": {"preview": False}, "files": files}


def markdown_collection(name, label, singular, folder, fields, description, **extra):
    """A folder of Markdown files with Pelican's header (theme/static/admin/pelican-format.js), their
    pictures beside them, as EDITING.md teaches."""
    return {
        "name": name, "label": label, "label_singular": singular, "description": description, "folder": folder,
        "slug": "{{slug}}", "identifier_field": "title", "format": "pelican", "extension": "md", "create": True,
        "media_folder": "", "public_folder": "", **extra, "fields": fields,
    }


def config(settings, content="content"):
    """Decap's config.yml, as a dict, for a site with these settings; `content` is the content folder's
    path from the repository's root."""
    news_fields = [header_field(name, NEWS_FIELDS, settings) for name in ("title", "date", "category", "source", "link", "lang", "summary")]
    page_fields = [header_field(name, PAGE_FIELDS, settings) for name in ("title", "summary")]
    spanish_fields = [header_field("title", PAGE_FIELDS, settings), {**header_field("slug", PAGE_FIELDS, settings), "required": True},
                      {"name": "lang", "widget": "hidden", "default": "es"}, header_field("summary", PAGE_FIELDS, settings)]
    section_choice = news_fields[2]
    section_choice["default"] = settings["NEWS_SECTIONS"][0]
    backend = {
        "name": "github",
        "repo": settings["CMS"]["repo"],
        "branch": settings["CMS"]["branch"],
        "squash_merges": True,
        "commit_messages": {
            "create": "Add {{collection}} “{{slug}}” (web editor)",
            "update": "Change {{collection}} “{{slug}}” (web editor)",
            "delete": "Delete {{collection}} “{{slug}}” (web editor)",
            "uploadMedia": "Upload “{{path}}” (web editor)",
            "deleteMedia": "Delete “{{path}}” (web editor)",
        },
    }
    backend.update({key: value for key, value in settings["CMS"]["auth"].items() if value})
    result = {
        "backend": backend,
        "publish_mode": "editorial_workflow",
        "site_url": settings["SITEURL"] or "/",
        "locale": "en",
        "media_folder": f"{content}/images",
        "public_folder": "images",
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [
            markdown_collection(
                "news", "News items", "news item", f"{content}/{settings['ARTICLE_PATHS'][0]}", [*news_fields, BODY],
                "Each item is listed under its section of In The News. Saving opens a pull request: "
                "the site is tested with it, and goes live when you publish it.",
                slug="{{fields.date | date('YYYY-MM-DD')}}-{{slug}}",
                summary="{{title}} ({{fields.date | date('YYYY-MM-DD')}}, {{category}})",
                sortable_fields=["date", "title"],
            ),
            markdown_collection(
                "pages", "Pages", "page", f"{content}/{settings['PAGE_PATHS'][0]}", [*page_fields, {**BODY, "hint": "The page's text."}],
                "A new page is not in the menu: link to it from another page, or ask a developer to add it.",
            ),
            markdown_collection(
                "pages-es", "Pages in Spanish", "Spanish page", f"{content}/{settings['PAGE_PATHS'][0]}/es",
                [*spanish_fields, {**BODY, "hint": "The page's text, in Spanish."}],
                "A translation has the address of its English page, under /es/.",
            ),
            data_collection(settings, content),
        ],
    }
    if settings["CMS"]["local_backend"]:
        # Only where the page is opened from this computer (Decap's allowed hosts: localhost, 127.0.0.1).
        result["local_backend"] = {"url": settings["CMS"]["local_backend"]}
    return result


DECAP_SERVER = PROJECT_ROOT / "node_modules" / "decap-server" / "dist" / "index.js"


def serve_local_backend():
    """Run decap-server on this computer until Ctrl+C: the editor at http://127.0.0.1:8000/admin/ (with
    `invoke livereload`) then saves into this working copy, through branches it merges when you publish."""
    address = urlsplit(read_settings(str(PROJECT_ROOT / "pelicanconf.py"))["CMS"]["local_backend"])
    environment = {**os.environ, "MODE": "git", "GIT_REPO_DIRECTORY": str(PROJECT_ROOT), "PORT": str(address.port)}
    print(f"decap-server on {address.scheme}://{address.netloc}: open http://127.0.0.1:8000/admin/ while `uv run invoke livereload` runs. Ctrl+C stops it.")
    try:
        subprocess.run(["node", str(toolchain.require(DECAP_SERVER))], env=environment, check=False)
    except KeyboardInterrupt:
        pass
