"""The build writes byte for byte what the reference pipeline (Pelican's and Pagefind's commands)
writes, for the real site in development and in production, from a cold cache and a warm one, and
without a content cache, as publishing builds."""

import pytest

from laceps import site
from tests.reference_build import SAME, differences, reference_build

NO_CONTENT_CACHE = {"CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False}


@pytest.mark.parametrize(
    ("settings", "extra"),
    [(site.DEV_SETTINGS, {}), (site.PRODUCTION_SETTINGS, {}), (site.PRODUCTION_SETTINGS, NO_CONTENT_CACHE)],
    ids=["development", "production", "publishing"],
)
def test_the_build_writes_what_the_reference_pipeline_writes(tmp_path, settings, extra):
    expected = reference_build(settings, tmp_path / "reference", tmp_path / "reference-cache", extra=extra)
    output, cache = tmp_path / "output", tmp_path / "cache"
    for warmth in ("cold cache", "warm cache"):
        site.build(settings=settings, output=output, extra={"CACHE_PATH": str(cache), **extra}, quiet=True)
        assert differences(expected, output) == SAME, warmth
