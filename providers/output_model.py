"""The resource's inputs and outputs, and their mapping to the Bitmovin API's JSON model.

Each input is declared once, in ``FIELDS``; the API mapping, the compared keys, the rules, the
resource's keyword arguments and its typed attributes derive from it.

Pure functions: ``check`` and ``diff`` use them without any network call, ``create`` and ``read``
use them to translate between Pulumi state (snake_case) and the API (camelCase).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.runtime.rpc import UNKNOWN

from providers import validation as rules
from providers.organization import ACCOUNT_KEY

# Reserved custom data key holding the creation token (``creation_token``), so an output whose POST
# outcome was lost, or whose CLI was killed, can be found again without ambiguity
# (see ``providers.create_reconciler``).
CREATION_TOKEN_KEY = "pulumiCreationToken"
# What identifies the resource (the parts of its URN), passed by the resource because a dynamic
# provider's create does not see the URN: the creation token derives from it. Kept in state (inputs
# and outputs), never a reason to replace, never sent to the API.
CREATION_KEY = "creation_key"
# The name sent to Bitmovin ends with a tag derived from the creation token (``api_name``), so the
# list's documented ``name`` filter finds a create's output in one request however many outputs the
# organization holds (docs/bitmovin-api.md, "Finding a create's output"). State keeps the user's name.
NAME_TAG_PREFIX = "pulumi-"
NAME_TAG_HEX = 12
_NAME_TAG = re.compile(rf"(?:^|(?<= )){NAME_TAG_PREFIX}[0-9a-f]{{{NAME_TAG_HEX}}}$")
# Fields a take-over compares only when the API returns them: the public schema marks ``roleArn``
# write-only (UNCONFIRMED U3). Every other field of ``Field.adopted_must_match`` must be returned.
_MAY_BE_OMITTED = frozenset({"role_arn"})
# Never quoted in a mismatch: a CUSTOM external ID may be a secret (``externalIdIsSecret``).
_NOT_QUOTED = frozenset({"external_id"})


def _not_reserved(value: Any) -> str | None:
    problem = rules.custom_data_problem(value)
    if not problem and CREATION_TOKEN_KEY in value:
        problem = f"the key '{CREATION_TOKEN_KEY}' is reserved by this provider"
    return problem


def _one_of(choices: Any) -> Callable[[Any], str | None]:
    return lambda value: rules.enum_problem(value, choices)


def _text_of_at_most(length: int) -> Callable[[Any], str | None]:
    return lambda value: rules.text_problem(value, length)


@dataclass(frozen=True)
class Field:
    """One input of ``AnalyticsS3RoleBasedOutput``: every other table of this module derives from these."""

    name: str  # keyword argument, state key and output attribute
    api: str | None = None  # the API's JSON field (sent in the create body, read back); None: not sent
    header: bool = False  # sent as the organization header instead (the client's tenant)
    compared: bool = True  # a change replaces the output; False: never a reason to replace
    required: bool = False
    rule: Callable[[Any], str | None] | None = None  # for a known value; None: checked elsewhere
    default: Callable[[], Any] | None = None  # filled by ``check`` when unset (the program sends None)
    empty_is_unset: bool = False  # "" or {} mean "not set"
    adopted_must_match: bool = False  # a taken-over output must return it (and, like every field, agree)
    type: Any = str | None  # of the resource's output attribute (``pulumi.Output[type]``); None: none


# Every input, once, in the order check reports problems. The API key is never an input.
FIELDS: tuple[Field, ...] = (
    Field(
        "bucket_name",
        "bucketName",
        required=True,
        rule=rules.bucket_name_problem,
        adopted_must_match=True,
        type=str,
    ),
    Field(
        "role_arn", "roleArn", required=True, rule=rules.role_arn_problem, adopted_must_match=True, type=str
    ),
    Field(
        "external_id_mode",
        "externalIdMode",
        rule=_one_of(rules.ExternalIdMode),
        default=lambda: rules.DEFAULT_EXTERNAL_ID_MODE,
        adopted_must_match=True,
        type=str,
    ),
    # Checked with the mode (``_external_id_problems``); an input only in CUSTOM mode.
    Field("external_id", "externalId", adopted_must_match=True, type=str),
    Field(
        "acl",
        "acl",
        rule=rules.acl_problem,
        default=lambda: [dict(entry) for entry in rules.PRIVATE_ACL],
        type=list[dict[str, str]],
    ),
    Field("name", "name", rule=_text_of_at_most(rules.MAX_OUTPUT_NAME_LENGTH), adopted_must_match=True),
    Field("description", "description", rule=_text_of_at_most(rules.MAX_OUTPUT_DESCRIPTION_LENGTH)),
    Field("custom_data", "customData", rule=_not_reserved, empty_is_unset=True, type=dict[str, Any] | None),
    Field("tenant_org_id", header=True, rule=rules.tenant_org_id_problem, empty_is_unset=True),
    Field("cloud_region", "cloudRegion", rule=_one_of(rules.CloudRegion)),
    Field("signature_version", "signatureVersion", rule=_one_of(rules.SignatureVersion)),
    Field("md5_meta_tag", "md5MetaTag", rule=rules.md5_meta_tag_problem),
    # Read only by ``create``: take over an existing output instead of creating one (the stand-in for
    # `pulumi import`, which dynamic resources do not support). Never a reason to replace.
    Field("adopt_output_id", compared=False, rule=rules.output_id_problem, type=None),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
# Input key -> API field, for the inputs sent in the body.
API_FIELDS: dict[str, str] = {f.name: f.api for f in FIELDS if f.api}
# The compared inputs: those of the body, then those sent as headers (the order of ``replaces``).
INPUT_KEYS: tuple[str, ...] = (*API_FIELDS, *(f.name for f in FIELDS if f.header))
# Computed outputs: the API's times, and the account that names the output's organization
# (``providers.organization``; absent with a tenant and in state of an earlier release).
COMPUTED_KEYS: tuple[str, ...] = ("created_at", "modified_at", ACCOUNT_KEY)
(ADOPT_KEY,) = (f.name for f in FIELDS if not f.compared)


def output_types() -> dict[str, Any]:
    """Attribute -> type of the resource's outputs (the SDK converts what the engine returns with them)."""
    return {**{f.name: f.type for f in FIELDS if f.type is not None}, **dict.fromkeys(COMPUTED_KEYS, str)}


