"""Layer 5: the sample OIDC trust policies in docs/ci/ are valid and trust exactly what the workflows send.

GitHub's OIDC token carries ``sub = repo:<owner>/<repo>:pull_request`` in pull-request jobs and
``repo:<owner>/<repo>:environment:<name>`` in jobs with an environment (deploy: ``<stack>``; drift:
``<stack>-drift``). The environment subject says nothing about the branch or the workflow file, so
the deploy and drift statements also check ``job_workflow_ref`` (``<owner>/<repo>/<path>@<ref>``)
and ``ref``, claims AWS STS passes as condition keys since January 2026 (README, "Pull requests,
deploys and drift"). Tokens are modelled from GitHub's "OpenID Connect reference" and judged by the
project's IAM condition evaluator (dev/support/iam_model.py).
"""

from __future__ import annotations

import json

import pytest
import yaml
from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

from dev.support import REPO_ROOT
from dev.support.iam_model import web_identity_allowed

pytestmark = pytest.mark.layer5

ISSUER = "token.actions.githubusercontent.com"
PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
OWNER_REPO = "my-org/bitmovin-analytics-export"
REPOSITORY = f"repo:{OWNER_REPO}"


def trust(name: str) -> dict:
    return json.loads((REPO_ROOT / "docs" / "ci" / f"github-oidc-trust-{name}.json").read_text())


def token(
    workflow: str,
    ref: str,
    *,
    environment: str | None = None,
    event: str = "push",
    repository: str = OWNER_REPO,
    aud: str = "sts.amazonaws.com",
) -> dict[str, str]:
    """The claims of a job's OIDC token, keyed as IAM names them."""
    if environment is not None:
        sub = f"repo:{repository}:environment:{environment}"
    elif event == "pull_request":
        sub = f"repo:{repository}:pull_request"
    else:
        sub = f"repo:{repository}:ref:{ref}"
    claims = {
        "aud": aud,
        "sub": sub,
        "ref": ref,
        "repository": repository,
        "job_workflow_ref": f"{repository}/.github/workflows/{workflow}@{ref}",
    }
    if environment is not None:
        claims["environment"] = environment
    return {f"{ISSUER}:{key}": value for key, value in claims.items()}


def allowed(role: str, claims: dict[str, str]) -> bool:
    return web_identity_allowed(trust(role), PROVIDER, claims)


MAIN = "refs/heads/main"
PR_REF = "refs/pull/7/merge"


@pytest.mark.parametrize("name", ["preview", "deploy"])
def test_sample_trust_policies_are_valid_web_identity_trusts(name):
    document = trust(name)
    IAMTrustPolicyDocumentValidator(json.dumps(document)).validate()
    for statement in document["Statement"]:
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"] == PROVIDER
        assert statement["Condition"]["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
        assert set(statement["Condition"]) == {"StringEquals"}  # no wildcards, no ForAllValues


def test_the_evaluator_is_live():
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ],
    }
    assert web_identity_allowed(document, PROVIDER, {})
    assert not web_identity_allowed(document, PROVIDER.replace("123456789012", "210987654321"), {})
    document["Statement"][0]["Condition"] = {"StringEquals": {f"{ISSUER}:job_workflow_ref": "x"}}
    assert not web_identity_allowed(document, PROVIDER, {})  # a claim IAM did not get fails


# -- deploy ----------------------------------------------------------------------------------------


