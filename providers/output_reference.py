"""Pulumi dynamic resource that references an existing Bitmovin Analytics S3 role-based output.

For a team that already created its output by hand (the Bitmovin guide's "Use an existing S3
role-based Output" step): the stack reads the output, so that its bucket, role ARN and external ID can
be wired into the IAM role, but never creates, changes or deletes it. ``create`` and ``read`` are one
GET each, in the organization given as ``tenant_org_id``; ``delete`` sends no request at all. Without
``tenant_org_id``, create also reads the key's account once per provider process
(``providers.organization``), so that a key of another organization never makes the output look deleted.

A stack that switches its own output (created or adopted) to a reference reaches ``diff`` with that
output's state and id, because the component aliases the reference to it
(``analytics_export.output_child``): naming the same output keeps it (``update``, one GET, nothing
deleted); naming another is refused there, before the engine would delete the owned one.

Compare ``AnalyticsS3RoleBasedOutput(adopt_output_id=...)``: that takes an existing output *over*;
from then on the stack owns it and deletes it on ``destroy`` or when it is replaced.

CONTRACT: ``providers.output_reference.AnalyticsOutputReferenceProvider`` is pickled by reference
into every stack's state, and ``pulumi-python:dynamic/bitmovin:AnalyticsOutputReference`` is part of
every URN (tests/providers/test_output_reference_contract.py pins both). Keep this module declarative: the
provider host imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from providers import organization
from providers import validation as rules
from providers.errors import OutputSwitchError, ReferencedOutputError
from providers.provider_base import BitmovinProviderBase

if TYPE_CHECKING:
    from bitmovin_api.errors import BitmovinApiError


class Attribute(NamedTuple):
    """One attribute of ``AnalyticsOutputReference``: an input (``api`` None) or read from the output."""

    api: str | None  # the referenced output's API field
    type: Any  # of the output attribute (``pulumi.Output[type]``)


# Every attribute, once: the inputs first (``output_id`` is required), then what is read.
ATTRIBUTES: dict[str, Attribute] = {
    "output_id": Attribute(None, str),
    "tenant_org_id": Attribute(None, str | None),
    "bucket_name": Attribute("bucketName", str),
    "role_arn": Attribute("roleArn", str | None),  # may be absent: the public schema marks it write-only
    "external_id": Attribute("externalId", str),
    "external_id_mode": Attribute("externalIdMode", str | None),
    "name": Attribute("name", str | None),
    "created_at": Attribute("createdAt", str | None),
}
INPUT_KEYS: tuple[str, ...] = tuple(key for key, attribute in ATTRIBUTES.items() if attribute.api is None)
# State key -> API field of the referenced output.
OUTPUT_FIELDS: dict[str, str] = {key: attribute.api for key, attribute in ATTRIBUTES.items() if attribute.api}
REQUIRED_FIELDS: tuple[str, ...] = ("bucketName", "externalId")


def _known(value: Any) -> bool:
    """False for Pulumi's preview placeholders."""
    return not isinstance(value, Unknown) and value != UNKNOWN


