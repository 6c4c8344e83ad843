"""laceps.toolchain: the Chromium to run is a setting (LACEPS_CHROMIUM), else found on PATH, else one line."""

import pytest

from laceps import toolchain


def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def path_only(tmp_path, monkeypatch):
    """A PATH holding only tmp_path/bin, and no LACEPS_CHROMIUM."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("LACEPS_CHROMIUM", raising=False)
    return tmp_path / "bin"


def test_the_setting_wins_over_path(path_only, tmp_path, monkeypatch):
    executable(path_only / "chromium")
    chosen = executable(tmp_path / "opt/chrome")
    monkeypatch.setenv("LACEPS_CHROMIUM", str(chosen))
    assert toolchain.chromium() == chosen


@pytest.mark.parametrize("commands, found", [
    (["chromium"], "chromium"),  # Debian's package
    (["chromium-browser"], "chromium-browser"),  # Ubuntu's name
    (["chromium-browser", "chromium"], "chromium"),
])
def test_without_the_setting_chromium_is_found_on_path(path_only, commands, found):
    for command in commands:
        executable(path_only / command)
    assert toolchain.chromium() == path_only / found


def test_no_chromium_is_one_line_saying_what_to_do(path_only):
    with pytest.raises(toolchain.MissingTool) as missing:
        toolchain.chromium()
    assert missing.value.message == (
        "Chromium is missing: run `bash .ci/setup` to install it, or set LACEPS_CHROMIUM to its path"
    )
    assert missing.value.code == 1


def test_a_setting_that_names_no_file_is_one_line(path_only, tmp_path, monkeypatch):
    executable(path_only / "chromium")  # never used in its place: the setting is a mistake to fix
    monkeypatch.setenv("LACEPS_CHROMIUM", str(tmp_path / "nowhere/chromium"))
    with pytest.raises(toolchain.MissingTool) as missing:
        toolchain.chromium()
    assert missing.value.message == (
        f"{tmp_path}/nowhere/chromium (named by LACEPS_CHROMIUM) is missing: "
        "set LACEPS_CHROMIUM to Chromium's path, or unset it to use chromium on PATH"
    )
