"""Drafts (Status: draft): previewed locally where they will be, never published.

With SHOW_DRAFTS (local builds) draft news items join the lists like any other
and the templates mark them "Draft". publishconf.py turns it off and gives
drafts nowhere to be written, so production has no trace of them, nor of the
translations of a draft: a Spanish page waits for its English original.
"""

from pelican import signals
from pelican.utils import order_content

from laceps.plugins import main_lang

# What a generator writes, published first (Pelican's PagesGenerator.generate_output).
PAGE_LISTS = ("translations", "pages", "hidden_translations", "hidden_pages", "draft_translations", "draft_pages")
ARTICLE_DRAFT_LISTS = ("drafts", "drafts_translations")


def list_drafts(generator):
    """Before the sections are made, treat drafts as news items (they keep Status: draft)."""
    if not generator.settings["SHOW_DRAFTS"]:
        return
    generator.articles = order_content(generator.articles + generator.drafts, generator.settings["ARTICLE_ORDER_BY"])
    generator.translations += generator.drafts_translations
    generator.drafts, generator.drafts_translations = [], []


def hold_translations_of_drafts(generator, published_lists, draft_lists):
    """In production, content sharing its Slug with a draft in the main language is not published."""
    if generator.settings["SHOW_DRAFTS"]:
        return
    original = main_lang(generator.settings)
    held = {content.slug for name in draft_lists for content in getattr(generator, name) if content.lang == original}
    for name in published_lists:
        getattr(generator, name)[:] = [content for content in getattr(generator, name) if content.slug not in held]


def hold_news_translations(generator):
    hold_translations_of_drafts(generator, ("articles", "translations"), ARTICLE_DRAFT_LISTS)


def one_page_per_address(generator):
    """Each address gets one page: this site's language wins, then the published version.

    A draft and its translation (or a page kept untranslated under /es/) share an address
    (PAGE_LANG_SAVE_AS); Pelican would stop on writing the second.
    """
    hold_translations_of_drafts(generator, PAGE_LISTS[:4], PAGE_LISTS[4:])
    here = generator.settings["DEFAULT_LANG"]
    contents = [content for name in PAGE_LISTS for content in getattr(generator, name) if content.save_as]
    winner = {}
    for content in sorted(contents, key=lambda content: content.lang != here):  # stable: native first
        winner.setdefault(content.save_as, content)
    for name in PAGE_LISTS:
        getattr(generator, name)[:] = [
            content for content in getattr(generator, name) if not content.save_as or winner[content.save_as] is content
        ]


def register():
    signals.article_generator_pretaxonomy.connect(hold_news_translations)
    signals.article_generator_pretaxonomy.connect(list_drafts)
    signals.page_generator_finalized.connect(one_page_per_address)
