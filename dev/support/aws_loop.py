"""The closed loop, for tests and ``dev/benchmark.py verify``: a moto server with IAM enforced, set up
like a deployed stack, and the Bitmovin emulator acting as Bitmovin toward it.

- :class:`MotoServer`: moto's ``ThreadedMotoServer`` in this process on ``127.0.0.1`` (free port), reset
  and switched to IAM enforcement through moto's own endpoints (``/moto-api/reset``,
  ``/moto-api/reset-auth``: ``"0"`` = every request is authenticated and authorized from then on).
  While it runs, every authorization is decided by ``dev/support/iam_model.py``, not by moto
  (``dev/support/model_authorizer.py``); the server is plain HTTP, so ``aws:SecureTransport`` is false.
- :func:`create_accounts`: with enforcement still off, an administrator in the customer's account and
  Bitmovin's IAM user (``arn:aws:iam::630681592166:user/bitmovinCustomerS3Access``, allowed
  ``sts:AssumeRole``) in Bitmovin's account, each with an access key.
- :func:`deploy`: what the program deploys, built from ``analytics_export.policies``: the bucket with
  public access block, ownership, encryption, versioning (and, on request, the TLS-only policy), the
  Bitmovin output in the emulator, and the role with the trust and write policies.
- :func:`tls_client_view_of_bucket_policies`: the server speaks plain HTTP, so the model judges a
  TLS-only bucket policy as AWS judges a plain-HTTP client: every object call is denied. While active,
  requests are judged as from a client that uses TLS (``aws:SecureTransport`` true); everything else
  in the bucket policy still applies (docs/export-tasks.md, "Closed loop").
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from botocore.config import Config
from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from analytics_export.policies import (
    BITMOVIN_ACCOUNT_ID,
    BITMOVIN_PRINCIPAL,
    tls_only_bucket_policy,
    trust_policy,
    write_policy,
)
from dev.bitmovin_emulator import AwsActorConfig, EmulatorServer
from dev.support.model_authorizer import Judge, model_authorization, tls_client_view

REGION = "eu-central-1"
CUSTOMER_ACCOUNT = "123456789012"  # moto's default account
BITMOVIN_USER = BITMOVIN_PRINCIPAL.rsplit("/", 1)[-1]
ORG = "5b7e8a0c-1f2d-4e3a-9b8c-7d6e5f4a3b2c"
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, s3={"addressing_style": "path"})


@dataclass(frozen=True)
class Keys:
    """An access key pair; the secret stays out of ``repr``."""

    access_key_id: str
    secret_access_key: str

    def __repr__(self) -> str:
        return f"Keys({self.access_key_id!r}, ...)"


class MotoServer:
    """An in-process moto server on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._previous_auth: float | int = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
        self._moto_account: str | None = None
        self._clients: dict[tuple[str, str, str, str | None], Any] = {}
        self._judging = contextlib.ExitStack()
        self.judge: Judge | None = None
        self.url = ""

    def start(self) -> MotoServer:
        # moto's request handler logs every request (and API gaps) through Werkzeug's logger.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        # MOTO_ACCOUNT_ID would put every request into one account; the loop needs two.
        self._moto_account = os.environ.pop("MOTO_ACCOUNT_ID", None)
        self.judge = self._judging.enter_context(model_authorization(secure_transport=False))
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        self._server.stop()
        self._judging.close()
        # The server shares this process's moto settings: leave them as found for in-process moto tests.
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = self._previous_auth
        ActionAuthenticatorMixin.request_count = 0
        if self._moto_account is not None:
            os.environ["MOTO_ACCOUNT_ID"] = self._moto_account

    def reset(self) -> None:
        """Forget every resource and switch IAM enforcement off (for setup)."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        self.enforce_iam(False)

    def enforce_iam(self, on: bool = True) -> None:
        """From now on authenticate and authorize every request (``on``), or none."""
        body = b"0" if on else b"inf"
        requests.post(f"{self.url}/moto-api/reset-auth", data=body, timeout=10).raise_for_status()

    def client(self, service: str, keys: Keys, account: str | None = None) -> Any:
        """A boto3 client of this server; ``account`` forces moto's account while IAM is off.

        Made once per service, keys and account (a client holds no state of the server's, and making
        one costs ~40 ms, most of the closed-loop tests' time)."""
        cache_key = (service, keys.access_key_id, keys.secret_access_key, account)
        if cache_key not in self._clients:
            self._clients[cache_key] = self._new_client(service, keys, account)
        return self._clients[cache_key]

    def _new_client(self, service: str, keys: Keys, account: str | None) -> Any:
        client = boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key,
            config=CLIENT_CONFIG,
        )
        if account is not None:

            def add_account(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account

            client.meta.events.register("before-sign.*.*", add_account)
        return client

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


SETUP_KEYS = Keys("setup", "setup")


@dataclass(frozen=True)
class Accounts:
    admin: Keys
    bitmovin: Keys


def create_accounts(moto: MotoServer) -> Accounts:
    """The customer's administrator and Bitmovin's user, each with a key (IAM enforcement must be off)."""

    def user(account: str, name: str, policy: dict[str, Any]) -> Keys:
        iam = moto.client("iam", SETUP_KEYS, account)
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return Keys(key["AccessKeyId"], key["SecretAccessKey"])

    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assume_any = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
    }
    return Accounts(
        admin=user(CUSTOMER_ACCOUNT, "customer-admin", everything),
        bitmovin=user(BITMOVIN_ACCOUNT_ID, BITMOVIN_USER, assume_any),
    )


