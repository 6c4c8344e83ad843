"""The build as it was before it ran in one process: Pelican's own command with every warning
fatal, then Pagefind's command over the written site. The new pipeline must write the same bytes,
but for the order of the pages in Pagefind's index: its command takes them in the order the file
system lists them, the build in the order Pelican writes them. So the index's page lists (and the
entry file naming them by hash) are compared by their pages: the same fragment files, byte for
byte, and the same number of pages in each language."""

import json
import subprocess
import sys
from pathlib import Path

from laceps import PROJECT_ROOT
from laceps.translations import compile_catalogs


def reference_build(settings, output, cache, content=PROJECT_ROOT / "content", extra=None):
    compile_catalogs()
    extra = {"CACHE_PATH": str(cache), **(extra or {})}
    command = [
        sys.executable, "-m", "pelican", str(content), "--settings", str(settings), "--output", str(output),
        "--fatal", "warnings", "--log-handler", "plain",
        "--extra-settings", *(f"{key}={json.dumps(value)}" for key, value in extra.items()),
    ]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(output), "--silent"], cwd=PROJECT_ROOT, check=True)
    entry = Path(output) / "pagefind" / "pagefind-entry.json"
    entry.write_text(json.dumps(json.loads(entry.read_text(encoding="utf-8")), sort_keys=True, ensure_ascii=False), encoding="utf-8")
    return Path(output)


def files(root):
    """Every file under root: {path from root: bytes}."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(Path(root).rglob("*")) if path.is_file()}


def page_counts(root):
    entry = json.loads((Path(root) / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    return {lang: language["page_count"] for lang, language in entry["languages"].items()}


def ordered_by_pages(path):
    """A file of Pagefind's that lists pages in the order they were given: its index, its metadata, its entry."""
    return path.startswith("pagefind/") and (path.endswith((".pf_index", ".pf_meta")) or path.endswith("pagefind-entry.json"))


def differences(expected, actual):
    """What differs between two built sites: missing, extra and changed files, by path."""
    want, got = files(expected), files(actual)
    if page_counts(expected) != page_counts(actual):
        return {"search index pages": [page_counts(expected), page_counts(actual)]}
    want, got = ({path: data for path, data in side.items() if not ordered_by_pages(path)} for side in (want, got))
    return {
        "missing": sorted(set(want) - set(got)),
        "extra": sorted(set(got) - set(want)),
        "changed": sorted(path for path in set(want) & set(got) if want[path] != got[path]),
    }


SAME = {"missing": [], "extra": [], "changed": []}
