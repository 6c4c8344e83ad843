"""What Pelican works out again and again in a build, always the same, kept for the build's length
(`remembering`, around laceps.build.run's Pelican):

- a content's path from the content folder (Content.get_relative_source_path, 31 µs): asked about
  five times a content and language, by each `url` and `save_as`;
- slugs (pelican.utils.slugify, about 55 µs): Pelican makes a Category for each item that names one,
  and each works out its slug again, as does each comparison of a category with a name.
At 5,000 news items, the two took about 1.3 s of a warm build (`py-spy`).
"""

import contextlib

from pelican import contents, urlwrappers
from pelican.contents import Content

PELICANS = {"relative_source_path": Content.get_relative_source_path, "slugify": urlwrappers.slugify}


@contextlib.contextmanager
def remembering():
    paths, slugs = {}, {}

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

    with contextlib.ExitStack() as restore:
        for owner, name, replacement in [(Content, "get_relative_source_path", relative_source_path),
                                         (contents, "slugify", slugify), (urlwrappers, "slugify", slugify)]:
            restore.callback(setattr, owner, name, getattr(owner, name))
            setattr(owner, name, replacement)
        yield