def test_deploy_role_trusts_deploy_yml_on_main_in_the_stacks_environment():
    assert allowed("deploy", token("deploy.yml", MAIN, environment="acme-prod"))


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        (
            token("deploy.yml", "refs/heads/feature", environment="acme-prod"),
            "deploy.yml from another branch",
        ),
        (token("evil.yml", MAIN, environment="acme-prod"), "another workflow on main naming the environment"),
        (token("evil.yml", "refs/heads/feature", environment="acme-prod"), "another workflow on a branch"),
        (token("deploy.yml", "refs/tags/v1", environment="acme-prod"), "deploy.yml from a tag"),
        (token("drift.yml", MAIN, environment="acme-prod"), "the drift workflow in the deploy environment"),
        (token("drift.yml", MAIN, environment="acme-prod-drift"), "a drift check"),
        (token("deploy.yml", MAIN, environment="globex-prod"), "another organization's environment"),
        (token("preview.yml", PR_REF, event="pull_request"), "a pull request"),
        (token("deploy.yml", MAIN), "main without the environment"),
        (
            token(
                "deploy.yml", MAIN, environment="acme-prod", repository="mallory/bitmovin-analytics-export"
            ),
            "a fork",
        ),
        (
            token("deploy.yml", MAIN, environment="acme-prod", aud="https://github.com/my-org"),
            "another audience",
        ),
    ],
)
def test_deploy_role_refuses_every_other_token(claims, why):
    assert not allowed("deploy", claims), why


def test_deploy_role_refuses_a_token_without_the_workflow_claims():
    """Where IAM passes no job_workflow_ref (a partition without the 2026 keys), nobody gets in."""
    claims = token("deploy.yml", MAIN, environment="acme-prod")
    del claims[f"{ISSUER}:job_workflow_ref"]
    assert not allowed("deploy", claims)


# -- preview and drift ----------------------------------------------------------------------------


def test_preview_role_trusts_pull_requests_and_drift_checks_on_main():
    assert allowed("preview", token("preview.yml", PR_REF, event="pull_request"))
    assert allowed("preview", token("drift.yml", MAIN, environment="acme-prod-drift"))
    assert allowed("preview", token("drift.yml", MAIN, environment="dev-drift"))


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        (
            token("drift.yml", "refs/heads/feature", environment="acme-prod-drift"),
            "drift.yml from another branch",
        ),
        (token("evil.yml", MAIN, environment="acme-prod-drift"), "another workflow in a drift environment"),
        (token("deploy.yml", MAIN, environment="acme-prod"), "a deploy (it has its own role)"),
        (token("drift.yml", MAIN, environment="acme-prod"), "drift.yml in the deploy environment"),
        (token("drift.yml", MAIN), "main without an environment"),
        (token("evil.yml", "refs/heads/feature"), "a branch push"),
        (
            token(
                "preview.yml", PR_REF, event="pull_request", repository="mallory/bitmovin-analytics-export"
            ),
            "a fork",
        ),
    ],
)
def test_preview_role_refuses_every_other_token(claims, why):
    assert not allowed("preview", claims), why


# -- the samples and the workflows agree ----------------------------------------------------------------


def workflows() -> dict[str, dict]:
    return {
        path.name: yaml.safe_load(path.read_text())
        for path in (REPO_ROOT / ".github" / "workflows").glob("*.yml")
    }


def environment_of(job: dict) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


def test_only_the_deploy_and_drift_jobs_use_environments_and_the_samples_name_their_files():
    with_environment = {
        (name, job_id): environment_of(job)
        for name, doc in workflows().items()
        for job_id, job in doc["jobs"].items()
        if "environment" in job
    }
    assert with_environment == {
        ("deploy.yml", "deploy"): "${{ matrix.stack }}",
        ("drift.yml", "drift"): "${{ matrix.stack }}-drift",
    }
    deploy = trust("deploy")["Statement"][0]["Condition"]["StringEquals"]
    assert deploy[f"{ISSUER}:sub"] == f"{REPOSITORY}:environment:acme-prod"
    assert deploy[f"{ISSUER}:job_workflow_ref"] == f"{OWNER_REPO}/.github/workflows/deploy.yml@{MAIN}"
    assert workflows()["deploy.yml"]["jobs"]["deploy"]["steps"]  # the file the sample names
    drift = trust("preview")["Statement"][1]["Condition"]["StringEquals"]
    assert drift[f"{ISSUER}:job_workflow_ref"] == f"{OWNER_REPO}/.github/workflows/drift.yml@{MAIN}"
    assert all(subject.endswith("-drift") for subject in drift[f"{ISSUER}:sub"])
