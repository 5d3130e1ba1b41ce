"""``iam:SimulatePrincipalPolicy`` answered by ``iam_model``, for the tests of verify's simulator check.

moto does not implement the simulator, and a botocore ``Stubber`` with hand-written answers agrees with
whatever the caller asks: a simulation that omits a condition key the policy needs would still be
"allowed". Here each answer is the model's decision for the request actually sent (every action on
every resource, with the request's ``ContextEntries`` as the only condition keys, as AWS's simulator
takes them: docs/iam-model.md, "The simulator"), against the policies given for the principal. botocore
still validates the request and the answer against the IAM service model (the Stubber's checks).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.stub import Stubber

from dev.support import iam_model

# iam_model's decisions as the simulator spells them (PolicyEvaluationDecisionType).
EVAL_DECISIONS = {"allow": "allowed", "explicit-deny": "explicitDeny", "implicit-deny": "implicitDeny"}


def context_of(entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``ContextEntries`` as the model's request context; only single-valued keys are modelled."""
    context: dict[str, str] = {}
    for entry in entries:
        values = entry["ContextKeyValues"]
        if len(values) != 1:
            raise NotImplementedError(f"the model takes one value per key, not {entry!r}")
        context[entry["ContextKeyName"]] = values[0]
    return context


def arn_template(resource: str) -> str:
    """The resource type's ARN template, which IAM now returns as the top-level ``EvalResourceName``
    (Service Authorization Reference); only the types verify simulates are known."""
    if resource.startswith("arn:") and resource.split(":")[2] == "s3":
        kind = "/${KeyName}" if "/" in resource.split(":", 5)[5] else ""
        return "arn:${Partition}:s3:::${BucketName}" + kind
    if resource.startswith("arn:") and resource.split(":")[2] == "kms" and ":key/" in resource:
        return "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}"
    raise NotImplementedError(f"the simulator stand-in knows no ARN template for {resource}")


def simulate(
    policies: Sequence[Mapping[str, Any]], params: Mapping[str, Any], *, older_shape: bool = False
) -> dict[str, Any]:
    """The simulator's answer to one request: the decision for each action on each resource.

    As IAM answers now (botocore's IAM model, EvaluationResult): one result per action, the resource
    type's ARN template as ``EvalResourceName``, each resource's decision in ``ResourceSpecificResults``.
    The top-level ``EvalDecision`` over several resources is not documented; here it is the most
    restrictive one, so a caller that reads it instead of the per-resource decisions is caught.
    ``older_shape``: one result per action and resource, named at the top, no per-resource list."""
    context = context_of(params.get("ContextEntries", []))
    resources = params.get("ResourceArns", ["*"])
    results = []
    for action in params["ActionNames"]:
        decisions = {
            resource: EVAL_DECISIONS[iam_model.evaluate_identity(policies, action, resource, context)]
            for resource in resources
        }
        if older_shape:
            results += [
                {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision}
                for resource, decision in decisions.items()
            ]
            continue
        overall = next((d for d in ("explicitDeny", "implicitDeny") if d in decisions.values()), "allowed")
        results.append(
            {
                "EvalActionName": action,
                "EvalResourceName": "*" if resources == ["*"] else arn_template(resources[0]),
                "EvalDecision": overall,
                "ResourceSpecificResults": [
                    {"EvalResourceName": resource, "EvalResourceDecision": decision}
                    for resource, decision in decisions.items()
                ],
            }
        )
    return {"EvaluationResults": results, "IsTruncated": False}


@contextmanager
def model_simulator(
    client: Any, principal_arn: str, policies: Sequence[Mapping[str, Any]], *, older_shape: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """While active, ``client``'s SimulatePrincipalPolicy calls are answered by the model for
    ``principal_arn`` holding ``policies`` (any other principal: NoSuchEntity, as IAM answers).
    Yields the requests, in order; any other call on ``client`` fails (nothing is stubbed for it)."""
    stubber = Stubber(client)
    requests: list[dict[str, Any]] = []

    def answer(params: dict[str, Any], **_: Any) -> None:
        # provide-client-params is emitted before the Stubber checks the queue (before-parameter-build).
        requests.append(copy.deepcopy(params))
        if params.get("PolicySourceArn") != principal_arn:
            stubber.add_client_error(
                "simulate_principal_policy",
                "NoSuchEntity",
                f"the model knows only {principal_arn}",
                404,
                expected_params=copy.deepcopy(params),
            )
            return
        response = simulate(policies, params, older_shape=older_shape)
        stubber.add_response("simulate_principal_policy", response, copy.deepcopy(params))

    event = "provide-client-params.iam.SimulatePrincipalPolicy"
    client.meta.events.register(event, answer)
    try:
        with stubber:
            yield requests
        stubber.assert_no_pending_responses()
    finally:
        client.meta.events.unregister(event, answer)
