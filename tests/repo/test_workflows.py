"""Layer 1: the GitHub workflows have the structure that keeps previews, deploys and drift checks safe.

Read as data (PyYAML) and asserted: which events trigger what, which jobs can run for a fork's pull
request and what those jobs can reach, least permissions per job, pinned actions, the per-stack
concurrency and environment of deploys, and the drift check's flags. The shell of the drift and fork
steps is run with bash against a stand-in ``pulumi``. Linting the workflows (check-jsonschema,
actionlint as ``scripts/actionlint`` builds it) is ``.ci/run``'s job, not a test's; here only the
actionlint pin and the script's one-line errors. What this cannot prove: how GitHub itself evaluates
the workflows (real runs do that).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"
FORK = "github.event.pull_request.head.repo.full_name != github.repository"
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")
PINNED_DOCKER = re.compile(r"^docker://[a-z0-9./_-]+@sha256:[0-9a-f]{64}$")
# the raw line of a pinned `uses:`, with the release it is pinned to as a comment
PINNED_LINE = re.compile(r"^\s*(- )?uses: (?P<ref>\S+) # (?P<version>v?\d+\.\d+\.\d+)(;.*)?$")
CREDENTIALED = [("preview", "preview"), ("deploy", "deploy"), ("drift", "drift")]
LOCKED_INSTALL = "venv/bin/pip install --quiet --require-hashes -r requirements.lock"
BASH = shutil.which("bash") or "/bin/bash"
WRITE_ALLOWED = {
    ("preview", "preview"): {"id-token", "pull-requests"},
    ("deploy", "deploy"): {"id-token"},
    ("drift", "drift"): {"id-token"},
    # pushes the lock-bump branch and opens its pull request; runs no project code (newest.yml)
    ("newest", "propose"): {"contents", "pull-requests"},
}


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    # YAML 1.1 reads the key `on` as True
    document["on"] = document.pop(True, document.get("on"))
    return document


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return load(name)["jobs"]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).split("@")[0] == action]


def all_workflows() -> list[str]:
    return sorted(path.stem for path in WORKFLOWS.glob("*.y*ml"))


def test_the_four_workflows_exist():
    assert all_workflows() == ["deploy", "drift", "newest", "preview", "test"]
    assert not (REPO_ROOT / "docs" / "github-actions.md").exists()  # the prose version is retired


# -- a tiny evaluator for the `if:` conditions that decide who runs -----------------------------------


def evaluate(condition: str | None, context: dict[str, str]) -> bool | None:
    """``a == b``/``a != b`` joined by ``&&``; None when it depends on something not in ``context``."""
    if condition is None:
        return True
    text = condition.strip().removeprefix("${{").removesuffix("}}").strip()
    verdicts = []
    for part in text.split("&&"):
        match = re.fullmatch(r"\s*(\S+)\s*(==|!=)\s*(\S+)\s*", part)
        if not match:
            return None
        left, operator, right = match.groups()
        values = [item.strip("'") if item.startswith("'") else context.get(item) for item in (left, right)]
        if None in values:
            verdicts.append(None)
            continue
        verdicts.append((values[0] == values[1]) == (operator == "=="))
    if False in verdicts:
        return False
    return None if None in verdicts else True


def runs(workflow: str, job_id: str, context: dict[str, str]) -> bool:
    """Could this job run in this context? A job runs only if every job it needs ran."""
    job = jobs(workflow)[job_id]
    if evaluate(job.get("if"), context) is False:
        return False
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    return all(runs(workflow, needed, context) for needed in needs)


PR_CONTEXT = {"github.repository": "acme/exports", "github.ref": "refs/pull/7/merge"}
FORK_PR = {**PR_CONTEXT, "github.event.pull_request.head.repo.full_name": "mallory/exports"}
OWN_PR = {**PR_CONTEXT, "github.event.pull_request.head.repo.full_name": "acme/exports"}


def test_evaluator_is_live():
    assert evaluate(SAME_REPO, FORK_PR) is False
    assert evaluate(SAME_REPO, OWN_PR) is True
    assert evaluate(FORK, FORK_PR) is True
    assert evaluate("needs.stacks.outputs.stacks != '[]'", FORK_PR) is None
    assert evaluate(f"{SAME_REPO} && needs.x.outputs.y != '[]'", FORK_PR) is False


# -- preview -----------------------------------------------------------------------------------------


def test_preview_runs_only_on_pull_requests():
    assert load("preview")["on"] == {"pull_request": None}
    for name in all_workflows():
        assert "pull_request_target" not in (WORKFLOWS / f"{name}.yml").read_text()  # fork code + secrets


def test_preview_comments_once_per_stack_and_edits_it():
    preview = jobs("preview")["preview"]
    (step,) = steps_using(preview, "pulumi/actions")
    assert step["with"]["command"] == "preview"
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["edit-pr-comment"] is True
    assert "matrix.stack" in step["with"]["stack-name"]
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    assert preview["strategy"]["fail-fast"] is False


def test_credentialed_jobs_install_the_hash_locked_requirements_before_the_pulumi_action():
    for workflow, job_id in CREDENTIALED:
        steps = jobs(workflow)[job_id]["steps"]
        (install,) = [i for i, s in enumerate(steps) if "pip install" in s.get("run", "")]
        pulumi = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("pulumi/actions"))
        setup = next(
            i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/setup-python")
        )
        assert setup < install < pulumi
        assert steps[install]["run"] == f"python -m venv venv && {LOCKED_INSTALL}"
        assert "requirements.txt" not in yaml.safe_dump(jobs(workflow)[job_id])


def test_previews_get_no_bitmovin_key_and_no_deploy_secret():
    """Pull-request code runs here: only the backend token and the read-only preview role reach it."""
    job = jobs("preview")["preview"]
    secrets = set(re.findall(r"secrets\.([A-Za-z_]+)", yaml.safe_dump(job)))
    assert secrets == {"PULUMI_ACCESS_TOKEN"}
    (step,) = steps_using(job, "pulumi/actions")
    assert (
        step["env"]
        == {
            "PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            "BITMOVIN_PREVIEW_WITHOUT_KEY": "true",  # check tolerates the missing key (providers/provider_config.py)
        }
    )
    assert "environment" not in job
    for name in ("deploy", "drift", "test"):
        assert "BITMOVIN_PREVIEW_WITHOUT_KEY" not in (WORKFLOWS / f"{name}.yml").read_text()


def test_fork_pull_requests_reach_no_secret_and_no_token():
    preview = jobs("preview")
    for_fork = {job_id for job_id in preview if runs("preview", job_id, FORK_PR)}
    for_own = {job_id for job_id in preview if runs("preview", job_id, OWN_PR)}
    assert for_fork == {"fork-notice"}
    assert for_own == {"stacks", "preview"}
    for job_id in for_fork:
        job = preview[job_id]
        assert "secrets." not in yaml.safe_dump(job)
        assert job["permissions"] == {}
        assert not steps_using(job, "aws-actions/configure-aws-credentials")
    # and every job that touches a secret or AWS is out of a fork's reach
    for job_id, job in preview.items():
        if "secrets." in yaml.safe_dump(job) or job.get("permissions", {}).get("id-token") == "write":
            assert not runs("preview", job_id, FORK_PR), job_id


def test_forks_get_a_notice_in_the_job_summary(tmp_path):
    (step,) = jobs("preview")["fork-notice"]["steps"]
    summary = tmp_path / "summary.md"
    result = run_step(step, tmp_path, {"HEAD_REPO": "mallory/exports", "GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 0
    assert "::notice title=Pulumi preview skipped::" in result.stdout
    text = summary.read_text()
    assert text.startswith("### Pulumi preview skipped")
    assert "`mallory/exports`" in text
    assert "no secrets and no OIDC token" in text


# -- deploy ------------------------------------------------------------------------------------------


def test_deploy_runs_only_for_pushes_to_main_after_the_tests():
    deploy = load("deploy")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    job = deploy["jobs"]["deploy"]
    assert "github.ref == 'refs/heads/main'" in job["if"]
    assert set(job["needs"]) == {"test", "stacks"}
    assert deploy["jobs"]["test"]["uses"] == "./.github/workflows/test.yml"
    assert "workflow_call" in load("test")["on"]
    (step,) = steps_using(job, "pulumi/actions")
    assert step["with"]["command"] == "up"
    assert not runs("deploy", "deploy", {"github.ref": "refs/heads/feature"})
    assert not runs(
        "deploy", "deploy", {"github.ref": "refs/heads/main", "github.event_name": "workflow_dispatch"}
    )


@pytest.mark.parametrize(
    ("ref", "event", "status"),
    [
        ("refs/heads/main", "push", 0),
        ("refs/heads/feature", "push", 1),
        ("refs/heads/main", "workflow_dispatch", 1),
        ("refs/pull/7/merge", "pull_request", 1),
    ],
)
def test_the_deploy_job_refuses_anything_but_a_push_to_main_before_its_first_step(
    tmp_path, ref, event, status
):
    steps = jobs("deploy")["deploy"]["steps"]
    guard = steps[0]
    assert guard["env"] == {"REF": "${{ github.ref }}", "EVENT": "${{ github.event_name }}"}
    result = run_step(guard, tmp_path, {"REF": ref, "EVENT": event})
    assert result.returncode == status, result.stdout + result.stderr
    if status:
        assert "::error::deploy runs only for pushes to main" in result.stdout


@pytest.mark.parametrize(("workflow", "flag"), [("deploy", "--deploy"), ("drift", "--drift")])
def test_the_stacks_job_checks_the_environments_before_any_job_enters_one(workflow, flag):
    stacks = jobs(workflow)["stacks"]
    assert stacks["permissions"] == {"contents": "read", "actions": "read"}
    steps = stacks["steps"]
    matrix = next(i for i, s in enumerate(steps) if s.get("id") == "matrix")
    (guard,) = [s for s in steps if "environment_guard.py" in s.get("run", "")]
    assert steps.index(guard) > matrix
    assert guard["run"] == f'python scripts/environment_guard.py {flag} --stacks-json "$STACKS"'
    assert guard["env"] == {
        "STACKS": "${{ steps.matrix.outputs.stacks }}",
        "GITHUB_TOKEN": "${{ github.token }}",
    }
    main_job = jobs(workflow)[workflow]
    assert "stacks" in main_job["needs"]
    assert "secrets." not in yaml.safe_dump(stacks)


def test_deploy_has_an_environment_and_a_concurrency_group_per_stack():
    job = jobs("deploy")["deploy"]
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["concurrency"] == {"group": "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": False}
    assert "concurrency" not in load("deploy")  # a workflow-wide group would serialize all organizations


# -- drift -------------------------------------------------------------------------------------------


def test_drift_runs_on_a_schedule_and_by_hand():
    triggers = load("drift")["on"]
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert triggers["workflow_dispatch"]["inputs"]["stacks"]["required"] is False


def test_each_drift_check_uses_its_stacks_own_drift_environment_without_a_deployment():
    """The organization's key lives in the environment <stack>-drift (main only, no reviewers), not in
    the repository; `deployment: false` keeps drift out of the deployment history."""
    job = jobs("drift")["drift"]
    assert job["environment"] == {"name": "${{ matrix.stack }}-drift", "deployment": False}
    assert "github.ref == 'refs/heads/main'" in job["if"]
    assert not runs("drift", "drift", {"github.ref": "refs/heads/feature"})
    assert not runs("drift", "stacks", {"github.ref": "refs/heads/feature"})
    (step,) = [s for s in job["steps"] if "pulumi preview" in s.get("run", "")]
    assert step["env"]["BITMOVIN_API_KEY"] == "${{ secrets.BITMOVIN_API_KEY }}"


def drift_matrix_step() -> dict[str, Any]:
    return next(s for s in jobs("drift")["stacks"]["steps"] if s.get("id") == "matrix")


def run_drift_matrix(tmp_path: Path, stacks_input: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    project = copy_project(tmp_path)
    script = "\n".join(line for line in drift_matrix_step()["run"].splitlines() if "pip install" not in line)
    output = tmp_path / "github-output"
    output.write_text("")
    result = subprocess.run(
        [BASH, "-e", "-c", script],
        cwd=project,
        env={
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "GITHUB_OUTPUT": str(output),
            "STACKS_INPUT": stacks_input,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, output


@pytest.mark.parametrize(
    "stacks_input",
    [
        "--project-dir /tmp",
        "--help",
        "-h",
        "acme-prod --github-output",
        "acme-prod\n--help",
    ],
)
def test_the_drift_input_cannot_become_an_option(tmp_path, stacks_input):
    assert "${{" not in drift_matrix_step()["run"]
    assert drift_matrix_step()["env"] == {"STACKS_INPUT": "${{ inputs.stacks }}"}
    result, output = run_drift_matrix(tmp_path, stacks_input)
    assert result.returncode == 2, result.stdout + result.stderr
    assert output.read_text() == ""  # no stacks= line: the job fails, nothing runs
    (line,) = result.stderr.splitlines()
    assert line.startswith("stack_matrix: ")


def drift_step() -> dict[str, Any]:
    steps = jobs("drift")["drift"]["steps"]
    return next(step for step in steps if "pulumi preview" in step.get("run", ""))


def test_drift_previews_with_refresh_and_expect_no_changes():
    script = drift_step()["run"]
    command = script[script.index("pulumi preview") :].split("|")[0]
    for flag in ("--refresh", "--expect-no-changes", "--diff", "--non-interactive", '--stack "$STACK"'):
        assert flag in command


FAKE_PULUMI = """#!/bin/bash
echo "$*" >> "$CALLS"
if [ "$1" = "preview" ]; then
  echo "Previewing update (acme-prod)"
  if [ -n "$DRIFT" ]; then
    echo "    ~ aws:s3/bucketVersioning:BucketVersioning analytics-export-versioning update"
    echo "        ~ versioningConfiguration: { status: \\"Suspended\\" => \\"Enabled\\" }"
    echo "error: no changes were expected but changes were proposed" >&2
    exit 255
  fi
  echo "Resources: 9 unchanged"
