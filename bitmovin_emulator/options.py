"""Runtime switches of the emulator.

The contract (``bitmovin-analytics-api.md`` §10) leaves several behaviours of the
real API UNCONFIRMED. Instead of guessing once, the emulator makes each of them a
switch, so client code can be tested against every plausible variant.
"""

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from .export_options import ExportOptions

DEFAULT_ORG_ID = "00000000-0000-4000-8000-000000000000"
"""Organization used when a request has no ``X-Tenant-Org-Id`` and its key has no home org."""

DeleteBody = Literal["id", "full"]
UnauthorizedBody = Literal["envelope", "gateway"]
NameFilter = Literal["exact", "substring"]


@dataclass
class EmulatorOptions:
    """Behaviour switches; every default is documented with the reason it is switchable.

    Response shape (contract §10 (1)-(3), (5), (7), all UNCONFIRMED). The ``echo_*``
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

    Authentication and organizations (not UNCONFIRMED, but test configuration):

    - ``api_keys`` (None): allowed keys; None accepts any non-empty key.
    - ``home_orgs`` ({}): key -> the organization it acts in without
      ``X-Tenant-Org-Id``; unlisted keys use ``DEFAULT_ORG_ID``.
    - ``org_access`` (None): key -> organization ids the key may select with
      ``X-Tenant-Org-Id`` (its home org is always allowed); others get 403. Keys not
      in the map, or a None map, may use any organization.
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
    api_keys: Collection[str] | None = None
    home_orgs: dict[str, str] = field(default_factory=dict)
    org_access: dict[str, Collection[str]] | None = None
    # Analytics export tasks: pace, UNCONFIRMED response details, acting as Bitmovin toward AWS.
    exports: ExportOptions = field(default_factory=ExportOptions)
