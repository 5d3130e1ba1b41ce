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
from collections.abc import Collection, Iterable, Mapping
from enum import StrEnum
from typing import Any

from bitmovin_api.terminal_text import control_character_problem, without_control_characters


class ExternalIdMode(StrEnum):
    """How Bitmovin picks the role's external ID (the API's ``externalIdMode``)."""

    GLOBAL = "GLOBAL"  # one ID per Bitmovin organization
    GENERATED = "GENERATED"  # a random ID per output
    CUSTOM = "CUSTOM"  # the caller's ``external_id``


DEFAULT_EXTERNAL_ID_MODE = ExternalIdMode.GLOBAL


class ObjectOwnership(StrEnum):
    """The S3 Object Ownership settings offered for a bucket this stack creates."""

    BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"  # ACLs disabled: the default
    BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"  # only if exports fail with AccessControlListNotSupported


OBJECT_WRITER = "ObjectWriter"
"""S3's third Object Ownership setting, refused: it re-enables ACLs for nothing."""


class AclPermission(StrEnum):
    PRIVATE = "PRIVATE"
    PUBLIC_READ = "PUBLIC_READ"


PRIVATE_ACL: tuple[dict[str, str], ...] = ({"permission": AclPermission.PRIVATE.value},)
"""The only ACL this project gives an output: the bucket blocks all public access anyway."""

MAX_OUTPUT_NAME_LENGTH = 255
MAX_OUTPUT_DESCRIPTION_LENGTH = 1024


class ExternalIdConflict(StrEnum):
    """How ``external_id`` disagrees with ``external_id_mode`` (:func:`external_id_conflict`)."""

    REQUIRED = "required"  # CUSTOM without an ID
    NOT_ALLOWED = "not-allowed"  # an ID with GLOBAL or GENERATED


class SignatureVersion(StrEnum):
    S3_V2 = "S3_V2"
    S3_V4 = "S3_V4"


class CloudRegion(StrEnum):
    """The Bitmovin API's names of the AWS regions an output's bucket may be in."""

    US_EAST_1 = "US_EAST_1"
    US_EAST_2 = "US_EAST_2"
    US_WEST_1 = "US_WEST_1"
    US_WEST_2 = "US_WEST_2"
    EU_WEST_1 = "EU_WEST_1"
    EU_CENTRAL_1 = "EU_CENTRAL_1"
    AP_SOUTHEAST_1 = "AP_SOUTHEAST_1"
    AP_SOUTHEAST_2 = "AP_SOUTHEAST_2"
    AP_NORTHEAST_1 = "AP_NORTHEAST_1"
    AP_NORTHEAST_2 = "AP_NORTHEAST_2"
    AP_SOUTH_1 = "AP_SOUTH_1"
    SA_EAST_1 = "SA_EAST_1"
    EU_WEST_2 = "EU_WEST_2"
    EU_WEST_3 = "EU_WEST_3"
    CA_CENTRAL_1 = "CA_CENTRAL_1"
    EU_NORTH_1 = "EU_NORTH_1"


# Every pattern is ASCII-only and used with ``fullmatch``: ``\w`` and ``\d`` match non-ASCII letters
# and digits in Python, and ``$`` matches before a trailing newline, while AWS, IAM and STS accept
# neither (docs/hardening.md).
SUPPORTED_PARTITIONS: dict[str, str] = {
    "aws": "amazonaws.com",
    "aws-cn": "amazonaws.com.cn",
    "aws-us-gov": "amazonaws.com",
}
"""The partitions this project deploys to, with each one's DNS suffix (``s3.<region>.<suffix>``)."""

# S3 general purpose bucket naming rules (docs/hardening.md). ``sthree-configurator`` is listed by
# AWS too; ``sthree-`` already covers it.
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
ACCOUNT_REGIONAL_BUCKET_SUFFIX = "-an"
"""Only buckets created in an account regional namespace may end with it; this project creates global ones."""

