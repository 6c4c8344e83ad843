"""The news items of "In The News": where each one leads, and the three sections.

An item with a body gets its own page; an item with only a Link leads out to
that coverage; an item with neither is listed without a link (and its feed
entry points at its place in the section list).
"""

from pelican import signals
from pelican.urlwrappers import Category


def section_list_url(category, position, per_page):
    """The URL of the section-list page that shows the item at this position."""
    page = position // per_page + 1
    return category.url if page == 1 else f"{category.url}page/{page}/"


def place_news_items(generator):
    settings = generator.settings
    by_name = dict(generator.categories)
    for category, items in generator.categories:
        for position, item in enumerate(items):
            item.link = item.metadata.get("link", "")
            item.has_page = bool(item._content and item._content.strip())
            if not item.has_page:
                item._content = ""  # the content cache may hand back None
                item.override_save_as = ""
                item.override_url = item.link or (
                    section_list_url(category, position, settings["DEFAULT_PAGINATION"])
                    + f"#{item.slug}"
                )

    sections = []
    for name in settings["NEWS_SECTIONS"]:
        category = next((c for c in by_name if c.name == name), None)
        sections.append(
            {
                "name": name,
                "category": category or Category(name, settings),
                "items": by_name.get(category, []),
            }
        )
    generator.context["news_sections"] = sections
    generator.context["latest_news"] = generator.articles[: settings["HOME_LATEST_NEWS"]]


def register():
    signals.article_generator_finalized.connect(place_news_items)