def reference_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The two inputs, ``None`` and foreign keys dropped; ``""`` means "no organization given"."""
    inputs = {key: props[key] for key in INPUT_KEYS if props.get(key) is not None}
    if inputs.get("tenant_org_id") == "":
        del inputs["tenant_org_id"]
    return inputs


def owned_output_state(olds: Mapping[str, Any]) -> bool:
    """True for the state of an output the stack owns, handed over through the component's alias:
    every reference's state holds ``output_id`` (a required input), an owned output's never does."""
    return bool(olds) and "output_id" not in olds


def switch_problem(owned_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> str | None:
    """Why the reference cannot take the owned output's place (it would be deleted), or None when the
    reference names that very output in the same organization."""
    inputs = reference_inputs(news)
    output_id, tenant = inputs.get("output_id"), inputs.get("tenant_org_id")
    owned_tenant = olds.get("tenant_org_id") or None
    if output_id == owned_id and tenant == owned_tenant:
        return None
    if not (_known(output_id) and _known(tenant)):
        named = "an output not known before `pulumi up` runs"
    elif output_id == owned_id:
        named = f"output {output_id} in {where(tenant)}"
    else:
        named = f"another output, {output_id}"
    described = ", ".join(
        f"{label} {olds[key]!r}"
        for key, label in (("name", "name"), ("bucket_name", "bucket"))
        if olds.get(key)
    )
    return (
        f"existingOutputId names {named}, but this stack owns Bitmovin Analytics output {owned_id}"
        f"{f' ({described})' if described else ''} in {where(owned_tenant)}: it created or adopted it, "
        "and switching would delete it in this same `pulumi up`. Nothing was changed. "
        f"To keep managing it: `pulumi config rm existingOutputId`. To keep it but stop managing it, "
        f"reference that very output: `pulumi config set existingOutputId {owned_id}`, then `pulumi up` "
        "(nothing is deleted); only after that point existingOutputId at another output, and delete "
        f"{owned_id} in the Bitmovin dashboard if it is no longer needed."
    )


def where(tenant_org_id: str | None) -> str:
    """The organization a request acted in, as a user would name it."""
    if tenant_org_id:
        return f"organization {tenant_org_id}"
    return "the API key's own organization (bitmovin:tenantOrgId is not set)"


class AnalyticsOutputReferenceProvider(BitmovinProviderBase):
    """Reads an existing output: GET on create and read, nothing on delete, replace on any input change."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Both ids must be UUIDs; no network call, unknown (preview) values tolerated."""
        inputs = reference_inputs(news)
        failures: list[CheckFailure] = []
        output_id = inputs.get("output_id")
        if output_id is None:
            failures.append(
                CheckFailure("output_id", "is required: the id of the existing Bitmovin Analytics output")
            )
        elif _known(output_id):
            problem = rules.output_id_problem(output_id)
            if problem:
                failures.append(CheckFailure("output_id", problem))
        tenant = inputs.get("tenant_org_id")
        if tenant is not None and _known(tenant):
            problem = rules.tenant_org_id_problem(tenant)
            if problem:
                failures.append(CheckFailure("tenant_org_id", problem))
        failures += [CheckFailure("", problem) for problem in self._config_problems()]
        return CheckResult(inputs, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Another output or organization is another reference: replace. No network call.

        The state of an output the stack owns (see ``owned_output_state``) is taken over in place when
        the reference names it, and refused otherwise: a replacement would delete it through its own
        provider.
        """
        if owned_output_state(olds):
            problem = switch_problem(id_, olds, news)
            if problem:
                raise OutputSwitchError(problem)
            return DiffResult(changes=True, replaces=[], stables=[], delete_before_replace=False)
        old, new = reference_inputs(olds), reference_inputs(news)
        changed = [key for key in INPUT_KEYS if old.get(key) != new.get(key) or not _known(new.get(key))]
        stables = [key for key in (*INPUT_KEYS, *OUTPUT_FIELDS) if key not in changed]
        return DiffResult(
            changes=bool(changed), replaces=changed, stables=stables, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """One GET; fails with a message saying whether the output is missing or not accessible."""
        from bitmovin_api.errors import BitmovinApiError  # with the client: check never needs it

        inputs = reference_inputs(props)
        try:
            found = self._get(inputs)
        except BitmovinApiError as error:
            raise self._lookup_error(inputs, error) from None
        outputs = self._outputs(inputs, found)
        # Where the output is (``providers.organization``): a later not-found is believed only there.
        tenant = inputs.get("tenant_org_id")
        holder = organization.created_account(self._client(tenant), tenant)
        return CreateResult(inputs["output_id"], {**outputs, **holder})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """One GET; an output deleted meanwhile (as the API confirms in the organization that holds
        it) leaves the state, and the next ``up`` reports it."""
        from bitmovin_api.errors import BitmovinApiError  # with the client: check never needs it

        inputs = reference_inputs({"output_id": id_, **props})
        tenant = inputs.get("tenant_org_id")
        client = self._client(tenant)
        try:
            # A 404 counts as gone only when the outputs API confirms it in the output's organization
            # (a gateway's 404, or one from a key of another organization, fails).
            found = client.find_output(
                inputs["output_id"], holder_account=organization.recorded_account(props)
            )
        except BitmovinApiError as error:
            raise self._lookup_error(inputs, error) from None
        if found is None:
            return ReadResult(None, {})
        outputs = {**self._outputs(inputs, found), **organization.refreshed_account(client, tenant, props)}
        return ReadResult(id_, outputs, dict(inputs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """The owned output ``diff`` let through becomes this reference: read as ``create`` reads it.
        Otherwise unreachable through ``diff`` (every change replaces): keeps the state as it is."""
        if owned_output_state(olds):
            problem = switch_problem(id_, olds, news)
            if problem:
                raise OutputSwitchError(problem)
            return UpdateResult(self.create(news).outs)
        return UpdateResult({key: value for key, value in olds.items() if key != "__provider"})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Sends nothing: the referenced output belongs to whoever created it."""

    # -- helpers -------------------------------------------------------------------------------

    def _get(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        return self._client(inputs.get("tenant_org_id")).get_output(inputs["output_id"])

    @staticmethod
    def _lookup_error(inputs: Mapping[str, Any], error: BitmovinApiError) -> Exception:
        """Say which of "missing" and "not accessible" it is, and what to check."""
        output_id, tenant = inputs["output_id"], inputs.get("tenant_org_id")
        request = f" (requestId {error.request_id})" if error.request_id else ""
        if error.not_found:  # a Bitmovin envelope, not a gateway page
            return ReferencedOutputError(
                f"Bitmovin Analytics output {output_id} (existingOutputId) was not found in {where(tenant)}"
                f"{request}. Check the id, and bitmovin:tenantOrgId: the API also answers 'not found' for an "
                "output of another organization, and for the id of an Encoding output."
            )
        if error.status == 403:
            return ReferencedOutputError(
                f"The API key may not read {where(tenant)} (HTTP 403){request}, so output {output_id} "
                "(existingOutputId) cannot be looked up. Check bitmovin:tenantOrgId and that the key's user "
                "belongs to that organization."
            )
        return error

    @staticmethod
    def _outputs(inputs: Mapping[str, Any], found: Mapping[str, Any]) -> dict[str, Any]:
        missing = [field for field in REQUIRED_FIELDS if not found.get(field)]
        if missing:
            raise ReferencedOutputError(
                f"Bitmovin Analytics output {inputs['output_id']} (existingOutputId) has no "
                f"{' and no '.join(missing)}. A role must trust Bitmovin only with the output's external ID; "
                "use an output created with externalIdMode GLOBAL or GENERATED (or CUSTOM with an externalId)."
            )
        outputs = dict(inputs)
        outputs.update({key: found[field] for key, field in OUTPUT_FIELDS.items() if found.get(field)})
        return outputs


class AnalyticsOutputReference(pulumi.dynamic.Resource, module="bitmovin", name="AnalyticsOutputReference"):
    """An existing Bitmovin Analytics S3 role-based output, read but never created or deleted.

    ``role_arn`` is None when the API does not return it (the public schema marks it write-only).
    The API key is never an input: the provider reads ``bitmovin:apiKey`` (or ``BITMOVIN_API_KEY``).
    """

    __annotations__ = {
        **{key: pulumi.Output[attribute.type] for key, attribute in ATTRIBUTES.items()},
        organization.ACCOUNT_KEY: pulumi.Output[str | None],
    }

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **inputs: Any) -> None:
        """``inputs``: ``output_id`` (required) and ``tenant_org_id`` (see ``ATTRIBUTES``)."""
        props: dict[str, Any] = {
            **rules.keyword_inputs("AnalyticsOutputReference", inputs, INPUT_KEYS, ("output_id",)),
            # Declared outputs: present as None so the SDK creates typed Output attributes.
            **dict.fromkeys((*OUTPUT_FIELDS, organization.ACCOUNT_KEY)),
        }
        super().__init__(AnalyticsOutputReferenceProvider(), resource_name, props, opts)
