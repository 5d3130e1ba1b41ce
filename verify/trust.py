"""Judge a deployed trust policy: Bitmovin's principal, ``sts:AssumeRole``, the external ID, nothing else.

The IAM policy simulator cannot do this (it ignores trust policies for ``sts:Assume*``, aws/aws-cli#10314),
so verify decides it in two independent ways:

- *meaning*: ``verify.trust_evaluation`` must allow Bitmovin with the external ID and refuse
  Bitmovin without it, with another ID, and any other principal;
- *shape*: every Allow statement must be exactly the statement the program writes, so a hand-added
  grant (another principal, ``sts:TagSession``, a looser operator) is reported even where the probes
  above cannot reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from verify.trust_evaluation import (
    ASSUME_ROLE,
    EXTERNAL_ID_KEY,
    AssumeRoleRequest,
    evaluate_assume_role,
    parse_policy,
    statements,
)

PROBE_WRONG_ID = "verify-probe-not-the-external-id"
PROBE_STRANGERS = (
    "arn:aws:iam::111122223333:user/not-bitmovin",
    "arn:aws:iam::111122223333:role/not-bitmovin",
)


@dataclass(frozen=True)
class TrustJudgement:
    """``ok`` when the policy admits exactly the principal with the external ID; ``problems`` otherwise."""

    ok: bool
    problems: list[str] = field(default_factory=list)
    required_external_ids: list[str] = field(default_factory=list)


def required_external_ids(policy: Any, principal: str) -> list[str]:
    """The ``sts:ExternalId`` values that Allow statements naming ``principal`` require (StringEquals)."""
    found: list[str] = []
    for statement in statements(parse_policy(policy)):
        if statement.get("Effect") != "Allow" or not _names_only(statement.get("Principal"), principal):
            continue
        for operator, keys in (statement.get("Condition") or {}).items():
            if operator != "StringEquals" or not isinstance(keys, dict):
                continue
            for key, value in keys.items():
                if key.lower() == EXTERNAL_ID_KEY.lower():
                    found.extend([value] if isinstance(value, str) else [str(v) for v in value])
    return list(dict.fromkeys(found))


def judge_trust_policy(policy_document: Any, principal: str, external_id: str) -> TrustJudgement:
    """Meaning and shape of a trust policy against the expected principal and external ID."""
    try:
        policy = parse_policy(policy_document)
    except (ValueError, TypeError) as error:
        return TrustJudgement(False, [f"the trust policy is not valid JSON ({error})"])
    problems: list[str] = []
    ids = required_external_ids(policy, principal)
    admitted = evaluate_assume_role(policy, AssumeRoleRequest(principal, external_id))
    if ids and external_id not in ids:
        problems.append(
            f"it requires sts:ExternalId {', '.join(ids)}, the output's external ID is {external_id}"
        )
    elif not admitted.allowed:
        problems.append(f"Bitmovin with external ID {external_id} is refused ({admitted.reason})")
    must_refuse = [
        (AssumeRoleRequest(principal, None), "Bitmovin without an external ID"),
        (AssumeRoleRequest(principal, PROBE_WRONG_ID), "Bitmovin with another external ID"),
        *[(AssumeRoleRequest(stranger, external_id), stranger) for stranger in PROBE_STRANGERS],
    ]
    for request, who in must_refuse:
        if evaluate_assume_role(policy, request).allowed:
            problems.append(f"{who} would be admitted")
    for index, statement in enumerate(statements(policy)):
        if statement.get("Effect") != "Allow":
            continue
        extra = _shape_problem(statement, principal, external_id)
        if extra:
            sid = statement.get("Sid")
            problems.append(f"statement {index + 1}{f' ({sid})' if sid else ''} {extra}")
    return TrustJudgement(not problems, list(dict.fromkeys(problems)), ids)


def _names_only(principal: Any, expected: str) -> bool:
    if not isinstance(principal, dict) or set(principal) != {"AWS"}:
        return False
    value = principal["AWS"]
    return value == expected or value == [expected]


def _shape_problem(statement: dict[str, Any], principal: str, external_id: str) -> str | None:
    """What makes an Allow statement differ from the one the program writes, or None."""
    unexpected = sorted(set(statement) - {"Sid", "Effect", "Principal", "Action", "Condition"})
    if unexpected:
        return f"has unexpected element(s) {', '.join(unexpected)}"
    if not _names_only(statement.get("Principal"), principal):
        return f"trusts {statement.get('Principal')!r} instead of only {principal}"
    action = statement.get("Action")
    if action not in (ASSUME_ROLE, [ASSUME_ROLE]):
        return f"allows {action!r} instead of only {ASSUME_ROLE}"
    condition = statement.get("Condition")
    if (
        not isinstance(condition, dict)
        or set(condition) != {"StringEquals"}
        or not isinstance(condition["StringEquals"], dict)
        or set(condition["StringEquals"]) != {EXTERNAL_ID_KEY}
        or not isinstance(condition["StringEquals"][EXTERNAL_ID_KEY], str | list)
    ):
        return f"has Condition {condition!r} instead of StringEquals {EXTERNAL_ID_KEY} = {external_id}"
    value = condition["StringEquals"][EXTERNAL_ID_KEY]
    if isinstance(value, list) and len(value) != 1:
        return f"accepts several external IDs {value!r} instead of only {external_id}"
    return None  # a different single value is reported once, from required_external_ids