def resource_props(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every input as the program registers it (``None`` where not given), checked like a signature."""
    required = [f.name for f in FIELDS if f.required]
    return rules.keyword_inputs("AnalyticsS3RoleBasedOutput", given, FIELD_NAMES, required)


def is_known(value: Any) -> bool:
    """False for Pulumi's preview placeholders (``Unknown`` objects or the wire sentinel)."""
    if isinstance(value, str):
        return value != UNKNOWN
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, Mapping):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(is_known(v) for v in value)
    return False


def with_defaults(news: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs as the user gave them, defaults filled, ``None`` and foreign keys dropped."""
    inputs = {key: news[key] for key in (*INPUT_KEYS, ADOPT_KEY, CREATION_KEY) if news.get(key) is not None}
    for field in FIELDS:
        if field.default is not None:
            inputs.setdefault(field.name, field.default())
    for field in FIELDS:
        value = inputs.get(field.name)
        if field.empty_is_unset and field.name in inputs and not value and is_known(value):
            del inputs[field.name]  # "" and {} mean "not set"
    return inputs


def input_problems(inputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, reason)`` for every bad known input; unknown (preview) values are skipped."""
    known = {k: v for k, v in inputs.items() if is_known(v)}
    problems = [(f.name, f"'{f.name}' is required") for f in FIELDS if f.required and f.name not in inputs]
    problems += [
        (f.name, problem)
        for f in FIELDS
        if f.rule is not None and f.name in known and (problem := f.rule(known[f.name]))
    ]
    problems += _external_id_problems(inputs, known)
    return problems


def _external_id_problems(inputs: Mapping[str, Any], known: Mapping[str, Any]) -> list[tuple[str, str]]:
    mode = known.get("external_id_mode")
    conflict = rules.external_id_conflict(mode, "external_id" in inputs)
    if conflict == "not-allowed" and "external_id" in known:
        return [
            (
                "external_id",
                f"can only be set with external_id_mode CUSTOM; with {mode} Bitmovin generates it",
            )
        ]
    if conflict == "required":
        return [("external_id", "is required with external_id_mode CUSTOM (a random UUID is recommended)")]
    if (
        conflict is None
        and "external_id" in known
        and (problem := rules.external_id_problem(known["external_id"]))
    ):
        return [("external_id", problem)]
    return []


def comparable_inputs(state: Mapping[str, Any]) -> dict[str, Any]:
    """The user inputs in a canonical form, from checked inputs or from state (outputs).

    The external id is an input only in CUSTOM mode; otherwise it is server-generated output and
    must not count as a user change.
    """
    inputs = with_defaults(state)
    for key in (*(f.name for f in FIELDS if not f.compared), CREATION_KEY):
        inputs.pop(key, None)
    if inputs.get("external_id_mode") != rules.ExternalIdMode.CUSTOM:
        inputs.pop("external_id", None)
    if is_known(inputs.get("acl")) and isinstance(inputs.get("acl"), list):
        inputs["acl"] = [
            {"permission": entry.get("permission")} if isinstance(entry, Mapping) else entry
            for entry in inputs["acl"]
        ]
    return inputs


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Input keys whose value differs; an unknown new value counts as a possible change."""
    old, new = comparable_inputs(olds), comparable_inputs(news)
    return [key for key in INPUT_KEYS if old.get(key) != new.get(key) or not is_known(new.get(key))]


def creation_token(inputs: Mapping[str, Any]) -> str | None:
    """The token an output is created with: the same for the same resource (URN) and inputs.

    A create that dies with the CLI (a cancelled CI job, a closed laptop) leaves an output the state
    does not know; the next ``pulumi up`` computes the same token and finds that output instead of
    creating a second one. A replacement after an input change gets another token, so it never
    finds the output it replaces (``pulumi up --replace`` with unchanged inputs does: see
    ``AnalyticsS3RoleBasedOutputProvider.create``). None without the resource's key (a caller below
    the engine): such a create gets a random token and can take nothing over.
    """
    key = inputs.get(CREATION_KEY)
    if not isinstance(key, str) or not key:
        return None
    identity = {"resource": key, "inputs": comparable_inputs(inputs)}
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def api_body(inputs: Mapping[str, Any], creation_token: str) -> dict[str, Any]:
    """The create request body; ``None`` values are omitted as the official SDKs do."""
    body = {API_FIELDS[key]: value for key, value in comparable_inputs(inputs).items() if key in API_FIELDS}
    body["name"] = api_name(inputs.get("name"), creation_token)
    body["customData"] = {**dict(inputs.get("custom_data") or {}), CREATION_TOKEN_KEY: creation_token}
    return body


def name_tag(creation_token: str) -> str:
    """``pulumi-`` and 12 hex digits of the token's hash: 48 bits, short enough for a visible name."""
    return NAME_TAG_PREFIX + hashlib.sha256(creation_token.encode()).hexdigest()[:NAME_TAG_HEX]


