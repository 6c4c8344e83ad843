"""The GitHub workflows pass actionlint and zizmor (both installed from PyPI, both run offline)."""

import json
import subprocess
import sys
from pathlib import Path

from laceps import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
TOOLS = Path(sys.executable).parent  # the project's virtual environment


def findings(*command):
    """Run a linter that reports in JSON; return its findings."""
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_there_is_a_test_workflow_and_a_publish_workflow():
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == ["publish.yml", "test.yml"]


def test_actionlint_finds_nothing():
    workflows = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert findings(TOOLS / "actionlint", "-format", "{{json .}}", *workflows) == []


def test_zizmor_finds_nothing():
    assert findings(TOOLS / "zizmor", "--offline", "--format", "json", str(WORKFLOWS)) == []
