"""`invoke livereload` and the builds as editors run them, each in a copy of the repository.

The commands run exactly as README.md gives them (`uv run invoke …`), in a git repository
made from this checkout's files, so that what they write shows in that copy's `git status`
and never disturbs this checkout.
"""

import http.client
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

from laceps import PROJECT_ROOT
from laceps.serve_static import free_port

FIRST_BUILD_SECONDS = 300  # an empty cache, on a machine that other test runs keep busy
REBUILD_SECONDS = 120
IDLE_SECONDS = 60
PAGE = "content/pages/about-us.md"
TITLE_LINE = "Title: About Us\n"
# Everything the terminal may show: the serving line, one line per build, content problems.
TERMINAL_LINE = re.compile(
    r"Serving http://127\.0\.0\.1:\d+/ — .*"
    r"|built in \d+\.\d s"
    r"|rebuilt in \d+\.\d s \(.+\)"
    r"|build failed in \d+\.\d s \(.+\): fix the problems above and save; the browser shows them too"
    r"|content/\S+:\d+: .+ — .+"
)
BUILD_LINE = re.compile(r"(rebuilt|build failed) in ")


def uv():
    """uv, as `uv run pytest` names it to the tests, or as found on PATH."""
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is not installed: run bash .ci/setup"
    return found


def run_command(folder, *command, **options):
    """A README command in the copy, in the environment that runs the tests, used as it is."""
    environment = {**os.environ, "UV_PROJECT_ENVIRONMENT": sys.prefix, "UV_NO_SYNC": "1"}
    return subprocess.Popen([uv(), "run", *command], cwd=folder, env=environment, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **options)


def copy_repository(folder):
    """This checkout's files (tracked, and new ones not ignored) as a fresh git repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    for name in filter(None, set(listed.stdout.split("\0"))):
        source = PROJECT_ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "copy"]):
        subprocess.run(git + command, cwd=folder, check=True)
    return folder


def left_behind(folder):
    """What the commands changed or added, besides the build's own folders and Python's bytecode."""
    status = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
                            cwd=folder, capture_output=True, text=True, check=True)
    return [line for line in status.stdout.splitlines()
            if not re.fullmatch(r"!! (output/.*|cache/.*|(.+/)?__pycache__/.*)", line)]


class Serving:
    """`uv run invoke <task> --port N` (livereload or serve) running in a copy, its terminal read line by line."""

    def __init__(self, folder, task):
        self.folder = folder
        self.task = task
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lines = []
        self.unread = queue.Queue()
        # Its own process group: Ctrl+C reaches uv, invoke and a running build, as in a terminal.
        self.process = run_command(folder, "invoke", task, "--port", str(self.port), start_new_session=True)
        threading.Thread(target=self.read_terminal, daemon=True).start()

    def read_terminal(self):
        for line in self.process.stdout:
            self.unread.put(line.rstrip("\n"))
        self.unread.put(None)

    def next_line(self, timeout):
        """The next line the terminal shows, or None if none comes within timeout seconds."""
        try:
            line = self.unread.get(timeout=timeout)
        except queue.Empty:
            return None
        assert line is not None, f"invoke {self.task} stopped:\n" + "\n".join(self.lines)
        self.lines.append(line)
        return line

    def wait_for(self, pattern, timeout):
        """The lines shown up to and including the first that matches pattern."""
        start, deadline = len(self.lines), time.monotonic() + timeout
        while (line := self.next_line(max(0, deadline - time.monotonic()))) is not None:
            if re.match(pattern, line):
                return self.lines[start:]
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n" + "\n".join(self.lines))

    def builds(self):
        return [line for line in self.lines if BUILD_LINE.match(line)]

    def stop(self):
        """Ctrl+C; the exit code, once the terminal's last line is read."""
        os.killpg(self.process.pid, signal.SIGINT)
        code = self.process.wait(timeout=60)
        while (line := self.unread.get(timeout=60)) is not None:
            self.lines.append(line)
        return code


def fetch(url):
    """(status, body) of a page, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class BuildEvents:
    """The reload channel, as the page's script listens to it."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REBUILD_SECONDS)
        self.connection.request("GET", "/__reload")
        self.response = self.connection.getresponse()
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next_build(self):
        """The token of the next build event (comment lines only keep the channel open)."""
        while True:
            line = self.response.readline().decode()
            assert line, "the reload channel closed"
            if line.startswith("data: "):
                return line.removeprefix("data: ").strip()

    def close(self):
        self.connection.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = copy_repository(tmp_path_factory.mktemp("livereload"))
    server = Serving(folder, "livereload")
    first = server.wait_for(r"(built|build failed) in ", FIRST_BUILD_SECONDS)
    assert first[-1].startswith("built in "), "\n".join(first)
    yield server
    if server.process.poll() is None:  # a test failed before the last one stopped it
        os.killpg(server.process.pid, signal.SIGKILL)


def save_plainly(path, text):
    path.write_text(text, encoding="utf-8")


