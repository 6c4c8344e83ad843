"""Scheduled news items: an item dated in the future goes live on its date, by itself.

A production build (SHOW_DRAFTS off) treats an item whose Date (a day, or a day and a time,
in the site's TIMEZONE) is still to come as a draft: it is neither written, listed, put in a
feed or the sitemap, nor indexed for search, and its translations wait with it
(laceps.plugins.drafts). The publish workflow builds every hour, so the item appears in the
first build after its date. Local builds show it where it will be, marked "Scheduled for <date>".

NOW, when set (an ISO date and time in TIMEZONE), is the build's clock: tests use a fixed one.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from pelican import signals


def build_time(settings):
    zone = ZoneInfo(settings["TIMEZONE"])
    if settings.get("NOW"):
        return datetime.fromisoformat(settings["NOW"]).replace(tzinfo=zone)
    return datetime.now(zone)


def hold_future_items(generator):
    now = build_time(generator.settings)
    for name in ("articles", "translations"):
        items = getattr(generator, name)
        future = [item for item in items if item.date > now]
        if generator.settings["SHOW_DRAFTS"]:
            for item in future:
                item.scheduled = True  # the templates' mark
            continue
        # As drafts, they are written nowhere (publishconf.py's DRAFT_SAVE_AS), and hold their translations.
        for item in future:
            item.status = "draft"
        items[:] = [item for item in items if item not in future]
        getattr(generator, "drafts" if name == "articles" else "drafts_translations").extend(future)


def register():
    # Before laceps.plugins.drafts, which reads the drafts (PLUGINS lists this module first).
    signals.article_generator_pretaxonomy.connect(hold_future_items)
