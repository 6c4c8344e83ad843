"""Drafts (Status: draft): previewed locally where they will be, never published.

With SHOW_DRAFTS (local builds) draft news items join the lists like any other
and the templates mark them "Draft". publishconf.py turns it off and gives
drafts nowhere to be written, so production has no trace of them.
"""

from pelican import signals
from pelican.utils import order_content


def list_drafts(generator):
    """Before the sections are made, treat drafts as news items (they keep Status: draft)."""
    if not generator.settings["SHOW_DRAFTS"]:
        return
    generator.articles = order_content(generator.articles + generator.drafts, generator.settings["ARTICLE_ORDER_BY"])
    generator.translations += generator.drafts_translations
    generator.drafts, generator.drafts_translations = [], []


def register():
    signals.article_generator_pretaxonomy.connect(list_drafts)
