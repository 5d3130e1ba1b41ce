"""Create an output exactly once, even when the answer to the POST is lost or the CLI was killed.

Every output carries a creation token in its custom data, the same for the same resource and inputs
(``output_model.creation_token``). Before posting we look for it: an earlier create of this resource
whose process died (a cancelled CI job) left that output, and it is taken over instead of duplicated.
A POST is never re-sent: if its outcome is unknown (timeout, dropped connection, 5xx) we look for the
output again and adopt it. Anything else fails with an error that says whether something may exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bitmovin_api.client import BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from providers.errors import CreateFailedError
from providers.output_model import CREATION_TOKEN_KEY


def create_exactly_once(client: BitmovinClient, body: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The output ``body`` describes (it carries the creation token), and whether it already existed:
    taken over from an interrupted earlier create, or created now by one POST."""
    token = body["customData"][CREATION_TOKEN_KEY]
    try:
        existing = find_by_token(client, body, token)
    except BitmovinApiError as error:
        raise CreateFailedError(f"Nothing was created: {error}") from None
    if existing is not None:
        return existing, True
    return _post_once(client, body, token), False


def _post_once(client: BitmovinClient, body: Mapping[str, Any], token: str) -> dict[str, Any]:
    try:
        return client.create_output(body)
    except BitmovinApiError as error:
        if not error.outcome_unknown:
            raise CreateFailedError(f"Nothing was created: {error}") from None
        lost = error
    settle_seconds = client.http.create_settle_seconds
    try:
        adopted = _look_until_settled(client, body, token, settle_seconds)
    except BitmovinApiError as error:
        raise CreateFailedError(
            f"The create request's outcome is unknown ({lost.summary}) and looking for the output failed "
            f"({error.summary}). An output may exist in the organization with customData "
            f"{CREATION_TOKEN_KEY}={token}: delete it in the Bitmovin dashboard or API before running "
            "`pulumi up` again."
        ) from None
    if adopted is None:
        raise CreateFailedError(
            f"The create request failed with an unknown outcome ({lost.summary}); no output with this "
            f"request's token appeared in the organization within {settle_seconds:g} s, so nothing was "
            f"created. Run `pulumi up` again. (Should Bitmovin still act on the lost request later, that "
            f"output carries customData {CREATION_TOKEN_KEY}={token} and can be deleted.)"
        )
    return adopted


def _look_until_settled(
    client: BitmovinClient, body: Mapping[str, Any], token: str, settle_seconds: float
) -> dict[str, Any] | None:
    """Look now, then again with growing pauses until ``settle_seconds`` have passed."""
    clock = client.http.clock
    deadline = clock.monotonic() + settle_seconds
    pause = 0.25
    while True:
        found = find_by_token(client, body, token)
        remaining = deadline - clock.monotonic()
        if found is not None or remaining <= 0:
            return found
        clock.sleep(min(pause, remaining))
        pause *= 2


def find_by_token(client: BitmovinClient, body: Mapping[str, Any], token: str) -> dict[str, Any] | None:
    """The output carrying ``token``, narrowed first by name and bucket to keep requests few."""
    for item in client.iter_outputs(name=body.get("name")):
        if item.get("bucketName") not in (None, body["bucketName"]):
            continue
        if item.get("name") != body.get("name"):
            continue
        custom = item.get("customData")
        if not isinstance(custom, Mapping):
            custom = client.get_custom_data(item["id"]).get("customData") or {}
        if isinstance(custom, Mapping) and custom.get(CREATION_TOKEN_KEY) == token:
            return client.get_output(item["id"])
    return None
