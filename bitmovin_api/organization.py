"""Which organization a request acts in, and when a not-found may be believed because of it.

Bitmovin answers 404 for an output of another organization exactly as for a deleted one. A request
acts in the organization ``X-Tenant-Org-Id`` names or, without that header, in the own organization
of the user (account) the API key belongs to (docs/bitmovin-api.md#organizations). So a 404 proves
"deleted" only when the request ran where the output is: with the header, in the organization it
names; without it, with a key of the account that created the output, which state records.
``GET /account/information`` names a key's account.
"""

from __future__ import annotations

import re
from typing import Any

ACCOUNT_INFORMATION_PATH = "/account/information"
# A Bitmovin resource id (UUID-like). Anything else in the reply is refused, not recorded.
_ACCOUNT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,63}")
_STATE_DELETE = (
    "If the output really was deleted outside Pulumi, remove it from the state with "
    "`pulumi state delete '<URN of the output>'`."
)


def account_id_from(result: Any) -> str | None:
    """The ``id`` of ``GET /account/information``'s result, or None if it is not a plausible id.

    Nothing else of the reply is read: it lists the account's API keys with their values.
    """
    account = result.get("id") if isinstance(result, dict) else None
    return account if isinstance(account, str) and _ACCOUNT_ID.fullmatch(account) else None


def unrecorded_reason() -> tuple[str, str]:
    """Why a 404 without ``X-Tenant-Org-Id`` is refused when state names no account, and the fix."""
    return (
        "the state does not record which organization holds the output (it was created with "
        "bitmovin:tenantOrgId unset, by an earlier release), so a not-found in the API key's own "
        "organization does not prove that it was deleted",
        "Run `pulumi refresh` with the API key that created the output (bitmovin:apiKey): a refresh "
        f"that finds the output records its organization. {_STATE_DELETE}",
    )


def other_account_reason(recorded: str, current: str) -> tuple[str, str]:
    """Why a 404 from a key of another account is refused, and the fix."""
    return (
        f"the output was created in the own organization of Bitmovin account {recorded} "
        "(bitmovin:tenantOrgId is not set), but the API key in use (bitmovin:apiKey, or "
        f"BITMOVIN_API_KEY when the stack sets no key) belongs to account {current}, whose requests "
        "act in another organization, where this output cannot be seen",
        f"Use an API key of account {recorded}: `pulumi config set --secret bitmovin:apiKey` (it "
        "prompts for the value), then run `pulumi up` (refresh and destroy use the key the last `up` "
        f"recorded) or add `--run-program`. {_STATE_DELETE}",
    )


def account_unreadable_reason(summary: str) -> tuple[str, str]:
    """Why a 404 is refused when the key's account cannot be read to compare it, and the fix."""
    return (
        f"the API key's account could not be read to check that the request ran in the output's "
        f"organization (GET {ACCOUNT_INFORMATION_PATH}: {summary})",
        f"Check bitmovin:apiKey and try again. {_STATE_DELETE}",
    )