fi
"""


def run_step(
    step: dict[str, Any], tmp_path: Path, env: dict[str, str], fake_pulumi: str | None = None
) -> subprocess.CompletedProcess[str]:
    """A `run:` step as GitHub's default shell runs it (``bash -e``), with a stand-in pulumi."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if fake_pulumi is not None:
        (bin_dir / "pulumi").write_text(fake_pulumi)
        (bin_dir / "pulumi").chmod(0o755)
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    path = f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin"
    return subprocess.run(
        [BASH, "-e", str(script)],
        cwd=tmp_path,
        env={"PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def drift_env(tmp_path):
    summary, calls = tmp_path / "summary.md", tmp_path / "calls.txt"
    return {"STACK": "acme-prod", "GITHUB_STEP_SUMMARY": str(summary), "CALLS": str(calls)}


def test_drift_puts_the_diff_in_the_summary_and_fails_the_job(tmp_path, drift_env):
    result = run_step(drift_step(), tmp_path, {**drift_env, "DRIFT": "1"}, FAKE_PULUMI)
    assert result.returncode == 255
    summary = Path(drift_env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("### Drift (or an error) in `acme-prod`")
    assert "```diff" in summary
    assert 'status: "Suspended" => "Enabled"' in summary
    assert "error: no changes were expected" in summary
    assert "::error title=Drift in acme-prod::" in result.stdout
    calls = Path(drift_env["CALLS"]).read_text().splitlines()
    assert calls == [
        "preview --stack acme-prod --refresh --expect-no-changes --diff --non-interactive --color never"
    ]


def test_no_drift_is_green_and_says_so(tmp_path, drift_env):
    result = run_step(drift_step(), tmp_path, {**drift_env, "BACKEND_URL": "s3://state-bucket"}, FAKE_PULUMI)
    assert result.returncode == 0
    assert Path(drift_env["GITHUB_STEP_SUMMARY"]).read_text() == "### No drift in `acme-prod`\n"
    calls = Path(drift_env["CALLS"]).read_text().splitlines()
    assert calls[0] == "login --non-interactive s3://state-bucket"  # a self-managed backend


# -- stacks, credentials, permissions, pins ---------------------------------------------------------------


def copy_project(tmp_path: Path) -> Path:
    """What the stacks step needs: fleet/, scripts/, a project file and two stack files."""
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "fleet", project / "fleet", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO_ROOT / "scripts", project / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "Pulumi.yaml").write_text("name: x\nruntime: python\n")
    (project / "Pulumi.acme-prod.yaml").write_text("config: {}\n")
    (project / "Pulumi.local.yaml").write_text("config:\n  bitmovin:apiUrl: http://127.0.0.1:8080/v1\n")
    return project


@pytest.mark.parametrize("workflow", ["preview", "deploy", "drift"])
def test_the_matrix_comes_from_the_stack_files(workflow, tmp_path):
    workflow_jobs = jobs(workflow)
    (main_job,) = [job_id for job_id in workflow_jobs if job_id in ("preview", "deploy", "drift")]
    assert (
        workflow_jobs[main_job]["strategy"]["matrix"]["stack"]
        == "${{ fromJSON(needs.stacks.outputs.stacks) }}"
    )
    assert (
        "needs.stacks.outputs.stacks != '[]'" in workflow_jobs[main_job]["if"]
    )  # no stacks: no empty matrix
    step = next(s for s in workflow_jobs["stacks"]["steps"] if s.get("id") == "matrix")
    assert "scripts/stack_matrix.py --github-output" in step["run"]
    # run the step's script (minus the pip install, PyYAML is here) in a copy of the project
    project = copy_project(tmp_path)
    script = "\n".join(line for line in step["run"].splitlines() if "pip install" not in line)
    output = tmp_path / "github-output"
    env = {"GITHUB_OUTPUT": str(output), "STACKS_INPUT": ""}
    result = subprocess.run(
        [BASH, "-e", "-c", script],
        cwd=project,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_text() == 'stacks=["acme-prod"]\n'


@pytest.mark.parametrize(("workflow", "job_id", "role"), [
    ("preview", "preview", "AWS_PREVIEW_ROLE_ARN"),
    ("deploy", "deploy", "AWS_DEPLOY_ROLE_ARN"),
    ("drift", "drift", "AWS_PREVIEW_ROLE_ARN"),
])  # fmt: skip
def test_aws_credentials_come_from_oidc(workflow, job_id, role):
    job = jobs(workflow)[job_id]
    (step,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert step["with"]["role-to-assume"] == f"${{{{ vars.{role} }}}}"
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"])
    assert job["permissions"]["id-token"] == "write"
    assert "AWS_ACCESS_KEY_ID" not in yaml.safe_dump(job)


def test_the_deploy_role_can_differ_per_organization():
    """Deploy runs in the stack's environment, so an environment variable AWS_DEPLOY_ROLE_ARN (and an
    environment secret BITMOVIN_API_KEY) override the repository's for one organization."""
    job = jobs("deploy")["deploy"]
    assert job["environment"] == "${{ matrix.stack }}"
    (step,) = steps_using(job, "pulumi/actions")
    assert step["env"]["BITMOVIN_API_KEY"] == "${{ secrets.BITMOVIN_API_KEY }}"


@pytest.mark.parametrize("workflow", ["test", "preview", "deploy", "drift", "newest"])
def test_every_job_has_least_permissions(workflow):
    document = load(workflow)
    assert document["permissions"] in ({}, {"contents": "read"})
    for job_id, job in document["jobs"].items():
        assert "permissions" in job, f"{workflow}.{job_id} inherits the workflow's permissions"
        permissions = job["permissions"]
        assert isinstance(permissions, dict), f"{workflow}.{job_id}: {permissions!r}"
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes == WRITE_ALLOWED.get((workflow, job_id), set()), f"{workflow}.{job_id}"
        assert set(permissions.values()) <= {"read", "write"}
        assert set(permissions) <= {"contents", "id-token", "pull-requests", "actions"}
        # reading environments' protection rules: only the stacks jobs that check them
        assert ("actions" in permissions) == (
            (workflow, job_id) in {("deploy", "stacks"), ("drift", "stacks")}
        )


@pytest.mark.parametrize("workflow", ["test", "preview", "deploy", "drift", "newest"])
def test_actions_are_pinned_to_a_commit_with_the_release_in_a_comment(workflow):
    uses = [
        step["uses"] for job in jobs(workflow).values() for step in job.get("steps", []) if "uses" in step
    ] + [job["uses"] for job in jobs(workflow).values() if "uses" in job]
    assert uses
    lines = {
        match["ref"]: match["version"]
        for match in map(PINNED_LINE.match, (WORKFLOWS / f"{workflow}.yml").read_text().splitlines())
        if match
    }
    for ref in uses:
        if ref.startswith("./.github/workflows/"):
            continue
        assert PINNED.match(ref) or PINNED_DOCKER.match(ref), ref
        assert ref in lines, f"{ref}: no `# vX.Y.Z` comment naming the release"


def test_one_action_is_pinned_to_one_commit_everywhere():
    """The same action at the same release in every workflow (what dependabot bumps together)."""
    pins: dict[str, set[tuple[str, str]]] = {}
    for workflow in all_workflows():
        for match in map(PINNED_LINE.match, (WORKFLOWS / f"{workflow}.yml").read_text().splitlines()):
            if match and not match["ref"].startswith("docker://"):
                action, sha = match["ref"].split("@")
                pins.setdefault(action, set()).add((sha, match["version"]))
    assert set(pins) == {
        "actions/checkout",
        "actions/setup-python",
        "actions/setup-go",
        "aws-actions/configure-aws-credentials",
        "pulumi/actions",
        "actions/upload-artifact",
        "actions/download-artifact",
    }
    assert all(len(found) == 1 for found in pins.values()), pins


def test_dependabot_keeps_actions_python_and_go_tools_current_weekly():
    config = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    assert set(updates) == {"github-actions", "pip", "gomod"}
    assert all(update["schedule"]["interval"] == "weekly" for update in updates.values())
    assert updates["github-actions"]["directory"] == "/"
    assert updates["pip"]["directory"] == "/"
    assert updates["gomod"]["directories"] == ["/tools/*"]
    assert sorted(
        path.parent.name for path in (REPO_ROOT / "tools").glob("*/go.mod")
    )  # what /tools/* matches


@pytest.mark.parametrize("workflow", ["test", "preview", "deploy", "drift", "newest"])
def test_no_expression_is_pasted_into_a_shell_script(workflow):
    """Values reach `run:` scripts through `env:` only, so a branch or input name cannot inject shell."""
    for job in jobs(workflow).values():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), step.get("name")


def test_checkouts_do_not_keep_the_token():
    for workflow in all_workflows():
        for job in jobs(workflow).values():
            for step in steps_using(job, "actions/checkout"):
                assert step["with"]["persist-credentials"] is False


# -- test workflow ------------------------------------------------------------------------------------


def test_test_workflow_lints_tests_and_runs_the_cli_tests_for_real():
    test = load("test")
    assert {"push", "pull_request", "workflow_call"} <= set(test["on"])
    main = test["jobs"]["test"]
    assert any(step.get("run") == "bash .ci/run" for step in main["steps"])
    assert any(
        str(step.get("uses", "")).startswith("docker://rhysd/actionlint@sha256:") for step in main["steps"]
    )
    cli = test["jobs"]["cli"]
    assert steps_using(cli, "actions/setup-go")
    runs = [step.get("run", "") for step in cli["steps"]]
    assert any(run.startswith("scripts/engine") and "GITHUB_PATH" in run for run in runs)  # the pinned engine
    assert any("pulumi plugin install resource aws" in run for run in runs)
    assert not steps_using(cli, "pulumi/actions")  # never another CLI version than .ci/run tests
    pytest_step = next(step for step in cli["steps"] if "pytest" in step.get("run", ""))
    assert "-m layer6" in pytest_step["run"]
    assert "-p tests.no_skips" in pytest_step["run"]


def test_the_test_jobs_install_only_from_the_dev_lock():
    cli_runs = [step.get("run", "") for step in jobs("test")["cli"]["steps"]]
    assert "scripts/venv venv requirements-dev.lock" in cli_runs
    assert "scripts/venv .ci-venv requirements-dev.lock --clear\n" in (REPO_ROOT / ".ci" / "run").read_text()


# -- newest: the suite against the newest versions, proposing a lock bump -----------------------------


def test_newest_runs_weekly_and_by_hand_and_blocks_no_one():
    newest = load("newest")
    assert set(newest["on"]) == {"schedule", "workflow_dispatch"}  # never on a push or pull request
    assert [entry["cron"] for entry in newest["on"]["schedule"]] == ["41 4 * * 1"]
    assert not any("newest" in str(job.get("uses", "")) for job in jobs("deploy").values())


def test_newest_tests_the_upgraded_locks_and_proposes_them_only_when_green():
    newest_jobs = jobs("newest")
    runs = "\n".join(step.get("run", "") for step in newest_jobs["newest"]["steps"])
    assert "scripts/lock --upgrade" in runs
    assert "--require-hashes -r requirements-dev.lock" in runs  # hash-checked even at the newest versions
    assert "python -m pytest -n auto --dist loadfile" in runs
    assert newest_jobs["newest"]["permissions"] == {
        "contents": "read"
    }  # newest code runs without a write token
    propose = newest_jobs["propose"]
    assert propose["needs"] == "newest"  # a red suite proposes nothing
    propose_run = "\n".join(step.get("run", "") for step in propose["steps"])
    # the write token runs no project code
    assert "pytest" not in propose_run
    assert "pip install" not in propose_run
    # the token reaches git through gh's credential helper, never a command line or a URL
    assert "gh auth setup-git" in propose_run
    assert "GH_TOKEN" not in propose_run
    assert "x-access-token" not in propose_run


# -- actionlint: one pin, built from Go modules, and a script that says what is missing --------------

ACTIONLINT = REPO_ROOT / "scripts" / "actionlint"
ACTIONLINT_MODULE = REPO_ROOT / "tools" / "actionlint"


def pinned_actionlint_version() -> str:
    """The version tools/actionlint/go.mod requires (the one source scripts/actionlint reads)."""
    (version,) = re.findall(
        r"^\s*(?:require\s+)?github\.com/rhysd/actionlint (v\S+)",
        (ACTIONLINT_MODULE / "go.mod").read_text(),
        re.M,
    )
    return version


def test_actionlint_is_pinned_once_and_the_github_job_runs_the_same_version():
    version = pinned_actionlint_version()
    assert re.fullmatch(r"v1\.7\.\d+", version), version
    go_mod = (ACTIONLINT_MODULE / "go.mod").read_text()
    assert re.search(r"^tool github\.com/rhysd/actionlint/cmd/actionlint$", go_mod, re.M)
    assert re.search(r"^go 1\.26(\.\d+)?$", go_mod, re.M)  # buildable by Go 1.26.x without a download
    go_sum = (ACTIONLINT_MODULE / "go.sum").read_text()
    assert f"github.com/rhysd/actionlint {version} h1:" in go_sum  # the sources' checksum
    # scripts/actionlint reads the version from go.mod, so it names none of its own
    script = ACTIONLINT.read_text()
    assert "tools/actionlint" in script
    assert not re.search(r"\d+\.\d+\.\d+", script)
    assert os.access(ACTIONLINT, os.X_OK)
    steps = jobs("test")["test"]["steps"]
    (native,) = [s for s in steps if str(s.get("uses", "")).startswith("docker://rhysd/actionlint@")]
    (line,) = [line for line in (WORKFLOWS / "test.yml").read_text().splitlines() if native["uses"] in line]
    match = PINNED_LINE.match(line)
    assert match, line
    assert match["version"] == version.removeprefix("v")  # the image digest is the release go.mod pins


def test_ci_builds_actionlint_from_go_modules_and_the_job_sets_up_go():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "scripts/actionlint .github/workflows/*.yml" in ci
    assert "npm" not in ci
    assert "node" not in ci
    for retired in ("actionlint.cjs", "package.json", "package-lock.json"):
        assert not (REPO_ROOT / ".ci" / retired).exists(), retired
    steps = jobs("test")["test"]["steps"]
    (setup_go,) = steps_using(jobs("test")["test"], "actions/setup-go")
    assert setup_go["with"]["go-version"] == "1.26"
    assert setup_go["with"]["cache-dependency-path"] == "tools/*/go.sum"
    run_ci = next(i for i, s in enumerate(steps) if s.get("run") == "bash .ci/run")
    assert steps.index(setup_go) < run_ci


def test_scripts_actionlint_says_so_in_one_line_when_go_is_missing(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "awk"):  # what the script needs before it looks for go
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        [BASH, str(ACTIONLINT), "-version"],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("scripts/actionlint: go is not installed")
    assert not (tmp_path / "cache").exists()


def test_scripts_actionlint_says_so_in_one_line_when_the_module_proxy_is_unreachable(tmp_path):
    if shutil.which("go") is None:
        pytest.skip("go is not installed")
    cache = tmp_path / "cache"
    result = subprocess.run(
        [str(ACTIONLINT), "-version"],
        env={
            **os.environ,
            "XDG_CACHE_HOME": str(cache),
            "GOMODCACHE": str(tmp_path / "modcache"),  # empty: the sources must come from the proxy
            "GOPROXY": "off",
            "GOTOOLCHAIN": "local",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("scripts/actionlint: cannot build actionlint v"), line
    assert "GOPROXY=off" in line
    assert "module lookup disabled" in line  # go's own reason, on the same line
    (version_dir,) = (cache / "bitmovin-analytics-export").glob(f"actionlint-{pinned_actionlint_version()}-*")
    assert list(version_dir.iterdir()) == []  # no binary, no leftover build directory
