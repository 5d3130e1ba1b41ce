"""Independent expectations: what AWS must receive, written out by hand, never derived from the code.

Tests compare the code's output with these literals, so a change to a policy fails a test instead of
silently changing the expectation with it.
"""

from __future__ import annotations

from typing import Any

BITMOVIN_USER_ARN = "arn:aws:iam::630681592166:user/bitmovinCustomerS3Access"


def expected_trust_policy(external_id: str, principal: str = BITMOVIN_USER_ARN) -> dict[str, Any]:
    """Only Bitmovin's user, only with this external ID, only sts:AssumeRole."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BitmovinAnalyticsAssumeRole",
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
