"""Request validation: create bodies and list query parameters.

Every bad field is reported at once (one ``FieldError`` each), because clients
surface ``details[].field`` to users and should not need several round trips.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from .envelopes import FieldError

OUTPUT_TYPE = "S3_ROLE_BASED"
EXTERNAL_ID_MODES = ("CUSTOM", "GLOBAL", "GENERATED")
ACL_PERMISSIONS = ("PUBLIC_READ", "PRIVATE")
SIGNATURE_VERSIONS = ("S3_V2", "S3_V4")
AWS_CLOUD_REGIONS = (
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

REQUIRED_STRINGS = ("bucketName", "roleArn")
OPTIONAL_STRINGS = ("name", "description", "externalId", "md5MetaTag")
ENUMS: dict[str, tuple[str, ...]] = {
    "externalIdMode": EXTERNAL_ID_MODES,
    "cloudRegion": AWS_CLOUD_REGIONS,
    "signatureVersion": SIGNATURE_VERSIONS,
}
# Writable fields kept from a create body; read-only ones (id, createdAt, ...) and
# unknown ones are dropped, as a server would.
WRITABLE_FIELDS = (*REQUIRED_STRINGS, *OPTIONAL_STRINGS, *ENUMS, "customData", "acl")

ROLE_ARN_PATTERN = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ORG_ID_PATTERN = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


class Paging(NamedTuple):
    """Parsed list query: ``name`` is None when no filter was given."""

    offset: int
    limit: int
    name: str | None


def validate_create(
    body: Mapping[str, Any],
    *,
    check_role_arn: bool,
    require_custom_external_id: bool = False,
    reject_external_id_in_generated_modes: bool = False,
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check a create body; return its writable, non-null fields and all problems found."""
    errors: list[FieldError] = []
    errors.extend(
        _external_id_errors(body, require_custom_external_id, reject_external_id_in_generated_modes)
    )
    for name in REQUIRED_STRINGS:
        required_string(body, name, errors)
    role_arn = body.get("roleArn")
    if (
        check_role_arn
        and isinstance(role_arn, str)
        and role_arn.strip()
        and not ROLE_ARN_PATTERN.match(role_arn)
    ):
        errors.append(
            FieldError("roleArn", "roleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
        )
    errors.extend(optional_string_errors(body, OPTIONAL_STRINGS))
    errors.extend(enum_errors(body, ENUMS))
    custom_data = body.get("customData")
    if custom_data is not None and not isinstance(custom_data, dict):
        errors.append(FieldError("customData", "customData must be a JSON object"))
    errors.extend(_acl_errors(body.get("acl")))
    output_type = body.get("type")
    if output_type is not None and output_type != OUTPUT_TYPE:
        errors.append(FieldError("type", f"type must be {OUTPUT_TYPE}"))
    fields = {name: body[name] for name in WRITABLE_FIELDS if body.get(name) is not None}
    return fields, errors


def _external_id_errors(
    body: Mapping[str, Any], require_custom: bool, reject_generated: bool
) -> list[FieldError]:
    """externalId against externalIdMode (see the ``EmulatorOptions`` switches)."""
    mode, external_id = body.get("externalIdMode"), body.get("externalId")
    if mode == "CUSTOM" and require_custom and (external_id is None or external_id == ""):
        return [FieldError("externalId", "externalId is required with externalIdMode CUSTOM")]
    if mode in ("GLOBAL", "GENERATED") and reject_generated and external_id is not None:
        return [
            FieldError(
                "externalId",
                f"externalId must not be set with externalIdMode {mode}: the API generates it",
            )
        ]
    return []


def required_string(
    body: Mapping[str, Any], key: str, errors: list[FieldError], *, prefix: str = ""
) -> str | None:
    """The non-blank string ``key`` of ``body``, or None after filing why not (also used by export tasks)."""
    value = body.get(key)
    label = prefix + key
    if value is None:
        errors.append(FieldError(label, f"{label} is required"))
    elif not isinstance(value, str):
        errors.append(FieldError(label, f"{label} must be a string"))
    elif not value.strip():
        errors.append(FieldError(label, f"{label} must not be empty"))
    else:
        return value
    return None


def optional_string_errors(body: Mapping[str, Any], names: Iterable[str]) -> list[FieldError]:
    """A problem for each of ``names`` that is present but not a string (also used by export tasks)."""
    return [
        FieldError(name, f"{name} must be a string")
        for name in names
        if body.get(name) is not None and not isinstance(body[name], str)
    ]


def enum_errors(body: Mapping[str, Any], enums: Mapping[str, Iterable[str]]) -> list[FieldError]:
    """A problem for each field of ``enums`` that is present but not one of its values."""
    return [
        FieldError(name, f"{name} must be one of {', '.join(allowed)}")
        for name, allowed in enums.items()
        if body.get(name) is not None and body[name] not in allowed
    ]


def is_org_id(value: str) -> bool:
    """A canonical UUID (8-4-4-4-12 hexadecimal digits, any case)."""
    return ORG_ID_PATTERN.fullmatch(value) is not None


def _acl_errors(acl: Any) -> list[FieldError]:
    """Problems in an ``acl`` list: a list of ``{"permission": ..., "scope"?: ...}``."""
    if acl is None:
        return []
    if not isinstance(acl, list):
        return [FieldError("acl", "acl must be a list of ACL entries")]
    errors = []
    for index, entry in enumerate(acl):
        where = f"acl[{index}]"
        if not isinstance(entry, dict):
            errors.append(FieldError(where, f"{where} must be an object"))
            continue
        if entry.get("permission") not in ACL_PERMISSIONS:
            errors.append(
                FieldError(f"{where}.permission", f"permission must be one of {', '.join(ACL_PERMISSIONS)}")
            )
        scope = entry.get("scope")
        if scope is not None and not isinstance(scope, str):
            errors.append(FieldError(f"{where}.scope", "scope must be a string"))
    return errors


def parse_paging(
    args: Mapping[str, str], *, reject_zero_limit: bool = False
) -> tuple[Paging, list[FieldError]]:
    """Parse ``offset``/``limit``/``name``; on errors the returned Paging is defaults."""
    errors: list[FieldError] = []
    offset = _non_negative_int(args, "offset", 0, errors)
    limit = _non_negative_int(args, "limit", DEFAULT_LIMIT, errors)
    if limit > MAX_LIMIT:
        errors.append(FieldError("limit", f"limit must not be greater than {MAX_LIMIT}"))
    elif limit == 0 and reject_zero_limit:
        errors.append(FieldError("limit", "limit must be at least 1"))
    name = args.get("name") or None
    if errors:
        return Paging(0, DEFAULT_LIMIT, name), errors
    return Paging(offset, limit, name), errors


def _non_negative_int(args: Mapping[str, str], name: str, default: int, errors: list[FieldError]) -> int:
    """Read one integer query parameter, recording a FieldError when it is bad."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.append(FieldError(name, f"{name} must be an integer"))
        return default
    if value < 0:
        errors.append(FieldError(name, f"{name} must not be negative"))
        return default
    return value
