"""The build as it was before it ran in one process: Pelican's own command with every warning
fatal, then Pagefind's command over the written site. The new pipeline must write the same bytes."""

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


def differences(expected, actual):
    """What differs between two built sites: missing, extra and changed files, by path."""
    want, got = files(expected), files(actual)
    return {
        "missing": sorted(set(want) - set(got)),
        "extra": sorted(set(got) - set(want)),
        "changed": sorted(path for path in set(want) & set(got) if want[path] != got[path]),
    }


SAME = {"missing": [], "extra": [], "changed": []}
