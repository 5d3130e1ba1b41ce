"""Layer 1: scripts/environment_guard.py refuses stacks whose GitHub environment is missing or open.

The REST answers are stand-ins shaped like GitHub's "Get an environment" and "List deployment branch
policies" responses (REST API endpoints for deployment environments / branch policies).
"""

from __future__ import annotations

from typing import Any

import pytest

from scripts.environment_guard import check, main

pytestmark = pytest.mark.layer1

REPOSITORY = "my-org/bitmovin-analytics-export"
REVIEWERS = {"type": "required_reviewers", "prevent_self_review": True, "reviewers": [{"type": "User"}]}
MAIN_ONLY = {"protected_branches": False, "custom_branch_policies": True}


def environment(*, branch_policy: Any = MAIN_ONLY, rules: list | None = None) -> dict[str, Any]:
    return {"name": "x", "deployment_branch_policy": branch_policy, "protection_rules": rules or []}


def fake_github(
    environments: dict[str, dict[str, Any]], policies: dict[str, list[dict[str, str]]] | None = None
):
    calls: list[str] = []

    def fetch(path: str) -> tuple[int, Any]:
        calls.append(path)
        prefix = f"/repos/{REPOSITORY}/environments/"
        assert path.startswith(prefix), path
        rest = path.removeprefix(prefix)
        if rest.endswith("/deployment-branch-policies?per_page=100"):
            name = rest.split("/")[0]
            found = (policies or {}).get(name, [{"name": "main", "type": "branch"}])
            return 200, {"total_count": len(found), "branch_policies": found}
        if rest not in environments:
            return 404, None
        return 200, environments[rest]

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


def test_protected_environments_pass():
    fetch = fake_github({"acme-prod": environment(rules=[REVIEWERS, {"type": "branch_policy"}])})
    assert check(["acme-prod"], fetch, REPOSITORY, drift=False) == []
    fetch = fake_github({"acme-prod-drift": environment()})
    assert check(["acme-prod"], fetch, REPOSITORY, drift=True) == []  # no reviewers needed for drift


def test_a_missing_environment_is_refused_before_a_job_creates_it_unprotected():
    (message,) = check(["new-org"], fake_github({}), REPOSITORY, drift=False)
    assert message.startswith("environment new-org does not exist.")
    assert "creates it unprotected" in message
    (message,) = check(
        ["acme-prod"], fake_github({"acme-prod": environment(rules=[REVIEWERS])}), REPOSITORY, drift=True
    )
    assert message.startswith("environment acme-prod-drift does not exist.")


@pytest.mark.parametrize(
    ("env", "policies", "words"),
    [
        (environment(branch_policy=None, rules=[REVIEWERS]), None, "every branch may use it"),
        (
            environment(
                branch_policy={"protected_branches": True, "custom_branch_policies": False}, rules=[REVIEWERS]
            ),
            None,
            "every protected branch may use it",
        ),
        (environment(rules=[REVIEWERS]), [{"name": "*", "type": "branch"}], "policies are branch *"),
        (
            environment(rules=[REVIEWERS]),
            [{"name": "main", "type": "branch"}, {"name": "release/*", "type": "branch"}],
            "branch main, branch release/*",
        ),
        (environment(rules=[REVIEWERS]), [{"name": "main", "type": "tag"}], "policies are tag main"),
        (environment(rules=[REVIEWERS]), [], "policies are empty"),
        (environment(rules=[{"type": "branch_policy"}]), None, "no required reviewers"),
        (environment(rules=[{**REVIEWERS, "reviewers": []}]), None, "no required reviewers"),
    ],
)
def test_open_deploy_environments_are_refused(env, policies, words):
    fetch = fake_github({"acme-prod": env}, {"acme-prod": policies} if policies is not None else None)
    (message,) = check(["acme-prod"], fetch, REPOSITORY, drift=False)
    assert message.startswith("environment acme-prod: ")
    assert words in message


def test_main_prints_one_error_per_environment_and_fails(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    fetch = fake_github({"acme-prod": environment(branch_policy=None)})
    assert main(["--deploy", "--stacks-json", '["acme-prod", "dev"]'], fetch=fetch) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # acme-prod: branches and reviewers; dev: missing
    assert all(line.startswith("::error title=Unprotected environment::environment ") for line in lines)


def test_main_passes_protected_environments_and_refuses_bad_usage(capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    fetch = fake_github({"acme-prod-drift": environment()})
    assert main(["--drift", "--stacks-json", '["acme-prod"]'], fetch=fetch) == 0
    assert fetch.calls == [  # type: ignore[attr-defined]
        f"/repos/{REPOSITORY}/environments/acme-prod-drift",
        f"/repos/{REPOSITORY}/environments/acme-prod-drift/deployment-branch-policies?per_page=100",
    ]
    assert main(["--drift", "--stacks-json", "not json"], fetch=fetch) == 2
    assert main(["--drift", "--stacks-json", "[1]"], fetch=fetch) == 2
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert main(["--deploy", "--stacks-json", "[]"]) == 2
    assert "GITHUB_TOKEN and GITHUB_REPOSITORY must be set" in capsys.readouterr().err