def api_name(name: str | None, creation_token: str) -> str:
    """The name sent to Bitmovin: the user's name (cut to fit), a space and the token's tag; the tag
    alone without a name. The same for the same token, so the list's name filter finds it."""
    tag = name_tag(creation_token)
    if not name:
        return tag
    return f"{name[: rules.MAX_OUTPUT_NAME_LENGTH - len(tag) - 1]} {tag}"


def user_name(api_value: Any, name: str | None) -> Any:
    """The user's ``name`` for the name the API returned: ``name`` if the API's is ``name`` as
    ``api_name`` sends it (any token), or as the previous release sent it (untagged); otherwise the
    API's name without a tag (a different name: drift or a mismatch)."""
    if api_value == name or not isinstance(api_value, str) or not (tag := _NAME_TAG.search(api_value)):
        return api_value
    base = api_value[: tag.start()].removesuffix(" ")
    sent_cut = len(api_value) == rules.MAX_OUTPUT_NAME_LENGTH and bool(base)
    if isinstance(name, str) and (base == name or (sent_cut and name.startswith(base))):
        return name
    return base


def outputs_from(inputs: Mapping[str, Any], api_output: Mapping[str, Any]) -> dict[str, Any]:
    """State after create or read: the inputs, refreshed by what the API returned, plus computed fields.

    Only fields the user set are refreshed (plus the server-generated external id), so a default
    the API adds on its own never shows up as a change. Fields the API may not echo (``roleArn``,
    ``customData``, ``acl``: UNCONFIRMED) or echoes empty keep their input value, so that a
    refresh without drift changes nothing.
    """
    outputs = comparable_inputs(inputs)
    for key, field in API_FIELDS.items():
        value = api_output.get(field)
        if value in (None, [], {}) or (key not in outputs and key != "external_id"):
            continue
        outputs[key] = user_name(value, inputs.get("name")) if key == "name" else value
    if isinstance(outputs.get("custom_data"), Mapping):
        custom = {k: v for k, v in outputs["custom_data"].items() if k != CREATION_TOKEN_KEY}
        if custom:
            outputs["custom_data"] = custom
        else:
            outputs.pop("custom_data")
    if isinstance(outputs.get("acl"), list):
        outputs["acl"] = [
            {"permission": e.get("permission")} for e in outputs["acl"] if isinstance(e, Mapping)
        ]
    outputs["created_at"] = api_output.get("createdAt")
    outputs["modified_at"] = api_output.get("modifiedAt")
    if inputs.get(CREATION_KEY):  # kept through refresh, so that refreshed inputs equal checked ones
        outputs[CREATION_KEY] = inputs[CREATION_KEY]
    return outputs


