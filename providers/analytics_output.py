"""Pulumi dynamic resource for a Bitmovin Analytics S3 role-based output.

CONTRACT: ``providers.analytics_output.AnalyticsS3RoleBasedOutputProvider`` is pickled *by
reference* into every stack's state, and the type token
``pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput`` is part of every URN. Renaming or
moving either breaks ``refresh`` and ``destroy`` of existing stacks (tests/providers/test_provider_contract.py
pins them). Keep this module declarative: the provider host imports it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers import organization
from providers import output_model as model
from providers.errors import AdoptionError, InPlaceUpdateError, ProviderConfigError
from providers.provider_base import BitmovinProviderBase

# The client (requests, urllib3) is imported when one is built: check and diff start without it.
if TYPE_CHECKING:
    from bitmovin_api.client import BitmovinClient

# The exceptions live in providers.errors; re-exported because callers import them from here.
__all__ = [
    "AdoptionError",
    "AnalyticsS3RoleBasedOutput",
    "AnalyticsS3RoleBasedOutputProvider",
    "InPlaceUpdateError",
    "ProviderConfigError",
]


# Outputs that a create of this provider process took over (by creation token or ``adopt_output_id``).
# The engine deletes a replaced output after creating its successor, in the same process; should the
# successor be the same output (``pulumi up --replace`` with unchanged inputs finds it by its token),
# that delete must not remove what the state now holds. A create never hands the engine an id that
# the same run then deletes.
_taken_over: set[str] = set()
# (resource key, adopt_output_id) of resources this process diffed, i.e. that exist in state: their
# ``adopt_output_id`` was used by the create that made them. The engine replaces a resource by
# calling diff, then check without old inputs, then create, so only diff can tell a replacement's
# create from a first one; that create makes a new output instead of adopting again.
_adopted_before: set[tuple[str, str]] = set()


def _adoption(inputs: Mapping[str, Any]) -> tuple[str, str]:
    return str(inputs.get(model.CREATION_KEY)), str(inputs.get(model.ADOPT_KEY))


class AnalyticsS3RoleBasedOutputProvider(BitmovinProviderBase):
    """Lifecycle of one output: POST to create, GET to read, DELETE to delete, no update.

    Configuration, session and the empty pickled state come from ``BitmovinProviderBase``: the
    class pickled into state (module path and name) stays this one, here.
    """

    def _client_for(self, inputs: dict[str, Any]) -> BitmovinClient:
        """A client acting in the organization the inputs (or the state) name."""
        return self._client(inputs.get("tenant_org_id"))

    # -- lifecycle ------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate every input and fill defaults; no network call, unknowns tolerated."""
        inputs = model.with_defaults(news)
        failures = [CheckFailure(key, reason) for key, reason in model.input_problems(inputs)]
        failures += [CheckFailure("", problem) for problem in self._config_problems()]
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Any input change replaces the output: the API has no update. No network call."""
        if isinstance(news.get(model.ADOPT_KEY), str):
            # Diffed, so in state: its adoption is done, and a replacement's create must not repeat it.
            _adopted_before.add(_adoption(news))
        changed = model.changed_inputs(olds, news)
        stables = [key for key in (*model.INPUT_KEYS, *model.COMPUTED_KEYS) if key not in changed]
        return DiffResult(
            changes=bool(changed), replaces=changed, stables=stables, delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Take over the output an interrupted create of this resource left, or POST exactly once."""
        inputs = model.with_defaults(props)
        # Where the output will be, recorded before anything is created (``providers.organization``).
        holder = organization.created_account(self._client_for(inputs), inputs.get("tenant_org_id"))
        if model.ADOPT_KEY in inputs and _adoption(inputs) not in _adopted_before:
            adopted = self._adopt(inputs[model.ADOPT_KEY], inputs)
            return CreateResult(adopted.id, {**adopted.outs, **holder})
        from providers.create_reconciler import create_exactly_once

        body = model.api_body(inputs, creation_token=model.creation_token(inputs) or uuid.uuid4().hex)
        created, existed = create_exactly_once(
            self._client_for(inputs), body, lambda found: _refuse_foreign(inputs, found)
        )
        if existed:
            _taken_over.add(created["id"])
        return CreateResult(created["id"], {**model.outputs_from(inputs, created), **holder})

    def _adopt(self, output_id: str, inputs: dict[str, Any]) -> CreateResult:
        """One GET instead of a POST; refused if the existing output is not what the inputs describe."""
        existing = self._client_for(inputs).get_output(output_id)
        mismatches = model.adoption_mismatches(inputs, existing)
        if mismatches:
            raise AdoptionError(
                f"Output {output_id} cannot be adopted: {'; '.join(mismatches)}. Outputs cannot be changed, "
                "so the next `pulumi up` would replace it: adopt only an output that is what the inputs "
                "describe (set the stack config to match it: outputName, outputDescription, bucketName, "
                "roleName, externalIdMode, externalId), or remove the adoption to let the stack "
                f"create a new output (`pulumi config rm adoptOutputId`; in a program, drop {model.ADOPT_KEY})."
            )
        _taken_over.add(output_id)
        return CreateResult(output_id, model.outputs_from(inputs, existing))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from the API; an output the API confirms as not found, in the organization that
        holds it, leaves state.

        Any other 404 (a gateway, a wrong ``bitmovin:apiUrl``, a key of another organization) fails
        instead of dropping a live output: see ``BitmovinClient.confirm_gone``.
        """
        state = model.with_defaults(props)
        client = self._client_for(state)
        current = client.find_output(id_, holder_account=organization.recorded_account(props))
        if current is None:
            return ReadResult(None, {})
        holder = organization.refreshed_account(client, state.get("tenant_org_id"), props)
        outputs = {**model.outputs_from(state, current), **holder}
        inputs = model.comparable_inputs(outputs)
        if model.CREATION_KEY in outputs:
            inputs[model.CREATION_KEY] = outputs[model.CREATION_KEY]
        return ReadResult(id_, outputs, inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Unreachable through ``diff``; refuses real changes instead of pretending to apply them."""
        changed = model.changed_inputs(olds, news)
        if changed:
            raise InPlaceUpdateError(
                f"Bitmovin outputs cannot be updated in place (changed: {', '.join(changed)}); "
                "they must be replaced. Run `pulumi up` again so the engine plans a replacement."
            )
        return UpdateResult({key: value for key, value in olds.items() if key != "__provider"})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """DELETE in the organization recorded in state; already gone (as the API confirms there)
        counts as deleted, any other 404 fails. An output this process's create took over is kept."""
        if id_ in _taken_over:
            return
        client = self._client_for(model.with_defaults(props))
        client.delete_output_if_exists(id_, holder_account=organization.recorded_account(props))


