"""Runtime switches of the emulator.

The contract (``docs/bitmovin-api.md#unconfirmed-points``) leaves several behaviours
of the real API UNCONFIRMED. Instead of guessing once, the emulator makes each of them a
switch, so client code can be tested against every plausible variant.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from .export_options import ExportOptions

DEFAULT_ORG_ID = "00000000-0000-4000-8000-000000000000"
"""Organization used when a request has no ``X-Tenant-Org-Id`` and its key has no home org."""

# Namespace of the account ids derived from a key's home organization (``EmulatorOptions.account_id``).
_ACCOUNT_NAMESPACE = uuid.UUID("6f0d9a4e-2b1c-4e8f-9a7d-3c5b1e0f2a4d")

DeleteBody = Literal["id", "full"]
UnauthorizedBody = Literal["envelope", "gateway"]
NameFilter = Literal["exact", "substring"]
GeneratedModeExternalId = Literal["reject", "replace"]


@dataclass
class EmulatorOptions:
    """Behaviour switches; every default is documented with the reason it is switchable.

    Response shape (contract U1-U5, U7, all UNCONFIRMED). The ``echo_*``
    switches apply to every response carrying an output (create, get, list items and
    delete with ``delete_body="full"``); ``/customData`` always answers.

    - ``echo_role_arn`` (True): responses contain ``roleArn``. The encoding
      schema marks it ``writeOnly``; the analytics one does not say.
    - ``echo_custom_data`` (False): responses contain ``customData``. ``writeOnly`` plus
      the separate ``/customData`` endpoint suggest it is omitted.
    - ``echo_acl`` (True): responses contain ``acl``. Only the encoding API documents
      that ``acl`` is not returned.
    - ``echo_type`` (True): responses contain ``"type": "S3_ROLE_BASED"``. Likely, since
      the Go SDK's polymorphic decoder reads it; the Python SDK parses items without it.
    - ``create_status`` (201): status of a successful create; 201 by analogy with the
      encoding spec, 200 is possible.
    - ``delete_body`` ("id"): delete answers ``{"id": ...}``; ``"full"`` returns the
      whole output (as shown by GET).
    - ``unauthorized_body`` ("envelope"): 401 body is a Bitmovin ERROR envelope;
      ``"gateway"`` answers ``{"message": "Invalid authentication credentials"}`` as an
      API gateway did in 2017.
    - ``name_filter`` ("substring"): the list ``name`` filter matches substrings; the
      stricter-for-clients choice, since a client must re-check names itself.
      ``"exact"`` matches whole names only.
    - ``validate_role_arn`` (False): reject a ``roleArn`` that is not an IAM role ARN.
      The contract infers the real API does no validation at create.
    - ``pagination_links`` (True): list results carry ``previous``/``next`` URLs when
      there is a previous/next page (their real format is UNCONFIRMED).

    Strictness where the public documentation is silent (strict by default, so a client
    mistake fails here rather than against the real API; switch off to imitate a lenient API):

    - ``require_custom_external_id`` (True): ``externalIdMode: CUSTOM`` without an
      ``externalId`` is a 400 (``details[].field`` ``externalId``). The SDK documentation
      calls ``externalId`` optional and says nothing about CUSTOM without one; a create
      that omits both the mode and the ID is still accepted as documented.
    - ``external_id_in_generated_modes`` ("reject"): an ``externalId`` sent with GLOBAL
      or GENERATED is a 400. The documentation only says the API provides the ID in those
      modes; ``"replace"`` silently replaces the caller's value, as earlier versions of
      this emulator did.
    - ``validate_tenant_org_id`` (True): an ``X-Tenant-Org-Id`` that is not a UUID is a
      400 (``details[].field`` ``X-Tenant-Org-Id``) instead of silently acting in a new,
      empty organization. Valid ids are compared case-insensitively (RFC 9562).
    - ``reject_zero_limit`` (True): ``limit=0`` on the list is a 400; the documentation
      gives only the default (25) and the maximum (100).

    Authentication and organizations (not UNCONFIRMED, but test configuration):

    - ``api_keys`` (None): allowed keys; None accepts any non-empty key.
    - ``home_orgs`` ({}): key -> the organization it acts in without
      ``X-Tenant-Org-Id``; unlisted keys use ``DEFAULT_ORG_ID``.
    - ``org_access`` (None): key -> organization ids the key may select with
      ``X-Tenant-Org-Id`` (its home org is always allowed); others get 403. Keys not
      in the map, or a None map, may use any organization.
    - ``accounts`` ({}): key -> the Bitmovin account (user) it belongs to, which
      ``GET /account/information`` names. Unlisted keys belong to an account derived from
      their home organization (``account_id``), so by default two keys share an account
      exactly when they share a home organization: a key acts in its account's own
      organization (contract U12, INFERRED from the export tutorial). List keys here to
      break that rule, e.g. two accounts with one home organization.
    """

    echo_role_arn: bool = True
    echo_custom_data: bool = False
    echo_acl: bool = True
    echo_type: bool = True
    create_status: int = 201
    delete_body: DeleteBody = "id"
    unauthorized_body: UnauthorizedBody = "envelope"
    name_filter: NameFilter = "substring"
    validate_role_arn: bool = False
    pagination_links: bool = True
    require_custom_external_id: bool = True
    external_id_in_generated_modes: GeneratedModeExternalId = "reject"
    validate_tenant_org_id: bool = True
    reject_zero_limit: bool = True
    api_keys: Collection[str] | None = None
    home_orgs: dict[str, str] = field(default_factory=dict)
    org_access: dict[str, Collection[str]] | None = None
    accounts: dict[str, str] = field(default_factory=dict)
    # Analytics export tasks: pace, UNCONFIRMED response details, acting as Bitmovin toward AWS.
    exports: ExportOptions = field(default_factory=ExportOptions)

    def account_id(self, key: str) -> str:
        """The account ``key`` belongs to: ``accounts``, or one per home organization."""
        listed = self.accounts.get(key)
        if listed is not None:
            return listed
        return str(uuid.uuid5(_ACCOUNT_NAMESPACE, self.home_orgs.get(key, DEFAULT_ORG_ID)))