def adoption_mismatches(inputs: Mapping[str, Any], existing: Mapping[str, Any]) -> list[str]:
    """What makes an existing output other than the one these inputs create: a field it returns with
    another value (as state would hold it: the state ``outputs_from`` makes of it must equal the
    inputs, or the next ``up`` would replace it), or an identifying field it does not return.

    Used by every take-over, by ``adopt_output_id`` and by creation token alike.
    """
    wanted = comparable_inputs(inputs)
    taken = outputs_from(inputs, existing)
    mismatches = []
    for key in INPUT_KEYS:
        field = API_FIELDS.get(key)
        if field is None or key not in wanted:
            continue
        if existing.get(field) is None and _must_be_returned(key):
            mismatches.append(f"{key} is not in the API's answer (expected {_quoted(wanted[key])})")
        elif taken.get(key) != wanted[key] and key in _NOT_QUOTED:
            mismatches.append(f"{key} differs (values not shown: it may be secret)")
        elif taken.get(key) != wanted[key]:
            mismatches.append(f"{key} is {_quoted(taken.get(key))}, not {_quoted(wanted[key])}")
    return mismatches


def _quoted(value: Any) -> str:
    """``repr``, with a str enum member shown as its plain value."""
    return repr(str(value)) if isinstance(value, str) else repr(value)


def _must_be_returned(key: str) -> bool:
    return key not in _MAY_BE_OMITTED and any(f.name == key and f.adopted_must_match for f in FIELDS)
