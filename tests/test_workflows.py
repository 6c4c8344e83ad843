"""The GitHub workflows: actionlint and zizmor (from PyPI, run offline) find nothing, and they do what
README's "What CI does" says: the jobs run in the Debian image the project is tested on, the build that
is published holds no credentials, and only the newest main is published, once."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


def workflow(name):
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


PUBLISH = workflow("publish.yml")
JOBS = {**{f"test.yml {name}": job for name, job in workflow("test.yml")["jobs"].items()},
        **{f"publish.yml {name}": job for name, job in PUBLISH["jobs"].items()}}


def steps_running(job, text):
    return [step for step in job["steps"] if text in step.get("run", "")]


def test_publish_runs_the_same_test_job_as_test_yml():
    assert PUBLISH["jobs"]["test"] == workflow("test.yml")["jobs"]["test"]


@pytest.mark.parametrize("name", JOBS)
def test_every_job_runs_in_the_debian_image_the_project_is_tested_on(name):
    """Debian 12 and Python 3.11 (GitHub's Ubuntu runners ship Chromium as a snap), the image pinned by digest."""
    assert re.fullmatch(r"python:3\.11-bookworm@sha256:[0-9a-f]{64}", JOBS[name]["container"]["image"])
    assert len({job["container"]["image"] for job in JOBS.values()}) == 1


@pytest.mark.parametrize("name", JOBS)
def test_every_action_is_pinned_by_commit(name):
    for step in JOBS[name]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_the_tests_run_with_node_20():
    setup_node = [step for step in PUBLISH["jobs"]["test"]["steps"] if step.get("uses", "").startswith("actions/setup-node@")]
    assert [step["with"]["node-version"] for step in setup_node] == ["20"]


def test_the_build_that_publishing_uses_holds_no_credentials():
    build = PUBLISH["jobs"]["build"]
    assert build["permissions"] == {"contents": "read"}  # no id-token: it cannot become the publisher
    assert "environment" not in build  # the production environment's secrets stay out of reach
    assert "secrets." not in yaml.safe_dump(build)
    assert steps_running(build, "invoke preview")
    upload = [step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert [step["with"]["path"] for step in upload] == ["output/"]


def test_the_publish_job_uploads_that_build_and_builds_nothing():
    publish = PUBLISH["jobs"]["publish"]
    assert set(publish["needs"]) == {"test", "build"}
    assert publish["environment"] == "production"
    assert publish["permissions"] == {"contents": "read", "id-token": "write"}
    [download] = [step for step in publish["steps"] if step.get("uses", "").startswith("actions/download-artifact@")]
    [upload] = [step for step in PUBLISH["jobs"]["build"]["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert download["with"]["name"] == upload["with"]["name"]
    [publishing] = steps_running(publish, "invoke publish")
    assert publishing["run"] == 'uv run --locked --no-dev invoke publish --site "$SITE"'
    assert publishing["env"]["SITE"] == download["with"]["path"]
    for needless in (".ci/", "invoke preview", "invoke build", "setup-node"):
        assert needless not in yaml.safe_dump(publish), needless
    # Only the publish job can ask for the publisher role.
    assert [name for name, job in JOBS.items() if "id-token" in job["permissions"]] == ["publish.yml publish"]


def test_one_publish_run_at_a_time_from_its_tests_to_its_upload():
    """Concurrency on the workflow, not the publish job: an older merge whose tests ran longer cannot upload last."""
    assert PUBLISH["concurrency"] == {"group": "publish", "cancel-in-progress": False}
    assert not [name for name, job in PUBLISH["jobs"].items() if "concurrency" in job]


GUARD = next(step for step in PUBLISH["jobs"]["publish"]["steps"] if step.get("id") == "tip")


def test_every_step_that_touches_the_bucket_waits_for_the_newest_commit_check():
    steps = PUBLISH["jobs"]["publish"]["steps"]
    guarded = steps[steps.index(GUARD) + 1:]
    assert [step.get("uses", step.get("name")).split("@")[0] for step in guarded] == [
        "aws-actions/configure-aws-credentials", "Publish the built site"]
    assert all(step["if"] == "steps.tip.outputs.current == 'true'" for step in guarded)


@pytest.mark.parametrize("tip, current, summary", [
    ("a" * 40, "true", ""),
    ("b" * 40, "false", f"Not published: main has moved on from {'a' * 40} to {'b' * 40}, whose run publishes it.\n"),
])
def test_a_run_whose_commit_is_no_longer_the_tip_of_main_does_not_publish(tmp_path, tip, current, summary):
    """The check's own script, run as the job's shell runs it, against a stand-in for GitHub's API."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "curl").write_text(f'#!/bin/sh\necho "$*" > "{tmp_path}/asked"\necho {tip}\n')
    (bin_folder / "curl").chmod(0o755)
    env = {
        "PATH": f"{bin_folder}:/usr/bin:/bin",
        "GH_TOKEN": "token",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REPOSITORY": "owner/site",
        "GITHUB_REF_NAME": "main",
        "GITHUB_SHA": "a" * 40,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    subprocess.run(["sh", "-e", "-c", GUARD["run"]], env=env, check=True)
    assert (tmp_path / "output").read_text() == f"current={current}\n"
    written = tmp_path / "summary"
    assert (written.read_text() if written.exists() else "") == summary
    assert (tmp_path / "asked").read_text().split()[-1] == "https://api.github.com/repos/owner/site/commits/main"
