"""Why did an export task end in ERROR, and what fixes it? A pure function of what verify knows.

Bitmovin documents no reason field on ERROR tasks ("We were probably unable to transfer the export to
your storage"); where one is present (the local emulator reports the refusing AWS call in ``error``) it
decides, otherwise the read-only checks do:

- ``AccessControlListNotSupported``: the exporter sent an ACL to a bucket with ACLs disabled;
- AssumeRole refused and the trust policy is wrong: the trust policy requires another external ID
  (or principal);
- AssumeRole refused although the trust policy is right, or a refusal of unknown origin on a role
  younger than :data:`YOUNG_ROLE_SECONDS`: IAM has not propagated the new role yet (eventual
  consistency);
- S3 refused (AccessDenied on PutObject, ListObjectsV2, GetBucketLocation, ...): the call was made with
  the role's credentials, so Bitmovin assumed the role and the trust policy is not the cause: a
  permission problem, named by the IAM action the call needs (ListObjectsV2 needs ``s3:ListBucket``).
  On a role younger than :data:`YOUNG_ROLE_SECONDS` whose write policy is right, IAM may not have
  propagated its permissions yet. Propagation is the only cause worth an automatic retry;
- KMS refused: the key policy or the role's KMS statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from verify.export_tasks import ExportTaskError

YOUNG_ROLE_SECONDS = 15 * 60
# S3 API operation -> the IAM action it needs.
S3_ACTIONS = {
    "PutObject": "s3:PutObject",
    "PutObjectAcl": "s3:PutObjectAcl",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListBucket": "s3:ListBucket",
    "GetBucketLocation": "s3:GetBucketLocation",
}


@dataclass(frozen=True)
class Facts:
    """What the read-only checks found; None = unknown."""

    trust_ok: bool | None = None
    trust_problem: str | None = None
    write_policy_ok: bool | None = None
    role_age_seconds: float | None = None
    object_ownership: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Cause:
    """The likely cause, the fix, and whether starting another export may succeed without a change."""

    key: str
    title: str
    fix: str
    retry: bool = False


def diagnose(error: ExportTaskError | None, facts: Facts) -> Cause:
    """The most likely cause of an ERROR task."""
    code = (error.code or "") if error else ""
    text = " ".join(
        filter(None, [code, error.message if error else None, error.diagnosis if error else None])
    )
    operation = (error.operation or "") if error else ""
    young = facts.role_age_seconds is not None and facts.role_age_seconds < YOUNG_ROLE_SECONDS

    if "AccessControlListNotSupported" in text:
        return _acl_cause(certain=True)
    if "OutputNotFound" in code:
        return Cause(
            "output_missing",
            "the Bitmovin output no longer exists",
            "run `pulumi up --refresh`: the output is created again and the role trusts its external ID",
        )
    if operation == "AssumeRole" or "sts:AssumeRole" in text:
        if facts.trust_ok is False:
            return _trust_cause(facts)
        return _propagation_cause()
    if "KMS" in code or "kms:" in text:
        return Cause(
            "kms",
            "the KMS key refused the role",
            "the key policy must let the account's IAM policies grant use of the key, and the role needs "
            "kms:GenerateDataKey and kms:Decrypt on it: run `pulumi up`",
        )
    if code == "NoSuchBucket":
        return Cause(
            "bucket_missing",
            "the bucket does not exist",
            "run `pulumi up --refresh` (a deleted bucket is created again unless existingBucketName is set)",
        )
    if code in ("AccessDenied", "AllAccessDisabled") or (not code and operation in S3_ACTIONS):
        propagating = young and facts.write_policy_ok is not False
        if operation in S3_ACTIONS or (error is not None and error.service == "s3"):
            return _s3_refusal_cause(operation, facts, propagating=propagating)
        if propagating:
            return _propagation_cause()
        return _permission_cause(operation, facts)
    if error is None or not code:
        # No reason given: decide from the read-only checks.
        if facts.trust_ok is False:
            return _trust_cause(facts)
        if facts.write_policy_ok is False:
            return _permission_cause(operation, facts)
        if young:
            return _propagation_cause()
        if facts.object_ownership == "BucketOwnerEnforced":
            return _acl_cause(certain=False)
    return Cause(
        "unknown",
        f"the export failed ({error})" if error else "the export failed without a reason",
        "the read-only checks above passed; look at the task in the Bitmovin dashboard and give Bitmovin "
        "support the task id",
    )


def _acl_cause(*, certain: bool) -> Cause:
    title = (
        "the bucket refuses ACLs (AccessControlListNotSupported)"
        if certain
        else "no reason given; with the role and policies correct, the likely cause is that Bitmovin sends an "
        "ACL and the bucket has ACLs disabled (BucketOwnerEnforced)"
    )
    return Cause(
        "acl_not_supported",
        title,
        "`pulumi config set objectOwnership BucketOwnerPreferred && pulumi up` (public access stays blocked)",
    )


def _trust_cause(facts: Facts) -> Cause:
    return Cause(
        "trust_mismatch",
        "the role's trust policy does not admit Bitmovin with the output's external ID",
        f"run `pulumi up --refresh` so the trust policy requires sts:ExternalId {facts.external_id}"
        if facts.external_id
        else "run `pulumi up --refresh` so the trust policy requires the output's external ID",
    )


def _propagation_cause() -> Cause:
    return Cause(
        "iam_propagation",
        "the role is not assumable yet: IAM changes take a while to reach every region after `pulumi up`",
        "wait a minute and run `venv/bin/python -m verify --export` again",
        retry=True,
    )


def _s3_refusal_cause(operation: str, facts: Facts, *, propagating: bool) -> Cause:
    """S3 refused a call Bitmovin made with the role's credentials: the role was assumed, so this is the
    role's permissions (or a deny elsewhere), never "not assumable"."""
    action = S3_ACTIONS.get(operation)
    refused = action or "an S3 action"
    if action and action != f"s3:{operation}":
        refused += f" ({operation})"  # ListObjectsV2 needs s3:ListBucket: name both
    title = f"S3 refused {refused} to the role: a permission problem (Bitmovin assumed the role)"
    if not propagating:
        return _permission_cause(operation, facts, title=title)
    right = " and its write policy is the program's" if facts.write_policy_ok else ""
    return Cause(
        "permission_propagation",
        f"{title}; the role is {facts.role_age_seconds or 0:.0f} s old{right}, so IAM may not have "
        "propagated its permissions yet",
        f"wait a minute and run `venv/bin/python -m verify --export` again; if S3 still refuses "
        f"{action or 'it'}, look for bucket policies, SCPs and permission boundaries that deny it",
        retry=True,
    )


def _permission_cause(operation: str, facts: Facts, title: str | None = None) -> Cause:
    drift = (
        " (the deployed write policy differs from the program's)" if facts.write_policy_ok is False else ""
    )
    what = S3_ACTIONS.get(operation, "an S3 action")
    return Cause(
        "missing_permission",
        f"{title or f'S3 refused {what} for the role'}{drift}",
        "run `pulumi up` to restore the role's write policy (s3:GetBucketLocation, s3:ListBucket on the bucket; "
        "s3:PutObject, s3:PutObjectAcl under the prefix) and check bucket policies and SCPs for denies",
    )
