"""Switches of the emulator's Analytics export tasks (``EmulatorOptions.exports``).

Kept apart from ``options`` so the outputs emulator stays readable. Every point the public
documentation leaves open (docs/export-tasks.md, "UNCONFIRMED") is a switch here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

DEFAULT_FILE_NAME = "%Y-%m-%d-%H-%M"
"""strftime pattern of one export file, per hour of data, before the extension; Bitmovin's guide names
the files ``yyyy-MM-dd-HH-mm.csv`` (docs/export-tasks.md)."""


@dataclass(frozen=True)
class AwsActorConfig:
    """How the emulator reaches AWS (or moto) when it performs exports as Bitmovin.

    ``bitmovin_*`` are the credentials of Bitmovin's own IAM user: they call ``sts:AssumeRole``, and
    their ``sts:GetCallerIdentity`` ARN is the principal the trust policy must name. ``inspector_*``
    read the role's trust policy with ``iam:GetRole`` in the role's account, standing in for AWS's own
    trust evaluation, which moto does not do; None means boto3's default credential chain.
    """

    endpoint_url: str
    region: str = "us-east-1"
    bitmovin_access_key_id: str = "bitmovin-emulator"
    bitmovin_secret_access_key: str = field(default="bitmovin-emulator", repr=False)
    inspector_access_key_id: str | None = None
    inspector_secret_access_key: str | None = field(default=None, repr=False)
    session_seconds: int = 3600


@dataclass
class ExportOptions:
    """Export task behaviour.

    Pace: a task is QUEUED for ``queue_seconds``, then STARTED; each hour of data takes
    ``hour_seconds`` and the last one ends the task. At most one of these transitions happens per
    advance, so a poller always sees QUEUED, STARTED and the end state. With ``auto_advance`` (default)
    every export request advances due tasks; without it only ``ExportTasks.step()`` does (tests).

    UNCONFIRMED points:

    - ``error_details`` (True): an ERROR task carries ``error`` = ``{code, message, service,
      operation, diagnosis}``. Bitmovin documents no such field; off = ERROR without a reason.
    - ``echo_license_key`` (True): responses contain ``licenseKey`` (it is part of the documented
      model); clients must not print task bodies.
    - ``file_name`` (:data:`DEFAULT_FILE_NAME`): strftime pattern of the file for one hour, before
      ``.csv``/``.parquet``, under ``outputPath``.
    - ``object_acl`` (None): canned ACL sent with every ``PutObject`` (e.g. ``private``); whether
      Bitmovin's exporter sends one is unknown (docs/export-tasks.md).
    - ``license_keys`` (None): accepted Analytics license keys; None accepts any non-empty key.

    Emulator guards: ``max_hours`` (744, 31 days) bounds the range one task may export.
    ``aws``: perform tasks against AWS/moto as Bitmovin (see :class:`AwsActorConfig`); None = tasks
    finish without writing anything.
    """

    queue_seconds: float = 1.0
    hour_seconds: float = 1.0
    auto_advance: bool = True
    error_details: bool = True
    echo_license_key: bool = True
    file_name: str = DEFAULT_FILE_NAME
    object_acl: str | None = None
    license_keys: Collection[str] | None = None
    max_hours: int = 744
    aws: AwsActorConfig | None = None