MAX_ROLE_NAME_LENGTH = 64
MIN_BUCKET_NAME_LENGTH, MAX_BUCKET_NAME_LENGTH = 3, 63
MAX_IAM_PATH_LENGTH = 512
MIN_EXTERNAL_ID_LENGTH, MAX_EXTERNAL_ID_LENGTH = 2, 1224
MAX_EXPORT_PREFIX_LENGTH = 512
MAX_RETENTION_DAYS = 36_500
"""100 years. S3 lifecycle ``Expiration.Days`` only has to be a positive whole number (AWS documents no
maximum; the field is a 32-bit ``Integer``), so this bound is ours: a retention beyond a century is a
typo (``100000`` for ``10000``), not a policy (docs/stack-config.md)."""
IAM_WILDCARDS = ("*", "?")

_IAM_NAME_CHARS = r"A-Za-z0-9_+=,.@-"  # IAM's [\w+=,.@-], with \w spelled out as ASCII
_PARTITION = "|".join(re.escape(name) for name in SUPPORTED_PARTITIONS)
_REGION = r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}"
_ACCOUNT_ID = r"[0-9]{12}"
_CANONICAL_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_REGION_NAME = re.compile(_REGION)
_ROLE_NAME = re.compile(rf"[{_IAM_NAME_CHARS}]{{1,{MAX_ROLE_NAME_LENGTH}}}")
# CreateRole Path: "/" or "/" + printable ASCII (U+0021-U+007E) + "/".
_ROLE_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):iam::(?P<account>{_ACCOUNT_ID}):role"
    rf"(?P<path>/(?:[\x21-\x7e]+/)?)(?P<name>[{_IAM_NAME_CHARS}]{{1,{MAX_ROLE_NAME_LENGTH}}})"
)
# A trusted principal: the path may not hold '*', '?' or '$' (wildcards and policy variables).
_PRINCIPAL_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):iam::{_ACCOUNT_ID}:(?:user|role)"
    rf"(?P<path>/(?:[/{_IAM_NAME_CHARS}]+/)?)[{_IAM_NAME_CHARS}]{{1,{MAX_ROLE_NAME_LENGTH}}}"
)
_KMS_KEY_ARN = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):kms:(?P<region>{_REGION}):{_ACCOUNT_ID}:key/"
    rf"(?:{_CANONICAL_UUID}|mrk-[0-9a-f]{{32}})"
)
_EXTERNAL_ID = re.compile(rf"[A-Za-z0-9_+=,.@:/-]{{{MIN_EXTERNAL_ID_LENGTH},{MAX_EXTERNAL_ID_LENGTH}}}")
_PREFIX_CHARS = re.compile(r"[A-Za-z0-9!_.'()/-]+")
_MD5_TAG = re.compile(r"[A-Za-z0-9_-]{1,128}")
_UUID = re.compile(_CANONICAL_UUID)


