"""The production build for `invoke publish`, run in a process without credentials: python -m laceps.publish_build OUTPUT."""

import sys

from laceps import site

if __name__ == "__main__":
    try:
        # No content cache: every page is made from the sources as they are now.
        site.build(
            settings=site.PRODUCTION_SETTINGS,
            output=sys.argv[1],
            extra={"CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False},
        )
    except site.BuildFailed as error:
        sys.exit(str(error))
