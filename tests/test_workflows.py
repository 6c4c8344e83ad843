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
from laceps.hosting import OUTPUTS, PREVIEW_PREFIX

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
TOOLS = Path(sys.executable).parent  # the project's virtual environment


def findings(*command):
    """Run a linter that reports in JSON; return its findings."""
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_there_are_the_test_publish_preview_and_links_workflows():
    assert sorted(path.name for path in WORKFLOWS.glob("*.yml")) == ["links.yml", "preview.yml", "publish.yml", "test.yml"]


def test_actionlint_finds_nothing():
    workflows = sorted(str(path) for path in WORKFLOWS.glob("*.yml"))
    assert findings(TOOLS / "actionlint", "-format", "{{json .}}", *workflows) == []


def test_zizmor_finds_nothing():
    assert findings(TOOLS / "zizmor", "--offline", "--format", "json", str(WORKFLOWS)) == []


def workflow(name):
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


PUBLISH = workflow("publish.yml")
PREVIEW = workflow("preview.yml")
JOBS = {**{f"test.yml {name}": job for name, job in workflow("test.yml")["jobs"].items()},
        **{f"publish.yml {name}": job for name, job in PUBLISH["jobs"].items()},
        **{f"preview.yml {name}": job for name, job in PREVIEW["jobs"].items()},
        **{f"links.yml {name}": job for name, job in workflow("links.yml")["jobs"].items()}}


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
    # Only the publish jobs can ask for a publisher role, each in the environment its role trusts.
    with_role = {name: job["environment"] for name, job in JOBS.items() if "id-token" in job["permissions"]}
    assert with_role == {
        "publish.yml publish": "production",
        "preview.yml publish": {"name": "preview", "url": "${{ vars.LACEPS_PREVIEW_URL }}/pr-${{ github.event.pull_request.number }}/"},
        "preview.yml remove": "preview",
    }


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


# --- Previews of pull requests -----------------------------------------------------------------------
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def test_previews_follow_each_pull_request_from_opening_to_closing():
    assert PREVIEW[True] == {"pull_request": {"types": ["opened", "synchronize", "reopened", "closed"]}}  # YAML reads on: as True
    assert PREVIEW["permissions"] == {}
    assert PREVIEW["concurrency"] == {"group": "preview-${{ github.event.pull_request.number }}", "cancel-in-progress": True}
    jobs = PREVIEW["jobs"]
    assert jobs["fork"]["if"] == "github.event.pull_request.head.repo.full_name != github.repository"
    assert jobs["build"]["if"] == f"{SAME_REPOSITORY} && github.event.action != 'closed'"
    assert jobs["publish"]["needs"] == ["build"]  # so never for a fork, never on closing
    assert jobs["remove"]["if"] == f"{SAME_REPOSITORY} && github.event.action == 'closed'"


def test_a_forks_pull_request_gets_no_credentials_and_a_summary_that_says_why(tmp_path):
    fork = PREVIEW["jobs"]["fork"]
    assert fork["permissions"] == {}
    assert "secrets." not in yaml.safe_dump(fork) and "vars." not in yaml.safe_dump(fork)
    [step] = fork["steps"]
    summary = tmp_path / "summary"
    subprocess.run(["sh", "-e", "-c", step["run"]], env={"PATH": "/usr/bin:/bin", "GITHUB_STEP_SUMMARY": str(summary)}, check=True)
    assert summary.read_text().startswith("No preview: this pull request comes from a fork, and a fork's runs get no credentials")


def test_the_preview_is_built_without_credentials_for_its_own_address_and_marked_noindex():
    build = PREVIEW["jobs"]["build"]
    assert build["permissions"] == {"contents": "read"} and "environment" not in build
    assert "secrets." not in yaml.safe_dump(build)
    [step] = steps_running(build, "invoke preview")
    assert step["run"] == 'uv run --locked --no-dev invoke preview --site-url "$SITE_URL" --noindex'
    assert step["env"]["SITE_URL"] == f"${{{{ vars.LACEPS_PREVIEW_URL }}}}/{PREVIEW_PREFIX}${{{{ github.event.pull_request.number }}}}"


