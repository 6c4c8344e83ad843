"""The machine's Chromium and the npm tools (package.json) that the tests and `invoke audit` run.

A missing tool stops the run with a message saying how to install it: never a skip.
"""

import os
import shutil
from pathlib import Path

from invoke.exceptions import Exit

from laceps import PROJECT_ROOT

# The machine's Chromium (Playwright cannot download its own here): the one this
# variable names, else the first of these commands on PATH (Debian's, then Ubuntu's name).
CHROMIUM_SETTING = "LACEPS_CHROMIUM"
CHROMIUM_COMMANDS = ("chromium", "chromium-browser")
HEADLESS = "--headless=new"
# Run as root, and never call home: without these flags Chromium tries the network.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
NODE_MODULES = PROJECT_ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"


class MissingTool(Exit):
    """A browser or tool the run needs is not installed."""

    def __init__(self, what, fix="run `bash .ci/setup` to install the site's tools"):
        super().__init__(f"{what} is missing: {fix}", code=1)


def require(path):
    """The path of an installed tool, or MissingTool."""
    if not Path(path).exists():
        raise MissingTool(path)
    return Path(path)


def java():
    """The machine's java command (for the Nu Html Checker), or MissingTool."""
    command = shutil.which("java")
    if command is None:
        raise MissingTool("java")
    return command


def chromium():
    """The Chromium to run, from LACEPS_CHROMIUM or PATH, or MissingTool."""
    configured = os.environ.get(CHROMIUM_SETTING)
    if configured:
        if not Path(configured).is_file():
            raise MissingTool(f"{configured} (named by {CHROMIUM_SETTING})", f"set {CHROMIUM_SETTING} to Chromium's path, or unset it to use chromium on PATH")
        return Path(configured)
    for command in CHROMIUM_COMMANDS:
        if found := shutil.which(command):
            return Path(found)
    raise MissingTool("Chromium", f"run `bash .ci/setup` to install it, or set {CHROMIUM_SETTING} to its path")
