"""Pelican plugins written for this site, one concern per module (listed in PLUGINS)."""


def is_subsite(settings):
    """True while pelican-i18n-subsites builds a language's copy (/es/) rather than the main site."""
    return settings["DEFAULT_LANG"] in settings["I18N_SUBSITES"]


def main_lang(settings):
    """The language of the main site, in every site: a file without Lang is in it (DEFAULT_METADATA)."""
    return settings["DEFAULT_METADATA"]["lang"]