def actor_config(moto: MotoServer, accounts: Accounts) -> AwsActorConfig:
    """The emulator's view of AWS: Bitmovin's user assumes, the customer's admin reads trust policies."""
    return AwsActorConfig(
        endpoint_url=moto.url,
        region=REGION,
        bitmovin_access_key_id=accounts.bitmovin.access_key_id,
        bitmovin_secret_access_key=accounts.bitmovin.secret_access_key,
        inspector_access_key_id=accounts.admin.access_key_id,
        inspector_secret_access_key=accounts.admin.secret_access_key,
    )


@dataclass(frozen=True)
class Deployment:
    """What ``pulumi up`` would have produced, as names and ids."""

    bucket: str
    prefix: str
    role_name: str
    role_arn: str
    output_id: str
    external_id: str
    org_id: str

    def stack_outputs(self) -> dict[str, str]:
        """The program's stack outputs (``pulumi stack output --json``)."""
        return {
            "outputId": self.output_id,
            "externalId": self.external_id,
            "externalIdMode": "GLOBAL",
            "roleArn": self.role_arn,
            "roleName": self.role_name,
            "bucketName": self.bucket,
            "bucketArn": f"arn:aws:s3:::{self.bucket}",
            "region": REGION,
            "tenantOrgId": self.org_id,
            "exportPrefix": self.prefix,
        }


def deploy(
    moto: MotoServer,
    emulator: EmulatorServer | None,
    accounts: Accounts,
    *,
    bucket: str = "acme-analytics-exports",
    prefix: str = "analytics/",
    role_name: str = "bitmovin-analytics-export-acme",
    trusted_external_id: str | None = None,
    write_prefix: str | None = None,
    object_ownership: str = "BucketOwnerEnforced",
    tls_only: bool = False,
    org_id: str = ORG,
    create_output: Callable[[dict[str, Any], str], dict[str, Any]] | None = None,
) -> Deployment:
    """Create the stack's resources; ``trusted_external_id``/``write_prefix`` deploy a faulty role.

    The output is stored in ``emulator`` directly, or made by ``create_output(fields, org_id)`` (e.g.
    over HTTP against an emulator in another process).
    """
    s3 = moto.client("s3", accounts.admin)
    iam = moto.client("iam", accounts.admin)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": object_ownership}]}
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if tls_only:
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_bucket_policy("aws", bucket)))
    role_arn = f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/{role_name}"
    fields = {"name": "acme", "bucketName": bucket, "roleArn": role_arn, "externalIdMode": "GLOBAL"}
    if create_output is None:
        assert emulator is not None
        output = emulator.outputs.create(fields, org_id)
    else:
        output = create_output(fields, org_id)
    external_id = output["externalId"]
    iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(trust_policy(trusted_external_id or external_id)),
        MaxSessionDuration=3600,
    )
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="bitmovin-analytics-export-write",
        PolicyDocument=json.dumps(
            write_policy("aws", bucket, prefix if write_prefix is None else write_prefix)
        ),
    )
    return Deployment(bucket, prefix, role_name, role_arn, output["id"], external_id, org_id)


@contextmanager
def tls_client_view_of_bucket_policies() -> Iterator[None]:
    """Judge requests to moto servers as from a TLS client (see the module docstring)."""
    with tls_client_view():
        yield


def object_keys(moto: MotoServer, keys: Keys, bucket: str, prefix: str = "") -> list[str]:
    """Every key under ``prefix``, as the customer's administrator sees them."""
    s3 = moto.client("s3", keys)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
