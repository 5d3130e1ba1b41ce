"""Default names derived from the stack (pure functions).

Bucket names are global across all AWS accounts, so a default such as ``bitmovin-analytics-prod``
would collide with another customer's bucket; the default bucket name therefore ends with the
account id. Role names are unique per account, so the stack name is enough there. Whenever a stack
name has to be shortened or rewritten to fit, a short hash of the original keeps two stacks apart.
"""

from __future__ import annotations

import hashlib
import re

from providers.validation import MAX_BUCKET_NAME_LENGTH, MAX_ROLE_NAME_LENGTH

BUCKET_NAME_PREFIX = "bitmovin-analytics-"
ROLE_NAME_PREFIX = "bitmovin-analytics-export-"
_HASH_LENGTH = 6


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_HASH_LENGTH]


def stack_slug(stack: str, budget: int) -> str:
    """``stack`` as lowercase letters, digits and single dashes, at most ``budget`` characters.

    Stable: the same stack always gives the same slug. A hash is appended when the slug is not the
    stack name verbatim (truncated, case-folded or rewritten), so ``Dev`` and ``dev`` differ.
    """
    if budget < _HASH_LENGTH + 2:
        raise ValueError(f"budget {budget} is too small for a stack slug")
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", stack.lower())).strip("-") or "stack"
    if slug == stack and len(slug) <= budget:
        return slug
    head = slug[: budget - _HASH_LENGTH - 1].rstrip("-")
    return f"{head}-{_hash(stack)}" if head else _hash(stack)


def default_bucket_name(stack: str, account_id: str) -> str:
    """``bitmovin-analytics-<stack>-<account id>``, at most 63 characters, a valid S3 bucket name."""
    budget = MAX_BUCKET_NAME_LENGTH - len(BUCKET_NAME_PREFIX) - 1 - len(account_id)
    return f"{BUCKET_NAME_PREFIX}{stack_slug(stack, budget)}-{account_id}"


def default_role_name(stack: str) -> str:
    """``bitmovin-analytics-export-<stack>``, at most 64 characters, a valid IAM role name."""
    return f"{ROLE_NAME_PREFIX}{stack_slug(stack, MAX_ROLE_NAME_LENGTH - len(ROLE_NAME_PREFIX))}"


def default_output_name(project: str, stack: str) -> str:
    """The name shown in the Bitmovin dashboard: ``<project>-<stack>``."""
    return f"{project}-{stack}"


def output_description(bucket: str, prefix: str, project: str, stack: str) -> str:
    """The output's default description: where it exports to and which stack manages it."""
    return f"Bitmovin Analytics exports to s3://{bucket}/{prefix} (Pulumi stack {project}/{stack})"
