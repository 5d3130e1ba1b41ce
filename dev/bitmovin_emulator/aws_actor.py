"""The emulator acting as Bitmovin toward AWS (or a moto server): assume the role, write, confirm.

For each export task it does what Bitmovin's exporter does with an S3 role-based output:

1. decide the role's trust policy itself (``iam:GetRole`` + ``verify.trust_evaluation``),
   because moto does not enforce cross-account trust policies; the principal is whoever the
   Bitmovin credentials are (``sts:GetCallerIdentity``);
2. ``sts:AssumeRole`` with the output's role ARN and external ID;
3. with the assumed credentials: ``s3:GetBucketLocation``, one ``PutObject`` per hour of data under
   ``outputPath``, then a listing to confirm every file is there (Bitmovin's documented use of
   ``s3:ListBucket``).

Any refusal raises :class:`AwsRefusal` carrying the AWS service, operation, error code and message.
boto3 is imported here only, and this module only when ``--aws-endpoint-url`` is used, so the
emulator needs boto3 only in that mode.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from verify.trust_evaluation import AssumeRoleRequest, evaluate_assume_role

from .errors import AwsRefusal
from .export_options import AwsActorConfig

# One boto3 session for every actor of the process: loading the service models is the slow part of
# making a client. Credentials are given per client; creating clients is serialized (not thread-safe).
_SESSION_LOCK = threading.Lock()
_SESSION: Any = None


def _shared_session() -> Any:
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION


@dataclass
class ExportSession:
    """An assumed role ready to write into one bucket."""

    bucket: str
    region: str
    s3: Any = field(repr=False)


class BitmovinAwsActor:
    """Talks to one AWS endpoint as Bitmovin; thread-safe enough for the emulator's request threads."""

    def __init__(self, config: AwsActorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._caller_arn: str | None = None
        self._botocore = Config(
            retries={"mode": "standard", "total_max_attempts": 2},
            connect_timeout=5,
            read_timeout=30,
            s3={"addressing_style": "path"},
        )
        self._bitmovin = {
            "aws_access_key_id": config.bitmovin_access_key_id,
            "aws_secret_access_key": config.bitmovin_secret_access_key,
        }
        self._inspector = (
            {
                "aws_access_key_id": config.inspector_access_key_id,
                "aws_secret_access_key": config.inspector_secret_access_key,
            }
            if config.inspector_access_key_id
            else {}
        )
        self._clients: dict[str, Any] = {}

    def _client(self, service: str, credentials: Mapping[str, str | None], region: str | None = None) -> Any:
        with _SESSION_LOCK:
            return _shared_session().client(
                service,
                endpoint_url=self.config.endpoint_url,
                region_name=region or self.config.region,
                config=self._botocore,
                **credentials,
            )

    def _cached(self, name: str, service: str, credentials: Mapping[str, str | None]) -> Any:
        if name not in self._clients:
            self._clients[name] = self._client(service, credentials)
        return self._clients[name]

    def caller_arn(self) -> str:
        """The ARN of Bitmovin's credentials, i.e. the principal the trust policy must name."""
        if self._caller_arn is None:
            sts = self._cached("bitmovin-sts", "sts", self._bitmovin)
            self._caller_arn = str(_call("sts", "GetCallerIdentity", sts.get_caller_identity)["Arn"])
        return self._caller_arn

    def open(
        self, *, role_arn: str, external_id: str | None, bucket: str, session_name: str
    ) -> ExportSession:
        """Steps 1-2 and the bucket's region: an :class:`ExportSession`, or :class:`AwsRefusal`."""
        principal = self.caller_arn()
        denied = f"User: {principal} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        role_name = role_arn.rsplit("/", 1)[-1]
        iam = self._cached("inspector-iam", "iam", self._inspector)
        try:
            role = _call("iam", "GetRole", iam.get_role, RoleName=role_name)["Role"]
        except AwsRefusal as refusal:
            if refusal.code == "NoSuchEntity":
                raise AwsRefusal(
                    "sts", "AssumeRole", "AccessDenied", denied, f"role {role_arn} does not exist"
                ) from None
            raise
        if role.get("Arn") != role_arn:
            raise AwsRefusal(
                "sts", "AssumeRole", "AccessDenied", denied, f"no role {role_arn} (found {role.get('Arn')})"
            )
        decision = evaluate_assume_role(
            role.get("AssumeRolePolicyDocument"), AssumeRoleRequest(principal, external_id or None)
        )
        if not decision.allowed:
            raise AwsRefusal("sts", "AssumeRole", "AccessDenied", denied, f"trust policy: {decision.reason}")
        sts = self._cached("bitmovin-sts", "sts", self._bitmovin)
        arguments: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": session_name[:64],
            "DurationSeconds": self.config.session_seconds,
        }
        if external_id:
            arguments["ExternalId"] = external_id
        credentials = _call("sts", "AssumeRole", sts.assume_role, **arguments)["Credentials"]
        assumed = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        location = _call(
            "s3", "GetBucketLocation", self._client("s3", assumed).get_bucket_location, Bucket=bucket
        )
        region = location.get("LocationConstraint") or "us-east-1"
        return ExportSession(bucket=bucket, region=region, s3=self._client("s3", assumed, region))

    def write(
        self,
        session: ExportSession,
        key: str,
        body: bytes,
        *,
        content_type: str,
        acl: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """One export file, with the assumed role's credentials."""
        arguments: dict[str, Any] = {
            "Bucket": session.bucket,
            "Key": key,
            "Body": body,
            "ContentType": content_type,
        }
        if acl:
            arguments["ACL"] = acl
        if metadata:
            arguments["Metadata"] = dict(metadata)
        _call("s3", "PutObject", session.s3.put_object, **arguments)

    def confirm(self, session: ExportSession, prefix: str, keys: Iterable[str]) -> None:
        """List ``prefix`` and require every written key to be there."""
        found: set[str] = set()
        paginator = session.s3.get_paginator("list_objects_v2")
        pages = _call(
            "s3", "ListObjectsV2", lambda: list(paginator.paginate(Bucket=session.bucket, Prefix=prefix))
        )
        for page in pages:
            found.update(item["Key"] for item in page.get("Contents", []))
        missing = sorted(set(keys) - found)
        if missing:
            raise AwsRefusal(
                "s3", "ListObjectsV2", "MissingExportFiles", f"written but not listed: {', '.join(missing)}"
            )


def _call(service: str, operation: str, function: Any, **arguments: Any) -> Any:
    """Run one AWS call; any failure becomes an :class:`AwsRefusal` with AWS's code and message."""
    failure: AwsRefusal | None = None
    try:
        return function(**arguments)
    except ClientError as error:
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(details.get("Code") or status or "Unknown")
        if code == "403" or (code.isdigit() and status == 403):
            code = (
                "AccessDenied"  # S3 answers a bucket-policy denial of HEAD (and moto of PUT) without a body
            )
        failure = AwsRefusal(service, operation, code, str(details.get("Message") or error))
    except BotoCoreError as error:
        failure = AwsRefusal(service, operation, type(error).__name__, str(error))
    raise failure
