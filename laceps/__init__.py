"""The LACEPS website's own Python: Pelican plugins, content checks and the tasks' work."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