def test_the_preview_is_published_into_its_own_folder_and_its_address_commented():
    publish = PREVIEW["jobs"]["publish"]
    assert publish["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert publish["env"]["LACEPS_S3_PREFIX"] == f"{PREVIEW_PREFIX}${{{{ github.event.pull_request.number }}}}"
    assert publish["env"]["SITE_URL"] == steps_running(PREVIEW["jobs"]["build"], "invoke preview")[0]["env"]["SITE_URL"]
    [download] = [step for step in publish["steps"] if step.get("uses", "").startswith("actions/download-artifact@")]
    [upload] = [step for step in PREVIEW["jobs"]["build"]["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]
    assert download["with"]["name"] == upload["with"]["name"] and upload["with"]["path"] == "output/"
    [publishing] = steps_running(publish, "invoke publish")
    assert publishing["run"] == 'uv run --locked --no-dev invoke publish --site "$SITE" --site-url "$SITE_URL"'
    assert publishing["env"]["SITE"] == download["with"]["path"]
    [comment] = steps_running(publish, "invoke preview-comment")
    assert comment["run"].endswith('--pull-request "$PULL_REQUEST" --address "$SITE_URL/"')
    assert comment["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}


def test_closing_the_pull_request_deletes_only_its_folder_and_says_so():
    remove = PREVIEW["jobs"]["remove"]
    assert remove["env"]["LACEPS_S3_PREFIX"] == PREVIEW["jobs"]["publish"]["env"]["LACEPS_S3_PREFIX"]
    assert [step["run"].split("invoke ")[1] for step in steps_running(remove, "invoke ")] == [
        "unpublish", 'preview-comment --pull-request "$PULL_REQUEST"']


@pytest.mark.parametrize("job", ["publish", "remove"])
def test_the_preview_jobs_keys_reach_only_their_own_pull_requests_folder(job):
    """The role may write every preview; the session policy narrows the keys to pr-<number>/."""
    [credentials] = [step for step in PREVIEW["jobs"][job]["steps"] if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert credentials["with"]["role-to-assume"] == "${{ secrets.AWS_ROLE_ARN }}"
    policy = credentials["with"]["inline-session-policy"]
    policy = policy.replace("${{ vars.LACEPS_S3_BUCKET }}", "previews").replace("${{ github.event.pull_request.number }}", "123")
    assert json.loads(policy)["Statement"] == [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::previews",
         "Condition": {"StringLike": {"s3:prefix": f"{PREVIEW_PREFIX}123/*"}}},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::previews/{PREVIEW_PREFIX}123/*"},
    ]


def settings_read(job):
    """{(where, kind, name)} of the repository settings a job reads: its environment's, else the repository's."""
    environment = job.get("environment", "repository")
    where = environment["name"] if isinstance(environment, dict) else environment
    text = yaml.safe_dump(job)
    return {(where, {"vars": "variable", "secrets": "secret"}[kind], name) for kind, name in re.findall(r"\b(vars|secrets)\.(\w+)", text)}


def test_the_hosting_stacks_outputs_are_exactly_the_settings_the_workflows_read():
    """infra/hosting.yaml's outputs are what `invoke infra-deploy` tells to copy into GitHub."""
    outputs = {(where, kind, name) for where, kind, name, _ in OUTPUTS.values()}
    # A job with an environment reads the repository's variables too.
    repository_wide = {name for where, _, name in outputs if where == "repository"}
    read = {("repository" if name in repository_wide else where, kind, name)
            for job in JOBS.values() for where, kind, name in settings_read(job)}
    # Only stores other than AWS S3 need these two (README, "Publishing").
    for_other_stores = {("production", "variable", "LACEPS_S3_ENDPOINT_URL"), ("production", "variable", "LACEPS_S3_PREFIX")}
    assert read - for_other_stores == outputs
