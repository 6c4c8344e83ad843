"""The build writes byte for byte what the reference pipeline (Pelican's and Pagefind's commands)
writes, for the real site in development and in production, from a cold cache and a warm one."""

import pytest

from laceps import site
from tests.reference_build import SAME, differences, reference_build


@pytest.mark.parametrize("settings", [site.DEV_SETTINGS, site.PRODUCTION_SETTINGS], ids=["development", "production"])
def test_the_build_writes_what_the_reference_pipeline_writes(tmp_path, settings):
    expected = reference_build(settings, tmp_path / "reference", tmp_path / "reference-cache")
    output, cache = tmp_path / "output", tmp_path / "cache"
    for warmth in ("cold cache", "warm cache"):
        site.build(settings=settings, output=output, extra={"CACHE_PATH": str(cache)}, quiet=True)
        assert differences(expected, output) == SAME, warmth
