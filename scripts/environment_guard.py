"""Refuse to run CI for a stack whose GitHub environment is missing or not protected.

    python scripts/environment_guard.py --deploy --stacks-json '["acme-prod"]'   # environment acme-prod
    python scripts/environment_guard.py --drift --stacks-json '["acme-prod"]'    # environment acme-prod-drift

A job that names an environment which does not exist creates it, without any protection, and gets
its secrets; and GitHub's OIDC `environment` subject says nothing about the branch. So before any job
enters a stack's environment, the workflow's `stacks` job (on main) checks through the REST API
(``GET /repos/{owner}/{repo}/environments/{name}`` and its ``deployment-branch-policies``; the
job's token needs ``actions: read``) that each environment

* exists,
* lets only the branch ``main`` use it (a custom deployment branch policy naming ``main`` alone), and
* for deploys (``--deploy``), has required reviewers.

Drift environments (``--drift``, ``<stack>-drift``) need no reviewers (required reviewers would make
every daily check wait for an approval; they still apply with ``deployment: false``).

Reads ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY`` and ``GITHUB_API_URL`` (set by Actions). Exit status 1
when any environment fails (one ``::error::`` line each), 2 on bad usage. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

DRIFT_SUFFIX = "-drift"
MAIN = "main"
Fetch = Callable[[str], tuple[int, Any]]  # API path -> (HTTP status, decoded JSON body or None)


def environment_name(stack: str, *, drift: bool) -> str:
    return f"{stack}{DRIFT_SUFFIX}" if drift else stack


def problems(
    environment: Mapping[str, Any], branch_policies: list[Mapping[str, Any]] | None, *, reviewers: bool
) -> list[str]:
    """What is wrong with one existing environment (``GET .../environments/{name}``), given its
    custom deployment branch policies (``None`` when it has no custom policies)."""
    found: list[str] = []
    branch_rule = environment.get("deployment_branch_policy")
    if not branch_rule:
        found.append("every branch may use it: set Deployment branches to the custom branch `main` only")
    elif branch_rule.get("protected_branches"):
        found.append(
            "every protected branch may use it: set Deployment branches to the custom branch `main` only"
        )
    else:
        names = sorted(
            f"{policy.get('type', 'branch')} {policy.get('name')}" for policy in branch_policies or []
        )
        if names != [f"branch {MAIN}"]:
            found.append(
                f"its deployment branch policies are {', '.join(names) or 'empty'}: allow the branch `main` only"
            )
    if reviewers:
        rules = [rule for rule in environment.get("protection_rules") or [] if isinstance(rule, Mapping)]
        if not any(rule.get("type") == "required_reviewers" and rule.get("reviewers") for rule in rules):
            found.append(
                "it has no required reviewers: add the people who approve this organization's deploys"
            )
    return found


def check(stacks: list[str], fetch: Fetch, repository: str, *, drift: bool) -> list[str]:
    """One message per failing environment; empty when every environment is protected."""
    messages = []
    for stack in stacks:
        name = environment_name(stack, drift=drift)
        path = f"/repos/{repository}/environments/{urllib.parse.quote(name, safe='')}"
        status, environment = fetch(path)
        if status == 404:
            messages.append(
                f"environment {name} does not exist. Create it (Settings → Environments) with the branch `main` "
                f"as its only deployment branch{'' if drift else ' and required reviewers'} before this "
                "workflow runs for the stack: a job naming a missing environment creates it unprotected."
            )
            continue
        if status != 200 or not isinstance(environment, Mapping):
            messages.append(f"environment {name}: GET {path} answered HTTP {status}")
            continue
        policies = None
        if (environment.get("deployment_branch_policy") or {}).get("custom_branch_policies"):
            status, body = fetch(f"{path}/deployment-branch-policies?per_page=100")
            if status != 200 or not isinstance(body, Mapping):
                messages.append(f"environment {name}: its deployment branch policies answered HTTP {status}")
                continue
            policies = list(body.get("branch_policies") or [])
        messages += [
            f"environment {name}: {text}" for text in problems(environment, policies, reviewers=not drift)
        ]
    return messages


def github_fetch(api_url: str, token: str) -> Fetch:
    if not api_url.startswith("https://"):
        raise ValueError(f"GITHUB_API_URL must be an https URL, got {api_url!r}")

    def fetch(path: str) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 (an https URL, checked above)
            api_url.rstrip("/") + path,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, None

    return fetch


def main(argv: list[str] | None = None, fetch: Fetch | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--deploy", action="store_true", help="environments <stack>, with reviewers")
    mode.add_argument("--drift", action="store_true", help="environments <stack>-drift")
    parser.add_argument("--stacks-json", required=True, help='the stack matrix, e.g. ["acme-prod"]')
    args = parser.parse_args(argv)
    try:
        stacks = json.loads(args.stacks_json)
    except json.JSONDecodeError:
        stacks = None
    if not isinstance(stacks, list) or not all(isinstance(stack, str) for stack in stacks):
        print(
            f"environment_guard: --stacks-json is not a JSON list of names: {args.stacks_json!r}",
            file=sys.stderr,
        )
        return 2
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    if fetch is None:
        token = os.environ.get("GITHUB_TOKEN", "")
        if not token or not repository:
            print("environment_guard: GITHUB_TOKEN and GITHUB_REPOSITORY must be set", file=sys.stderr)
            return 2
        fetch = github_fetch(os.environ.get("GITHUB_API_URL", "https://api.github.com"), token)
    messages = check(stacks, fetch, repository, drift=args.drift)
    for message in messages:
        print(f"::error title=Unprotected environment::{message}")
    if not messages:
        print(f"environment_guard: {len(stacks)} environment(s) protected")
    return 1 if messages else 0


if __name__ == "__main__":
    sys.exit(main())
