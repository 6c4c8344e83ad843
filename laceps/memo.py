"""Pelican's repeated work, done once (`remembering`, around laceps.build.run's Pelican). Kept for
the build's length, as they are always the same in it:

- a content's path from the content folder (Content.get_relative_source_path, 31 µs): asked about
  five times a content and language, by each `url` and `save_as`;
- slugs (pelican.utils.slugify, about 55 µs): Pelican makes a Category for each item that names one,
  and each works out its slug again, as does each comparison of a category with a name;
- a content's date in Pelican's DEFAULT_DATE_FORMAT (SafeDatetime.strftime, 40 µs), in the locale
  of the moment: the Spanish pass's contents have the English pass's dates (the same objects,
  from the shared content cache).
At 5,000 news items, the first two took about 1.3 s of a warm build (`py-spy`). And not done in quadratic
time: each section's page lists its items in date order, found by asking of every item whether
it is in the section's list (`Members`); the author's pages, which the site does not have
(AUTHOR_SAVE_AS is empty), were worked out the same way, for nothing (1.1 s at 5,000 items).
"""

import contextlib
import locale

from pelican import contents, urlwrappers
from pelican.contents import Content
from pelican.generators import ArticlesGenerator
from pelican.utils import SafeDatetime

PELICANS = {"relative_source_path": Content.get_relative_source_path, "slugify": urlwrappers.slugify,
            "strftime": SafeDatetime.strftime, "generate_categories": ArticlesGenerator.generate_categories,
            "generate_authors": ArticlesGenerator.generate_authors}


class Members(list):
    """A list whose `in` is a look-up in a set of its items' identities (contents have no other
    equality)."""

    def __init__(self, items):
        super().__init__(items)
        self.identities = set(map(id, items))

    def __contains__(self, item):
        return id(item) in self.identities


def generate_categories(generator, write):
    categories = generator.categories
    generator.categories = [(category, Members(items)) for category, items in categories]
    try:
        PELICANS["generate_categories"](generator, write)
    finally:
        generator.categories = categories


def generate_authors(generator, write):
    if generator.settings["AUTHOR_SAVE_AS"]:  # else Pelican's writer writes nothing
        PELICANS["generate_authors"](generator, write)


@contextlib.contextmanager
def remembering():
    paths, slugs, dates = {}, {}, {}

    def relative_source_path(content, source_path=None):
        key = (content.settings["PATH"], source_path or content.source_path)
        if key not in paths:
            paths[key] = PELICANS["relative_source_path"](content, source_path)
        return paths[key]

    def slugify(value, regex_subs=(), preserve_case=False, use_unicode=False):
        key = (value, tuple(map(tuple, regex_subs)), preserve_case, use_unicode)
        if key not in slugs:
            slugs[key] = PELICANS["slugify"](value, regex_subs, preserve_case, use_unicode)
        return slugs[key]

    def strftime(date, fmt, safe=True):
        # Aware dates of one instant in two zones are equal: each is known with its zone too.
        key = (date, date.tzinfo, date.fold, fmt, safe, locale.setlocale(locale.LC_TIME))
        if key not in dates:
            dates[key] = PELICANS["strftime"](date, fmt, safe)
        return dates[key]

    with contextlib.ExitStack() as restore:
        for owner, name, replacement in [(Content, "get_relative_source_path", relative_source_path),
                                         (contents, "slugify", slugify), (urlwrappers, "slugify", slugify),
                                         (SafeDatetime, "strftime", strftime),
                                         (ArticlesGenerator, "generate_categories", generate_categories),
                                         (ArticlesGenerator, "generate_authors", generate_authors)]:
            restore.callback(setattr, owner, name, getattr(owner, name))
            setattr(owner, name, replacement)
        yield
