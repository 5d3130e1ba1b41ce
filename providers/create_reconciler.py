"""Create an output exactly once, even when the answer to the POST is lost or the CLI was killed.

Every output carries a creation token in its custom data, the same for the same resource and inputs
(``output_model.creation_token``), and a tag of it in its name (``output_model.api_name``). Before
posting we look for it: an earlier create of this resource whose process died (a cancelled CI job)
left that output, and it is taken over instead of duplicated, if it is what the inputs describe
(``check_found``). A POST is never re-sent: if its outcome is unknown (timeout, dropped connection,
5xx) we look for the output again and adopt it. Anything else fails with an error that says whether
something may exist.

A look costs at most three requests whatever the organization holds: one page of the list filtered
by the tagged name, then, for the one output named exactly so, its custom data (unless the list
carries it) and the output itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bitmovin_api.client import MAX_PAGE_SIZE, BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from providers.errors import CreateFailedError
from providers.output_model import CREATION_TOKEN_KEY

# Raises (naming what differs and the fix) when a found output is not the one the inputs describe.
CheckFound = Callable[[Mapping[str, Any]], None]


def create_exactly_once(
    client: BitmovinClient, body: Mapping[str, Any], check_found: CheckFound
) -> tuple[dict[str, Any], bool]:
    """The output ``body`` describes (it carries the creation token), and whether it already existed:
    taken over from an interrupted earlier create, or created now by one POST. Whatever is found by
    the token passes ``check_found`` first."""
    token = body["customData"][CREATION_TOKEN_KEY]
    try:
        existing = find_by_token(client, body, token)
    except BitmovinApiError as error:
        raise CreateFailedError(f"Nothing was created: {error}") from None
    if existing is not None:
        check_found(existing)
        return existing, True
    return _post_once(client, body, token, check_found), False


def _post_once(
    client: BitmovinClient, body: Mapping[str, Any], token: str, check_found: CheckFound
) -> dict[str, Any]:
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
    check_found(adopted)
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
    """The output carrying ``token`` (with its custom data), or None: at most two requests.

    The list is filtered by the name ``body`` sends, which ends with the token's tag; whether the API
    filters exactly or by substring is UNCONFIRMED (U5), so only its first page is read and only the
    first item named exactly so is a candidate. More than one page of such names can only be planted
    (they contain this resource's tag): then the POST goes ahead rather than paging without end.
    A list item is the output itself (the SDKs type the page's items as the output), so no GET
    follows: with the account look-up of a create without ``tenantOrgId`` (``providers.organization``)
    a create stays within three requests.
    """
    name = body["name"]
    page = client.list_outputs(limit=MAX_PAGE_SIZE, name=name)
    items = page.get("items") if isinstance(page, Mapping) else None
    candidate = next(
        (
            item
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping) and item.get("name") == name and isinstance(item.get("id"), str)
        ),
        None,
    )
    if candidate is None:
        return None
    custom = candidate.get("customData")
    if not isinstance(custom, Mapping):
        custom = client.get_custom_data(candidate["id"]).get("customData")
    if not isinstance(custom, Mapping) or custom.get(CREATION_TOKEN_KEY) != token:
        return None
    return {**candidate, "customData": dict(custom)}
