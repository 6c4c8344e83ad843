"""Pelican plugins written for this site, one concern per module (listed in PLUGINS)."""
