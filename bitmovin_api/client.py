"""A small client for Bitmovin Analytics S3 role-based outputs (``/analytics/outputs/s3-role-based``).

It only ever addresses the Analytics outputs API: an output created through the encoding outputs API
would look similar but Analytics exports could never use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import requests

from bitmovin_api.api_url import DEFAULT_API_URL, api_url_problem
from bitmovin_api.errors import (
    BitmovinApiError,
    error_from_exception,
    error_from_redirect,
    error_from_response,
)
from bitmovin_api.http_policy import HttpPolicy
from bitmovin_api.http_session import build_session
from bitmovin_api.organization import (
    ACCOUNT_INFORMATION_PATH,
    account_id_from,
    account_unreadable_reason,
    other_account_reason,
    unrecorded_reason,
)

OUTPUTS_PATH = "/analytics/outputs/s3-role-based"
CLIENT_NAME = "bitmovin-analytics-export"
CLIENT_VERSION = "0.1.0"
MAX_PAGE_SIZE = 100
MAX_REPLY_BYTES = 4 * 2**20
"""Largest reply body read (4 MiB); a page of 100 outputs is some 100 KB (see ``_read_body``)."""
# Pages ``iter_outputs`` reads at most: 100,000 outputs at the largest page size.
MAX_LIST_PAGES = 1000


class BitmovinClient:
    """Create, read, list and delete Analytics S3 role-based outputs in one organization.

    ``tenant_org_id`` selects the organization (``X-Tenant-Org-Id``); without it the API key's own
    organization is used, which ``key_account_id`` identifies. Pass a shared ``session`` to reuse
    connections across clients.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_API_URL,
        tenant_org_id: str | None = None,
        http: HttpPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("a Bitmovin API key is required")
        problem = api_url_problem(base_url)
        if problem is not None:  # the key goes wherever base_url points: never trust an unchecked one
            raise ValueError(f"base_url {problem}")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.tenant_org_id = tenant_org_id or None
        self.http = http or HttpPolicy()
        self._session = session or build_session(self.http)
        self._key_account_id: str | None = None

    def __repr__(self) -> str:
        return f"BitmovinClient(base_url={self.base_url!r}, tenant_org_id={self.tenant_org_id!r})"

    # -- operations -------------------------------------------------------------------------

    def create_output(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST once; never retried here (see ``providers.create_reconciler``)."""
        return self._call("POST", OUTPUTS_PATH, json={**body, "type": "S3_ROLE_BASED"})

    def get_output(self, output_id: str) -> dict[str, Any]:
        return self._call("GET", f"{OUTPUTS_PATH}/{path_segment(output_id)}")

    def find_output(self, output_id: str, *, holder_account: str | None = None) -> dict[str, Any] | None:
        """GET; ``None`` only for a not-found the API confirms in the output's organization
        (``holder_account``: see ``confirm_gone``)."""
        try:
            return self.get_output(output_id)
        except BitmovinApiError as error:
            failure = error
        if failure.status != 404:
            raise failure
        self.confirm_gone(failure, holder_account=holder_account)
        return None

    def list_outputs(self, *, offset: int = 0, limit: int = 25, name: str | None = None) -> dict[str, Any]:
        """One page: ``{"totalCount", "offset", "limit", "items"}``."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if name is not None:
            params["name"] = name
        return self._call("GET", OUTPUTS_PATH, params=params)

    def iter_outputs(
        self, *, name: str | None = None, page_size: int = MAX_PAGE_SIZE, max_pages: int = MAX_LIST_PAGES
    ) -> Iterator[dict[str, Any]]:
        """Every output of the organization, page by page. Bounded: a page that repeats an output
        already listed (a server that ignores ``offset``), or more than ``max_pages`` pages, fails."""
        offset, seen = 0, set()
        for _ in range(max_pages):
            page = self.list_outputs(offset=offset, limit=page_size, name=name)
            items = page.get("items") or []
            ids = {item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)}
            if ids & seen:
                raise self._endless_listing(f"the page at offset {offset} repeats outputs already listed")
            seen |= ids
            yield from items
            offset += len(items)
            total = page.get("totalCount")
            if not items or len(items) < page_size or (isinstance(total, int) and offset >= total):
                return
        raise self._endless_listing(f"it did not end within {max_pages} pages of {page_size}")

    def _endless_listing(self, reason: str) -> BitmovinApiError:
        return BitmovinApiError(
            f"Listing the outputs at {self.base_url} was stopped: {reason}, as from a server that ignores "
            f"`offset`. Check bitmovin:apiUrl (the API is {DEFAULT_API_URL})",
            method="GET",
            path=OUTPUTS_PATH,
        )

    def delete_output(self, output_id: str) -> str:
        """DELETE; returns the deleted id (the API's body shape varies, only ``id`` is read)."""
        result = self._call("DELETE", f"{OUTPUTS_PATH}/{path_segment(output_id)}")
        return str(result.get("id", output_id)) if isinstance(result, dict) else output_id

    def delete_output_if_exists(self, output_id: str, *, holder_account: str | None = None) -> bool:
        """DELETE; ``False`` when the output was already gone, as confirmed by ``confirm_gone``."""
        try:
            self.delete_output(output_id)
        except BitmovinApiError as error:
            failure = error
        else:
            return True
        if failure.status != 404:
            raise failure
        self.confirm_gone(failure, holder_account=holder_account)
        return False

    def confirm_gone(self, error: BitmovinApiError, *, holder_account: str | None = None) -> None:
        """Accept a 404 as "this output does not exist" only if the Bitmovin API said so, in the
        organization that holds the output.

        A gateway, a wrong base URL or another API version also answer 404, and treating that as
        "deleted" would drop a live output from the state (``refresh``) or report a ``destroy`` that
        deleted nothing. So the 404 must be a Bitmovin ERROR envelope, and listing the outputs of the
        same organization at the same base URL must succeed (one more request). The API also answers
        404 for an output of another organization: without ``tenant_org_id`` the request acted in the
        key's own organization, so the key must belong to ``holder_account``, the account whose key
        created the output (``key_account_id``, one request per client; None: unknown, refused).
        Otherwise this raises, naming the URL and the fix.
        """
        url = self.base_url + error.path
        if not error.not_found:
            raise self._unconfirmed(error, url, "the reply is not a Bitmovin error envelope")
        if self.tenant_org_id is None:
            self._confirm_key_account(error, url, holder_account)
        try:
            page = self.list_outputs(limit=1)
        except BitmovinApiError as check:
            reason = f"listing the outputs at the same address failed too ({check.summary})"
        else:
            if isinstance(page, dict) and isinstance(page.get("items"), list):
                return
            reason = "listing the outputs at the same address did not return a page of outputs"
        raise self._unconfirmed(error, url, reason)

    def _confirm_key_account(self, error: BitmovinApiError, url: str, holder_account: str | None) -> None:
        """Raise unless the key belongs to ``holder_account``, i.e. acts in the output's organization."""
        if holder_account is None:
            raise self._unconfirmed(error, url, *unrecorded_reason())
        try:
            current = self.key_account_id()
        except BitmovinApiError as check:
            raise self._unconfirmed(error, url, *account_unreadable_reason(check.summary)) from None
        if current != holder_account:
            raise self._unconfirmed(error, url, *other_account_reason(holder_account, current))

    def key_account_id(self) -> str:
        """The id of the Bitmovin account (user) the API key belongs to: ``GET /account/information``,
        once per client. Without ``X-Tenant-Org-Id`` a key acts in its account's own organization, so
        this identifies that organization; only the reply's ``id`` is read (it lists key values too)."""
        if self.tenant_org_id:
            raise ValueError(
                "key_account_id identifies the key's own organization: use a client without a tenant"
            )
        if self._key_account_id is None:
            account = account_id_from(self._call("GET", ACCOUNT_INFORMATION_PATH))
            if account is None:
                raise BitmovinApiError(
                    "the reply names no account id", method="GET", path=ACCOUNT_INFORMATION_PATH
                )
            self._key_account_id = account
        return self._key_account_id

    def _unconfirmed(
        self, error: BitmovinApiError, url: str, reason: str, fix: str | None = None
    ) -> BitmovinApiError:
        if fix is None:
            fix = (
                f"Check bitmovin:apiUrl (now {self.base_url}; the API is {DEFAULT_API_URL}). If the output "
                "really was deleted outside Pulumi, remove it from the state with "
                "`pulumi state delete '<URN of the output>'`"
            )
        return BitmovinApiError(
            f'HTTP 404 from {error.method} {url} is not treated as "output deleted": {reason} '
            f"({error.summary}). {fix}",
            method=error.method,
            path=error.path,
            status=error.status,
            request_id=error.request_id,
        ).redacted(self._api_key)

    def get_custom_data(self, output_id: str) -> dict[str, Any]:
        """``{"customData": {...}, "createdAt": ...}``; GET on the output may omit custom data."""
        return self._call("GET", f"{OUTPUTS_PATH}/{path_segment(output_id)}/customData")

    # -- transport --------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None
    ) -> Any:
        """One call to another path of the API, through this client's session, key and organization.

        Returns ``data.result``. Only GET and DELETE are retried (``http_policy``); a POST is sent once.
        Used by ``verify.export_tasks``; the outputs operations above do not go through it.
        """
        kwargs: dict[str, Any] = {}
        if json is not None:
            kwargs["json"] = json
        if params is not None:
            kwargs["params"] = dict(params)
        return self._call(method, path, **kwargs)

    def _headers(self) -> dict[str, str]:
        headers = {
            "X-Api-Key": self._api_key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Api-Client": CLIENT_NAME,
            "X-Api-Client-Version": CLIENT_VERSION,
        }
        if self.tenant_org_id:
            headers["X-Tenant-Org-Id"] = self.tenant_org_id
        return headers

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request. Redirects are never followed (they would carry ``X-Api-Key`` elsewhere), and
        no error text may quote the key, whatever the server answered."""
        failure: BitmovinApiError | None = None
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                headers=self._headers(),
                timeout=self.http.timeout,
                allow_redirects=False,
                stream=True,  # the body is read by _read_body, up to MAX_REPLY_BYTES
                **kwargs,
            )
            redirect = 300 <= response.status_code < 400
            body = b"" if redirect else _read_body(method, path, response)
        except (requests.RequestException, UnicodeError) as exc:
            # UnicodeError: a header (the API key) that HTTP cannot carry; its text would quote the key.
            failure = error_from_exception(method, path, exc)
        except BitmovinApiError as error:
            failure = error
        if failure is not None:
            raise failure  # outside the except block, so no __context__ carries the original error
        response.close()
        if redirect:
            raise error_from_redirect(method, path, response).redacted(self._api_key)
        if not response.ok:
            raise error_from_response(method, path, response, body).redacted(self._api_key)
        try:
            return _result(method, path, response, body)
        except BitmovinApiError as error:
            failure = error.redacted(self._api_key)
        raise failure


def path_segment(output_id: str) -> str:
    """Ids are path segments; refuse anything that would change the path."""
    if not output_id or any(c in output_id for c in "/?#%") or output_id in {".", ".."}:
        raise ValueError(f"invalid output id {output_id!r}")
    return output_id


def _read_body(method: str, path: str, response: requests.Response) -> bytes:
    """The reply's body, refused (and the connection closed) once it exceeds ``MAX_REPLY_BYTES``.

    The largest reply this client asks for, a page of 100 outputs, is some 100 KB; a server that
    sends more (a wrong address, a proxy's error page, a hostile server) must not fill the memory of
    the provider process. Decompressed bytes count, so a small gzip bomb is refused too.
    """
    declared = response.headers.get("Content-Length", "")
    chunks, size = [], 0
    if not (declared.isdigit() and int(declared) > MAX_REPLY_BYTES):
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_REPLY_BYTES:
                break
            chunks.append(chunk)
        else:
            return b"".join(chunks)
    response.close()
    raise BitmovinApiError(
        f"HTTP {response.status_code} with a body larger than {MAX_REPLY_BYTES // 2**20} MiB, far more than "
        "any reply of the Bitmovin API; it was not read. Check bitmovin:apiUrl (a wrong server or a proxy "
        "in between)",
        method=method,
        path=path,
        status=response.status_code,
        # A create that got a 2xx (or 5xx) answer may have happened: it must be reconciled, not retried.
        outcome_unknown=not 400 <= response.status_code < 500,
    )


def _result(method: str, path: str, response: requests.Response, body: bytes) -> Any:
    """Unwrap ``data.result`` from the success envelope; tolerate an empty body (e.g. DELETE)."""
    if not body:
        return {}
    try:
        payload = json.loads(body)
    except ValueError:
        raise BitmovinApiError(
            f"HTTP {response.status_code} with a body that is not JSON",
            method=method,
            path=path,
            status=response.status_code,
        ) from None
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict) and "result" in payload["data"]:
        return payload["data"]["result"]
    raise BitmovinApiError(
        f"HTTP {response.status_code} without the Bitmovin response envelope",
        method=method,
        path=path,
        status=response.status_code,
        request_id=payload.get("requestId") if isinstance(payload, dict) else None,
    )