def region_partition(region: str) -> str | None:
    """The partition of a region name, or None for a partition this project does not deploy to."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if "-iso" in region:  # us-iso-east-1, us-isob-east-1, eu-isoe-west-1, ...: isolated partitions
        return None
    return "aws"


def region_problem(value: Any) -> str | None:
    """An AWS region name such as ``eu-central-1``, in a partition this project supports."""
    if not isinstance(value, str) or not _REGION_NAME.fullmatch(value):
        return f"{value!r} is not an AWS region name such as eu-central-1"
    if region_partition(value) is None:
        return (
            f"{value} is in an isolated partition; this project deploys to the partitions "
            f"{', '.join(SUPPORTED_PARTITIONS)}"
        )
    return None


def bucket_name_problem(value: Any) -> str | None:
    """S3 general-purpose bucket naming rules, so a typo fails in preview and not in CreateBucket."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string (an S3 bucket name such as 'acme-analytics-export')"
    if not MIN_BUCKET_NAME_LENGTH <= len(value) <= MAX_BUCKET_NAME_LENGTH:
        return (
            f"must be {MIN_BUCKET_NAME_LENGTH} to {MAX_BUCKET_NAME_LENGTH} characters long, got {len(value)}"
        )
    if not _BUCKET_NAME.fullmatch(value):
        return (
            f"{value!r} is not a valid S3 bucket name: use only lowercase letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    if ".." in value or ".-" in value or "-." in value:
        return f"'{value}' is not a valid S3 bucket name: no '..', '.-' or '-.'"
    if _IP_ADDRESS.fullmatch(value):
        return f"'{value}' is not a valid S3 bucket name: it must not look like an IP address"
    reserved = [p for p in RESERVED_BUCKET_PREFIXES if value.startswith(p)]
    reserved += [s for s in RESERVED_BUCKET_SUFFIXES if value.endswith(s)]
    if reserved:
        return (
            f"'{value}' uses '{reserved[0]}', which S3 reserves (prefixes {', '.join(RESERVED_BUCKET_PREFIXES)}; "
            f"suffixes {', '.join(RESERVED_BUCKET_SUFFIXES)})"
        )
    return None


def new_bucket_name_problem(value: Any) -> str | None:
    """A bucket this stack creates, in the global namespace: no account-regional ``-an`` suffix."""
    problem = bucket_name_problem(value)
    if problem is None and value.endswith(ACCOUNT_REGIONAL_BUCKET_SUFFIX):
        return (
            f"'{value}' ends with '{ACCOUNT_REGIONAL_BUCKET_SUFFIX}', which S3 allows only for buckets in an "
            "account regional namespace; this stack creates a global bucket"
        )
    return problem


def role_name_problem(value: Any) -> str | None:
    """IAM role name rules: 1-64 ASCII characters of letters, digits and ``_+=,.@-``."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty IAM role name such as 'bitmovin-analytics-export'"
    if len(value) > MAX_ROLE_NAME_LENGTH:
        return f"IAM role names are at most {MAX_ROLE_NAME_LENGTH} characters, got {len(value)}"
    if not _ROLE_NAME.fullmatch(value):
        return f"{value!r} is not a valid IAM role name: use ASCII letters, digits and +=,.@_- only"
    return None


def _is_iam_arn(pattern: re.Pattern[str], value: Any) -> bool:
    """``value`` matches ``pattern`` (an IAM ARN with a ``path`` group) and its path is not too long."""
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    return match is not None and len(match["path"]) <= MAX_IAM_PATH_LENGTH


def role_arn_problem(value: Any) -> str | None:
    """A role ARN as Bitmovin needs it: ``arn:<partition>:iam::<12-digit account>:role/[path/]<name>``."""
    if not _is_iam_arn(_ROLE_ARN, value):
        return (
            f"{value!r} is not an IAM role ARN; expected arn:aws:iam::<12-digit account id>:role/<role name> "
            "(role name: 1-64 ASCII letters, digits and +=,.@_-; path: at most 512 characters)"
        )
    return None


def principal_arn_problem(value: Any) -> str | None:
    """The trusted principal must be one IAM user or role, never an account root or a wildcard."""
    if not _is_iam_arn(_PRINCIPAL_ARN, value):
        return (
            f"{value!r} is not an IAM user or role ARN; expected "
            "arn:<partition>:iam::<12-digit account id>:user/<name> (or :role/<name>), with ASCII letters, "
            "digits and +=,.@_- only (no wildcards)"
        )
    return None


def kms_key_arn_problem(value: Any) -> str | None:
    """Only a key ARN can be scoped in the role policy; aliases and key ids cannot."""
    match = _KMS_KEY_ARN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return (
            f"{value!r} is not a KMS key ARN; expected arn:aws:kms:<region>:<account id>:key/<key id> "
            "(an alias or a bare key id cannot be used in the role policy)"
        )
    wanted = region_partition(match["region"])
    if wanted != match["partition"]:
        return (
            f"{value} names partition {match['partition']}, but region {match['region']} is in "
            f"{wanted or 'an isolated partition'}; no such key can exist"
        )
    return None


def kms_key_location_problem(kms_key_arn: str, region: str) -> str | None:
    """S3 uses a KMS key only from the bucket's own region (and so its partition)."""
    key_region = kms_key_arn.split(":")[3]
    if key_region != region or arn_partition(kms_key_arn) != region_partition(region):
        return (
            f"the key is in {arn_partition(kms_key_arn)}/{key_region} but the bucket is in "
            f"{region_partition(region)}/{region}; S3 can only use a KMS key from the bucket's region"
        )
    return None


def arn_partition(arn: str) -> str:
    """``arn:aws-cn:iam::...`` -> ``aws-cn``."""
    return arn.split(":", 2)[1]


def canonical_uuid(value: Any) -> str | None:
    """The canonical lowercase 8-4-4-4-12 form of any UUID spelling Python accepts, else None."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _uuid_problem(value: Any, what: str, example: str) -> str | None:
    """Bitmovin ids are UUIDs in canonical form; other spellings are sent verbatim, so refuse them."""
    if not isinstance(value, str):
        return f"must be a {what} (a UUID)"
    if _UUID.fullmatch(value):
        return None
    canonical = canonical_uuid(value)
    if canonical is None:
        return f"{value!r} is not a {what}; expected a UUID like {example}"
    return (
        f"{value!r} spells a {what} in a non-canonical form that would be sent verbatim; "
        f"use the canonical lowercase form {canonical}"
    )


def tenant_org_id_problem(value: Any) -> str | None:
    """The organization selected with ``X-Tenant-Org-Id``."""
    return _uuid_problem(value, "Bitmovin organization id", "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")


# The example organization id of the Bitmovin API documentation (and of many copied snippets): a
# stack that names it would deploy into whatever organization that is, or fail with a 403.
EXAMPLE_TENANT_ORG_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def stack_tenant_org_id_problem(value: Any) -> str | None:
    """The stack config's ``bitmovin:tenantOrgId``: a canonical UUID, and not the API docs' example."""
    if isinstance(value, str) and canonical_uuid(value) == EXAMPLE_TENANT_ORG_ID:
        return (
            f"{value!r} is the example organization id of the Bitmovin API documentation, not your "
            "organization: set your organization's id (Bitmovin dashboard, organization settings)"
        )
    return tenant_org_id_problem(value)


def external_id_problem(value: Any) -> str | None:
    """STS ExternalId rules: 2-1224 ASCII characters of letters, digits and ``_+=,.@:/-``."""
    if not isinstance(value, str) or not _EXTERNAL_ID.fullmatch(value):
        return (
            "must be 2 to 1224 characters, only ASCII letters, digits and +=,.@:/-_ "
            "(a random UUID is recommended)"
        )
    return None


def export_prefix_problem(value: Any) -> str | None:
    """A key prefix such as ``analytics/``: literal in lifecycle rules, so it must be literal in IAM too."""
    if not isinstance(value, str):
        return "must be a string such as 'analytics/'"
    if value == "":
        return None
    wildcards = sorted({char for char in value if char in IAM_WILDCARDS})
    if wildcards:
        return (
            f"{value!r} contains {' and '.join(repr(c) for c in wildcards)}: a wildcard in IAM policies, so "
            "Bitmovin could write outside the prefix while the lifecycle rule reads it literally"
        )
    if "$" in value:
        return f"{value!r} contains '$', which starts an IAM policy variable (${{...}}) in the role policy"
    if value.startswith("/"):
        return f"{value!r} must not start with '/': S3 keys have no leading slash{_prefix_example(value)}"
    if not value.endswith("/"):
        return f"{value!r} must end with '/' so that it names a folder{_prefix_example(value)}"
    if any(segment in (".", "..") for segment in value[:-1].split("/")):
        return (
            f"{value!r} has a '.' or '..' segment: clients resolve those as relative paths (RFC 3986), so "
            "keys would not be where the policy and the lifecycle rule expect them"
        )
    if "//" in value or not _PREFIX_CHARS.fullmatch(value) or len(value) > MAX_EXPORT_PREFIX_LENGTH:
        return f"{value!r} may only hold letters, digits, '/' and !_.'()- (no '//'), at most 512 characters"
    return None


def _prefix_example(value: str) -> str:
    """ ", use 'x/'" for the prefix ``value`` means without its slashes and surrounding spaces, if
    that prefix is valid; else nothing (a message never suggests a value its rule refuses)."""
    segments = [segment for segment in value.strip().split("/") if segment]
    candidate = "/".join(segments) + "/"
    if segments and candidate != value and export_prefix_problem(candidate) is None:
        return f", use {candidate!r}"
    return ""


def retention_days_problem(value: Any) -> str | None:
    """S3 lifecycle ``Expiration.Days``: a whole number from 1 to :data:`MAX_RETENTION_DAYS` (100 years)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a whole number of days, got {value!r}"
    if not 1 <= value <= MAX_RETENTION_DAYS:
        return (
            f"must be from 1 to {MAX_RETENTION_DAYS} days (100 years; a longer retention is taken for a "
            f"typo), got {value}"
        )
    return None


def enum_problem(value: Any, allowed: Iterable[str]) -> str | None:
    """Enum values are case-sensitive in the Bitmovin API; ``allowed`` is a ``StrEnum`` or its values."""
    allowed = tuple(allowed)
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
        problem = enum_problem(entry["permission"], AclPermission)
        if problem:
            return f"entry {index} permission {problem}"
    return None


def md5_meta_tag_problem(value: Any) -> str | None:
    """The tag becomes an ``x-amz-meta-<tag>`` header, so only header-safe characters work."""
    if not isinstance(value, str) or not _MD5_TAG.fullmatch(value):
        return "must be 1-128 characters of letters, digits, '-' and '_' (it becomes x-amz-meta-<tag>)"
    return None


def text_problem(value: Any, max_length: int) -> str | None:
    """Free text fields; the API documents no limit, so we keep a generous one against accidents, and
    refuse control characters (a newline, ESC, a bidi control), which every viewer would act on."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) > max_length:
        return f"must be at most {max_length} characters, got {len(value)}"
    if problem := control_character_problem(value):
        return f"{problem}{_printable_example(value, max_length)}"
    return None


def printable_text(value: str, max_length: int) -> str | None:
    """``value`` without its control characters (each run becomes one space), if that passes
    :func:`text_problem`; else None. What a fix suggests: it never suggests a value its rule refuses."""
    candidate = without_control_characters(value)
    return candidate if candidate and text_problem(candidate, max_length) is None else None


def _printable_example(value: str, max_length: int) -> str:
    candidate = printable_text(value, max_length)
    return f"; use {candidate!r}" if candidate is not None else "; remove the control characters"


def custom_data_problem(value: Any) -> str | None:
    """The API stores ``customData`` as a JSON object; its keys and texts are free text too."""
    if not isinstance(value, Mapping):
        return 'must be a mapping such as {"team": "video"}'
    if any(not isinstance(key, str) for key in value):
        return "keys must be strings"
    for path, text in _texts(value, ""):
        if problem := control_character_problem(text):
            return f"{path}: {problem}; remove the control characters"
    return None


def _texts(value: Any, path: str) -> Iterable[tuple[str, str]]:
    """``(where, text)`` for every key and string value in a JSON-like value, nested ones included."""
    if isinstance(value, str):
        yield path or "value", value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}[{key!r}]" if isinstance(key, str) else path
            if isinstance(key, str):
                yield f"key {key!r}", key
            yield from _texts(item, where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


def output_id_problem(value: Any) -> str | None:
    """A Bitmovin output id as shown by the dashboard or API."""
    return _uuid_problem(value, "Bitmovin output id", "cb90b80c-8867-4e3b-8479-174aa2843f62")


def external_id_conflict(mode: Any, external_id_given: bool) -> ExternalIdConflict | None:
    """How ``external_id`` disagrees with ``external_id_mode``, or None.

    Only CUSTOM takes a caller-chosen ID; with GLOBAL and GENERATED Bitmovin picks it. An unknown
    mode is reported by :func:`enum_problem`, not here.
    """
    if mode == ExternalIdMode.CUSTOM and not external_id_given:
        return ExternalIdConflict.REQUIRED
    if mode in (ExternalIdMode.GLOBAL, ExternalIdMode.GENERATED) and external_id_given:
        return ExternalIdConflict.NOT_ALLOWED
    return None


def parse_role_arn(value: str) -> tuple[str, str, str, str]:
    """``(partition, account id, path, name)`` of a role ARN; raises ValueError for anything else."""
    problem = role_arn_problem(value)
    if problem:
        raise ValueError(problem)
    match = _ROLE_ARN.fullmatch(value)
    assert match is not None  # role_arn_problem accepted it
    return match["partition"], match["account"], match["path"], match["name"]


def keyword_inputs(
    resource: str, given: Mapping[str, Any], names: Iterable[str], required: Collection[str]
) -> dict[str, Any]:
    """Every input of ``names`` (None where not given), checked as a keyword-only signature would be:
    an unknown name, or a missing required one, is a ``TypeError`` naming them."""
    names = tuple(names)
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise TypeError(f"{resource} got unexpected keyword argument(s): {', '.join(unknown)}")
    missing = [name for name in names if name in required and name not in given]
    if missing:
        raise TypeError(f"{resource} is missing required keyword argument(s): {', '.join(missing)}")
    return {name: given.get(name) for name in names}
