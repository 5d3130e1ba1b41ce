"""Layer 5: the sample OIDC trust policies in docs/ci/ are valid and trust exactly what the workflows send.

GitHub's OIDC token carries ``sub = repo:<owner>/<repo>:pull_request`` in pull-request jobs,
``repo:<owner>/<repo>:ref:refs/heads/main`` in jobs on main without an environment (drift), and
``repo:<owner>/<repo>:environment:<name>`` in jobs with an environment (deploy: one per stack).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

pytestmark = pytest.mark.layer5

REPO = Path(__file__).resolve().parent.parent
ISSUER = "token.actions.githubusercontent.com"
REPOSITORY = "repo:my-org/bitmovin-analytics-export"


def trust(name: str) -> dict:
    return json.loads((REPO / "docs" / "ci" / f"github-oidc-trust-{name}.json").read_text())


@pytest.mark.parametrize("name", ["preview", "deploy"])
def test_sample_trust_policies_are_valid_web_identity_trusts(name):
    document = trust(name)
    IAMTrustPolicyDocumentValidator(json.dumps(document)).validate()
    (statement,) = document["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"]["Federated"].endswith(f":oidc-provider/{ISSUER}")
    assert statement["Condition"]["StringEquals"][f"{ISSUER}:aud"] == "sts.amazonaws.com"
    assert "StringLike" not in statement["Condition"]  # no wildcard subjects


def test_preview_role_is_for_pull_requests_and_main_only():
    subjects = trust("preview")["Statement"][0]["Condition"]["StringEquals"][f"{ISSUER}:sub"]
    assert sorted(subjects) == [f"{REPOSITORY}:pull_request", f"{REPOSITORY}:ref:refs/heads/main"]


def test_deploy_role_is_for_one_environment_which_only_the_deploy_job_uses():
    subject = trust("deploy")["Statement"][0]["Condition"]["StringEquals"][f"{ISSUER}:sub"]
    assert subject == f"{REPOSITORY}:environment:acme-prod"
    workflows = {
        path.stem: yaml.safe_load(path.read_text()) for path in (REPO / ".github" / "workflows").glob("*.yml")
    }
    with_environment = [
        (name, job_id)
        for name, doc in workflows.items()
        for job_id, job in doc["jobs"].items()
        if "environment" in job
    ]
    assert with_environment == [("deploy", "deploy")]
