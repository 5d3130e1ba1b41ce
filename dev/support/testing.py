"""What many tests share: example values, a clock that records pauses instead of sleeping, offline AWS
(moto in-process) helpers, and the outputs of a deployed acme stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

# Example values that mean the same in every test module.
ORG_ID = "5d7c3b1a-8e4f-4a2b-9c6d-0e1f2a3b4c5d"  # a Bitmovin organization (X-Tenant-Org-Id)
OTHER_ORG_ID = "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5"  # a second organization, for isolation tests
KMS_KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET = "acme-analytics"
ROLE_ARN = "arn:aws:iam::123456789012:role/bitmovin-analytics-dev"
EXTERNAL_ID = "3c6a2c1e-6a0e-4f4e-9a55-2b1c0d9e8f7a"  # a CUSTOM external ID (sts:ExternalId)


class RecordingClock:
    """A ``bitmovin_api.http_policy.Clock`` that records each pause instead of sleeping: fully virtual.

    ``monotonic()`` starts at 0 and advances only by the recorded pauses and by :meth:`advance`, never
    with real time, so retry budgets and settle deadlines see exactly the pauses the client decided on,
    however slowly the machine runs. What is real stays real: the socket timeouts of the HTTP client
    (urllib3) and an emulator's delays; a test that measures those reads ``time.monotonic()`` itself.
    ``on_sleep`` (optional) runs after each recorded pause: a test about a late server uses it to let
    that server act first, as it would during a real pause.
    """

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[float], object] | None = None
        self._now = 0.0

    def monotonic(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass without a pause of the client (time spent elsewhere)."""
        self._now += seconds


@contextmanager
def offline_aws(monkeypatch: Any, region: str) -> Iterator[None]:
    """moto's in-process AWS with dummy credentials; nothing from the caller's AWS setup leaks in."""
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


def assume_role_user(iam: Any, user_name: str) -> dict[str, Any]:
    """A moto IAM user that may call ``sts:AssumeRole`` (a same-account stand-in for another
    principal: Bitmovin's user, a crawler); returns its access key (``AccessKeyId``, ``SecretAccessKey``)."""
    iam.create_user(UserName=user_name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user_name, PolicyName="assume", PolicyDocument=json.dumps(policy))
    return iam.create_access_key(UserName=user_name)["AccessKey"]


def assumed_s3_client(keys: Mapping[str, str], region: str, **assume_role: str) -> Any:
    """An S3 client acting as the role ``assume_role`` names (``RoleArn``, ``RoleSessionName``, ...),
    assumed with the access ``keys`` of a moto IAM user."""
    import boto3

    sts = boto3.client(
        "sts", aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"]
    )
    credentials = sts.assume_role(**assume_role)["Credentials"]
    return boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def allowed(call: Callable[[], object]) -> bool:
    """True if ``call`` succeeds, False if AWS answers AccessDenied; any other error propagates."""
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        if error.response["Error"]["Code"] != "AccessDenied":
            raise
        return False
    return True


# The outputs of a deployed acme stack, as verify reads them (tests of verify).
ACME_EXTERNAL_ID = "3c6a2c1e-6a0e-4f4e-9a55-2b1c0d9e8f7a"
ACME_STACK_OUTPUTS = {
    "outputId": "cb90b80c-8867-4e3b-8479-174aa2843f62",
    "externalId": ACME_EXTERNAL_ID,
    "externalIdMode": "GLOBAL",
    "roleArn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export-acme",
    "roleName": "bitmovin-analytics-export-acme",
    "bucketName": "acme-analytics",
    "bucketArn": "arn:aws:s3:::acme-analytics",
    "region": "eu-central-1",
    "tenantOrgId": "",
    "exportPrefix": "analytics/",
}
