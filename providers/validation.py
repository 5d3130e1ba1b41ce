"""Every validation rule of the project, in one place: value rules, cross-field rules, constants.

The program's stack config (``analytics_export.settings``), the component's arguments
(``analytics_export.args``) and the dynamic provider's ``check`` (``providers.output_model``) all
use these functions, so a rule can never differ between them. Every value rule returns ``None``
when the value is fine, or a sentence a user can act on; each caller adds its own way to fix it
(a ``pulumi config set`` command, a field name). Free of Pulumi and HTTP, so bad input is rejected
at preview time without a network call.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

GLOBAL, GENERATED, CUSTOM = "GLOBAL", "GENERATED", "CUSTOM"
EXTERNAL_ID_MODES = (GLOBAL, GENERATED, CUSTOM)
DEFAULT_EXTERNAL_ID_MODE = GLOBAL

OWNERSHIP_ENFORCED = "BucketOwnerEnforced"
OWNERSHIP_PREFERRED = "BucketOwnerPreferred"
OWNERSHIP_OBJECT_WRITER = "ObjectWriter"  # refused: it re-enables ACLs for nothing
OBJECT_OWNERSHIPS = (OWNERSHIP_ENFORCED, OWNERSHIP_PREFERRED)

ACL_PERMISSIONS = ("PRIVATE", "PUBLIC_READ")
PRIVATE_ACL: tuple[dict[str, str], ...] = ({"permission": "PRIVATE"},)
"""The only ACL this project gives an output: the bucket blocks all public access anyway."""

MAX_OUTPUT_NAME_LENGTH = 255
MAX_OUTPUT_DESCRIPTION_LENGTH = 1024

# Fields an existing bucket (``existing_bucket_name``) cannot be combined with: they describe a
# bucket this stack would manage. Listed in the order problems are reported.
EXISTING_BUCKET_CONFLICTS = (
    "bucket_name",
    "kms_key_arn",
    "retention_days",
    "object_ownership",
    "retain_bucket_on_destroy",
)
SIGNATURE_VERSIONS = ("S3_V2", "S3_V4")
CLOUD_REGIONS = (
    "US_EAST_1",
    "US_EAST_2",
    "US_WEST_1",
    "US_WEST_2",
    "EU_WEST_1",
    "EU_CENTRAL_1",
    "AP_SOUTHEAST_1",
    "AP_SOUTHEAST_2",
    "AP_NORTHEAST_1",
    "AP_NORTHEAST_2",
    "AP_SOUTH_1",
    "SA_EAST_1",
    "EU_WEST_2",
    "EU_WEST_3",
    "CA_CENTRAL_1",
    "EU_NORTH_1",
)

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ROLE_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$"
)
_KMS_KEY_ARN = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$"
)
_PRINCIPAL_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:(user|role)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]+$")
_MD5_TAG = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def bucket_name_problem(value: Any) -> str | None:
    """S3 general-purpose bucket naming rules, so a typo fails in preview and not in CreateBucket."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string (an S3 bucket name such as 'acme-analytics-export')"
    if not 3 <= len(value) <= 63:
        return f"must be 3 to 63 characters long, got {len(value)}"
    if not _BUCKET_NAME.match(value):
        return (
            f"'{value}' is not a valid S3 bucket name: use only lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    if ".." in value or ".-" in value or "-." in value:
        return f"'{value}' is not a valid S3 bucket name: no '..', '.-' or '-.'"
    if _IP_ADDRESS.match(value):
        return f"'{value}' is not a valid S3 bucket name: it must not look like an IP address"
    if value.startswith(("xn--", "sthree-", "amzn-s3-demo-")) or value.endswith(
        ("-s3alias", "--ol-s3", "--x-s3")
    ):
        return f"'{value}' uses a prefix or suffix that S3 reserves"
    return None


def role_name_problem(value: Any) -> str | None:
    """IAM role name rules (1-64 characters of ``[\\w+=,.@-]``)."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty IAM role name such as 'bitmovin-analytics-export'"
    if len(value) > 64:
        return f"IAM role names are at most 64 characters, '{value}' has {len(value)}"
    if not _ROLE_NAME.match(value):
        return f"'{value}' is not a valid IAM role name: use letters, digits and +=,.@_- only"
    return None


def role_arn_problem(value: Any) -> str | None:
    """A role ARN as Bitmovin needs it: ``arn:<partition>:iam::<12-digit account>:role/<name>``."""
    if not isinstance(value, str) or not _ROLE_ARN.match(value):
        return (
            f"{value!r} is not an IAM role ARN; expected arn:aws:iam::<12-digit account id>:role/<role name>"
        )
    return None


def principal_arn_problem(value: Any) -> str | None:
    """The trusted principal must be one IAM user or role, never an account root or a wildcard."""
    if not isinstance(value, str) or not _PRINCIPAL_ARN.match(value):
        return (
            f"{value!r} is not an IAM user or role ARN; expected "
            "arn:<partition>:iam::<12-digit account id>:user/<name> (or :role/<name>)"
        )
    return None


def kms_key_arn_problem(value: Any) -> str | None:
    """Only a key ARN can be scoped in the role policy; aliases and key ids cannot."""
    if not isinstance(value, str) or not _KMS_KEY_ARN.match(value):
        return (
            f"{value!r} is not a KMS key ARN; expected arn:aws:kms:<region>:<account id>:key/<key id> "
            "(an alias or a bare key id cannot be used in the role policy)"
        )
    return None


def _uuid_problem(value: Any, what: str, example: str) -> str | None:
    """Bitmovin ids are UUIDs; checking the form early beats a 403 or 404 from the API."""
    if not isinstance(value, str):
        return f"must be a {what} (a UUID)"
    try:
        uuid.UUID(value)
    except ValueError:
        return f"'{value}' is not a {what}; expected a UUID like {example}"
    return None


def tenant_org_id_problem(value: Any) -> str | None:
    """The organization selected with ``X-Tenant-Org-Id``."""
    return _uuid_problem(value, "Bitmovin organization id", "3fa85f64-5717-4562-b3fc-2c963f66afa6")


def external_id_problem(value: Any) -> str | None:
    """STS ExternalId rules: 2-1224 characters of ``[\\w+=,.@:/-]``."""
    if not isinstance(value, str) or not _EXTERNAL_ID.match(value):
        return "must be 2 to 1224 characters of letters, digits and +=,.@:/-_ (a random UUID is recommended)"
    return None


def export_prefix_problem(value: Any) -> str | None:
    """A key prefix such as ``analytics/``; a leading slash would create an empty first path segment."""
    if not isinstance(value, str):
        return "must be a string such as 'analytics/'"
    if value == "":
        return None
    if value.startswith("/"):
        suggestion = value.lstrip("/").rstrip("/") + "/"
        return f"'{value}' must not start with '/': S3 keys have no leading slash, use '{suggestion}'"
    if not value.endswith("/"):
        return f"'{value}' must end with '/' so that it names a folder, e.g. '{value}/'"
    if "//" in value or not _PREFIX.match(value) or len(value) > 512:
        return f"'{value}' may only hold letters, digits, '/' and !_.*'()- (no '//'), at most 512 characters"
    return None


def enum_problem(value: Any, allowed: tuple[str, ...]) -> str | None:
    """Enum values are case-sensitive in the Bitmovin API."""
    if value not in allowed:
        return f"{value!r} is not one of {', '.join(allowed)}"
    return None


def acl_problem(value: Any) -> str | None:
    """``acl`` is a list of ``{"permission": "PRIVATE" | "PUBLIC_READ"}`` entries."""
    if not isinstance(value, list | tuple) or not value:
        return 'must be a non-empty list like [{"permission": "PRIVATE"}]'
    for index, entry in enumerate(value):
        if not isinstance(entry, Mapping) or "permission" not in entry:
            return f'entry {index} must be a mapping like {{"permission": "PRIVATE"}}'
        unknown = set(entry) - {"permission"}
        if unknown:
            return (
                f"entry {index} has keys {sorted(unknown)}; only 'permission' is supported "
                "(Bitmovin ignores the deprecated 'scope')"
            )
        problem = enum_problem(entry["permission"], ACL_PERMISSIONS)
        if problem:
            return f"entry {index} permission {problem}"
    return None


def md5_meta_tag_problem(value: Any) -> str | None:
    """The tag becomes an ``x-amz-meta-<tag>`` header, so only header-safe characters work."""
    if not isinstance(value, str) or not _MD5_TAG.match(value):
        return "must be 1-128 characters of letters, digits, '-' and '_' (it becomes x-amz-meta-<tag>)"
    return None


def text_problem(value: Any, max_length: int) -> str | None:
    """Free text fields; the API documents no limit, so we keep a generous one against accidents."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > max_length:
        return f"must be at most {max_length} characters, got {len(value)}"
    return None


def custom_data_problem(value: Any) -> str | None:
    """The API stores ``customData`` as a JSON object."""
    if not isinstance(value, Mapping):
        return 'must be a mapping such as {"team": "video"}'
    if any(not isinstance(key, str) for key in value):
        return "keys must be strings"
    return None


def output_id_problem(value: Any) -> str | None:
    """A Bitmovin output id as shown by the dashboard or API."""
    return _uuid_problem(value, "Bitmovin output id", "cb90b80c-8867-4e3b-8479-174aa2843f62")


def external_id_conflict(mode: Any, external_id_given: bool) -> str | None:
    """How ``external_id`` disagrees with ``external_id_mode``: ``"required"``, ``"not-allowed"`` or None.

    Only CUSTOM takes a caller-chosen ID; with GLOBAL and GENERATED Bitmovin picks it. An unknown
    mode is reported by :func:`enum_problem`, not here.
    """
    if mode == CUSTOM and not external_id_given:
        return "required"
    if mode in (GLOBAL, GENERATED) and external_id_given:
        return "not-allowed"
    return None


def existing_bucket_conflicts(fields_set: Mapping[str, bool]) -> list[str]:
    """The fields of :data:`EXISTING_BUCKET_CONFLICTS` that are set next to an existing bucket."""
    return [name for name in EXISTING_BUCKET_CONFLICTS if fields_set.get(name)]