def _refuse_foreign(inputs: dict[str, Any], found: Mapping[str, Any]) -> None:
    """An output carrying this resource's creation token is taken over only if it is what the
    inputs describe: the token is computable by anyone who can create outputs in the organization."""
    mismatches = model.adoption_mismatches(inputs, found)
    if mismatches:
        raise AdoptionError(
            f"Output {found.get('id')} carries this resource's creation token but is not what the inputs "
            f"describe: {'; '.join(mismatches)}. It was not taken over. If this "
            "stack did not create it (someone who can create outputs in the organization may have), delete "
            "it in the Bitmovin dashboard or API, then run `pulumi up` again."
        )


# Part of every URN (see the module docstring); the resource's own token, as the SDK forms it.
TYPE_TOKEN = "pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput"


def _resource_key(resource_name: str, opts: pulumi.ResourceOptions | None) -> str:
    """What makes the resource's URN unique: project, stack, parent and name. Plain text, because an
    input built from the parent's ``urn`` would make the output depend on its own parent."""
    parent = opts.parent if opts else None
    scope = f"{parent.pulumi_resource_type}::{parent.pulumi_resource_name}" if parent is not None else ""
    return f"{pulumi.get_project()}/{pulumi.get_stack()}/{scope}/{TYPE_TOKEN}::{resource_name}"


class AnalyticsS3RoleBasedOutput(
    pulumi.dynamic.Resource, module="bitmovin", name="AnalyticsS3RoleBasedOutput"
):
    """A Bitmovin Analytics S3 role-based output; ``external_id`` feeds the role's trust policy.

    The API key is never an input: the provider reads ``bitmovin:apiKey`` (or ``BITMOVIN_API_KEY``).
    Any input change replaces the output, because the Bitmovin API cannot update outputs.
    ``adopt_output_id`` takes over an existing output on create (``pulumi import`` cannot work for
    dynamic resources); later changes of it are ignored.
    """

    # The typed output attributes: every input of ``output_model.FIELDS`` and the computed times.
    __annotations__ = {name: pulumi.Output[type_] for name, type_ in model.output_types().items()}

    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **inputs: Any) -> None:
        """``inputs``: the keyword arguments ``output_model.FIELDS`` names; ``bucket_name`` and
        ``role_arn`` are required."""
        props: dict[str, Any] = {
            **model.resource_props(inputs),
            # The parts of the URN, which the provider's create does not see: the token derives from them.
            model.CREATION_KEY: _resource_key(resource_name, opts),
            # Declared outputs: present as None so the SDK creates typed Output attributes.
            **dict.fromkeys(model.COMPUTED_KEYS),
        }
        super().__init__(AnalyticsS3RoleBasedOutputProvider(), resource_name, props, opts)
