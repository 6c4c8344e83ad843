"""`invoke check --spelling`: likely misspellings in the news, pages and data files, as `path:line`.

A report to read, never a reason to stop: a name the dictionaries lack is not a mistake. Each file
is checked in its language (Lang, English by default), less what is not prose: addresses, link
targets, code, HTML tags, and words in capitals or with digits. Names and words of the coalition's
own go in content/spelling-words.txt, one a line.

A word is known when pyspellchecker's dictionary has it (which also suggests a correction) or when
it is common in wordfreq's lists of the language: pyspellchecker's Spanish lacks most verb forms
and plurals (han, hacen, líderes), and typos are rare in those lists.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pelican.settings import read_settings
from spellchecker import SpellChecker
from wordfreq import zipf_frequency

from laceps import PROJECT_ROOT
from laceps.checks import SAFE_YAML, display, read_source

WORDS_FILE = "spelling-words.txt"  # in the content folder: the project's own words
FIELDS = ("title", "summary")  # the header fields that are prose
DATA_FIELDS = ("description", "bio", "role")  # the data files' prose (names are names)
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
NOT_PROSE = re.compile(
    r"`[^`]*`"  # code
    r"|<[^>]*>"  # HTML tags, with their attributes
    r"|\]\([^)]*\)|\]\[[^\]]*\]|^\s*\[[^\]]+\]:.*$"  # link and image targets, and references
    r"|\{(?:filename|static|attach)\}\S*"
    r"|\b(?:https?://|mailto:|www\.)\S+|\S+@\S+"  # addresses
    r"|&\w+;",  # HTML entities
    re.MULTILINE,
)
# A Zipf frequency of 2 is one word in ten million: "aprendisaje" (1.0) is a typo, "comunitarias" (3.5) a word.
COMMON = 2.0


@dataclass(frozen=True, order=True)
class Misspelling:
    path: str
    line: int
    word: str
    lang: str
    suggestion: str

    def __str__(self):
        better = f' — did you mean "{self.suggestion}"?' if self.suggestion else ""
        return f'{self.path}:{self.line}: "{self.word}" may be misspelled ({LANGUAGES[self.lang]}){better}'


LANGUAGES = {"en": "English", "es": "Spanish"}


@cache
def checker(lang):
    return SpellChecker(language=lang, distance=1)  # one letter off: quick, and what typos are


def project_words(content):
    path = Path(content) / WORDS_FILE
    if not path.is_file():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#"))


def is_known(word, lang, own):
    spell = checker(lang)
    lower = word.lower().replace("’", "'")
    if lower in own or spell.known([lower]) or (lang == "en" and lower.endswith("'s") and spell.known([lower[:-2]])):
        return True
    return zipf_frequency(lower, lang) >= COMMON


def words_to_check(text):
    """The prose words of a line: no addresses, code or tags; no words in capitals (acronyms) or of one letter."""
    prose = NOT_PROSE.sub(" ", text)
    return [word for word in WORD.findall(prose) if len(word) > 1 and not word.isupper()]


def check_text(where, lines, lang, own):
    found = []
    for number, text in lines:
        for word in words_to_check(text):
            if not is_known(word, lang, own):
                found.append(Misspelling(where, number, word, lang, checker(lang).correction(word.lower()) or ""))
    return found


def check_spelling(settings):
    """Every likely misspelling in the content these Pelican settings describe."""
    content = Path(settings["PATH"])
    own = project_words(content)
    found = []
    for folder in settings["ARTICLE_PATHS"] + settings["PAGE_PATHS"]:
        for path in sorted((content / folder).rglob("*.md")):
            # Undecodable bytes are the content checks' to report: read past them here.
            source = read_source(path, display(path), path.read_text(encoding="utf-8-sig", errors="replace"))
            lang = source.fields.get("lang", (settings["DEFAULT_LANG"],))[0]
            if lang not in LANGUAGES:
                continue  # the content checks report it
            header = [(line, value) for key, (value, line) in source.fields.items() if key in FIELDS]
            in_code = False
            body = []
            for number, text in source.body:
                if text.lstrip().startswith(("```", "~~~")):
                    in_code = not in_code
                elif not in_code and not text.startswith(("    ", "\t")):
                    body.append((number, text))
            found += check_text(source.display, header + body, lang, own)
    for name in settings["DATA_SCHEMAS"]:
        path = content / settings["DATA_FILES_DIR"] / name
        try:
            lines = data_prose(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, yaml.YAMLError):
            continue  # a missing or broken data file: the content checks report it
        found += check_text(display(path), lines, settings["DEFAULT_LANG"], own)
    return sorted(found)


def data_prose(text):
    """(line, value) of each prose field of a data file (the content checks read it first)."""
    lines = []

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(value, yaml.ScalarNode) and key.value in DATA_FIELDS:
                    lines.append((value.start_mark.line + 1, value.value))
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)

    walk(yaml.compose(text, Loader=SAFE_YAML))
    return lines


def report(content):
    """Print every likely misspelling in this content folder, and what to do about them; never fail."""
    settings = read_settings(str(PROJECT_ROOT / "pelicanconf.py"), override={"PATH": str(content)})
    found = check_spelling(settings)
    for misspelling in found:
        print(misspelling)
    if found:
        print(f"{len(found)} word(s) may be misspelled: correct them, or add the names among them to "
              f"{display(Path(settings['PATH']) / WORDS_FILE)}, one a line.")
    else:
        print("No likely misspellings found.")