def save_by_rename(path, text):
    """As many editors save: a new file beside the original, renamed over it."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as new:
        new.write(text)
    os.replace(new.name, path)


def test_each_save_rebuilds_once_and_an_idle_minute_rebuilds_nothing(live):
    page = live.folder / PAGE
    original = page.read_text(encoding="utf-8")
    marker = "SavedBeforeTheIdleMinute"  # one word: typography leaves it as it is
    events = BuildEvents(live.port)
    shown = events.next_build()
    # A plain save adds a paragraph; a save by renaming, as many editors save, takes it out again.
    for save, text, served in ((save_plainly, f"{original}\n{marker}\n", True), (save_by_rename, original, False)):
        save(page, text)
        assert live.wait_for(r"rebuilt in ", REBUILD_SECONDS)[-1].endswith(f"({PAGE})")
        status, body = fetch(f"{live.url}/about-us/")
        assert status == 200 and (marker in body) == served
        token = events.next_build()
        assert token != shown, "the open page was not told about the build"
        assert f'data-build="{token}"' in body
        shown = token
    assert live.next_line(IDLE_SECONDS) is None, "a build with no save:\n" + "\n".join(live.lines)
    # Nor did the first build, which wrote every __pycache__ of the copy's watched laceps/,
    # the compiled catalogs and the content cache while the watcher ran, start another.
    assert len(live.builds()) == 2, live.lines
    events.close()


def test_a_broken_file_shows_its_problem_in_the_browser_until_it_is_fixed(live, browser):
    page = live.folder / PAGE
    original = page.read_text(encoding="utf-8")
    assert TITLE_LINE in original
    tab = browser.new_page()
    refused = []
    tab.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    tab.goto(f"{live.url}/about-us/")

    save_plainly(page, original.replace(TITLE_LINE, "Title:\n", 1))
    printed = live.wait_for(r"build failed in ", REBUILD_SECONDS)
    line = original.splitlines().index(TITLE_LINE.strip()) + 1
    problem = f"{PAGE}:{line}: Title is empty — write a value after the colon or delete the line"
    assert printed == [problem, printed[-1]]
    # The open tab reloads by itself and lists the problem, as every page does while the build is broken.
    tab.get_by_text(problem).wait_for(timeout=REBUILD_SECONDS * 1000)
    for address in ("/about-us/", "/", "/no-such-page/"):
        status, body = fetch(live.url + address)
        assert status == 500 and problem in body and 'src="/__reload.js"' in body, (address, body)

    # The error page keeps listening, and shows the page again once the fix is built.
    save_by_rename(page, original)
    assert live.wait_for(r"rebuilt in ", REBUILD_SECONDS)[-1].endswith(f"({PAGE})")
    tab.locator("main h1", has_text="About Us").wait_for(timeout=REBUILD_SECONDS * 1000)
    assert refused == []
    tab.close()
    # Pelican's own messages never reach the terminal for a content problem, nor for a good build.
    assert all(TERMINAL_LINE.fullmatch(line) for line in live.lines), live.lines


def test_a_broken_template_shows_the_last_lines_of_the_build(live):
    template = live.folder / "theme/templates/page.html"
    original = template.read_text(encoding="utf-8")
    save_plainly(template, "{% if %}" + original)
    printed = live.wait_for(r"build failed in ", REBUILD_SECONDS)
    assert any("TemplateSyntaxError" in line for line in printed), printed
    status, body = fetch(f"{live.url}/about-us/")
    assert status == 500 and "TemplateSyntaxError" in body and "<pre>" in body

    save_plainly(template, original)
    live.wait_for(r"rebuilt in ", REBUILD_SECONDS)
    assert fetch(f"{live.url}/about-us/")[0] == 200


def refusal(folder, task, port):
    """What `invoke <task> --port <port>` prints when it cannot serve; it must exit non-zero."""
    process = run_command(folder, "invoke", task, "--port", port)
    printed = process.communicate(timeout=120)[0]
    assert process.returncode == 1, printed
    return printed.splitlines()


@pytest.mark.parametrize("task", ["livereload", "serve"])
def test_a_port_in_use_or_mistyped_gets_one_line_naming_port(live, task):
    # The port of the running livereload: the usual case is a second one started by mistake.
    assert refusal(live.folder, task, str(live.port)) == [
        f"port {live.port} on 127.0.0.1 is already in use: stop the program that holds it, "
        f"or choose another port with --port, for example --port {live.port + 1}"
    ]
    assert refusal(live.folder, task, "80OO") == [
        "--port 80OO is not a port: give a whole number from 1 to 65535, for example --port 8001"
    ]


def test_invoke_serve_serves_the_built_files_as_they_are(live):
    served = Serving(live.folder, "serve")
    served.wait_for(r"Serving ", REBUILD_SECONDS)
    assert fetch(f"{served.url}/about-us/") == (200, (live.folder / "output/about-us/index.html").read_text(encoding="utf-8"))
    assert served.stop() == 0, served.lines


def test_ctrl_c_stops_livereload_which_leaves_the_repository_as_it_was(live):
    shown = len(live.lines)
    assert live.stop() == 0, "\n".join(live.lines)
    assert live.lines[shown:] == [], "Ctrl+C printed more than nothing"
    assert left_behind(live.folder) == []


def test_building_previewing_and_checking_change_nothing_in_the_repository(tmp_path):
    folder = copy_repository(tmp_path)
    for task in ("build", "check", "preview", "build"):
        process = run_command(folder, "invoke", task)
        output = process.communicate(timeout=FIRST_BUILD_SECONDS)[0]
        assert process.returncode == 0, output
    assert left_behind(folder) == []
    assert (folder / "cache/translations/es/LC_MESSAGES/messages.mo").is_file()
