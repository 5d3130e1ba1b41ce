"""The WSGI application: routing, authentication, the five operations, faults, logging.

Only the paths of the contract (``docs/bitmovin-api.md#endpoints``) exist; anything else
is a 404 ERROR envelope, so a client calling a wrong path (e.g. ``/encoding/outputs``)
fails loudly in tests.
"""

import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, NoReturn
from urllib.parse import urlencode

from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .envelopes import (
    CODE_INVALID_API_KEY,
    CODE_INVALID_FIELD,
    CODE_INVALID_PARAMETER,
    CODE_INVALID_URL,
    CODE_UNAUTHORIZED,
    CODE_UNDEFINED,
    GATEWAY_UNAUTHORIZED_BODY,
    FieldError,
    Handler,
    error_response,
    field_errors_response,
    json_response,
    success_body,
)
from .errors import StateWriteError
from .export_routes import EXPORT_ALLOWED_METHODS, EXPORT_OPERATIONS, EXPORT_RULES, export_handlers
from .exports import ExportTasks
from .faults import FaultRegistry
from .options import DEFAULT_ORG_ID, EmulatorOptions
from .requestlog import RequestLog
from .state_file import StateFile
from .store import OutputStore
from .validation import is_org_id, parse_paging, validate_create

logger = logging.getLogger("dev.bitmovin_emulator")

COLLECTION_PATH = "/v1/analytics/outputs/s3-role-based"
ACCOUNT_INFORMATION_PATH = "/v1/account/information"
_URL_MAP = Map(
    [
        Rule(COLLECTION_PATH, endpoint="collection"),
        Rule(ACCOUNT_INFORMATION_PATH, endpoint="account_information"),
        Rule(f"{COLLECTION_PATH}/<output_id>", endpoint="item"),
        Rule(f"{COLLECTION_PATH}/<output_id>/customData", endpoint="custom_data"),
        *EXPORT_RULES,
    ],
    merge_slashes=False,
)
_OPERATIONS = {
    ("collection", "POST"): "create",
    ("collection", "GET"): "list",
    ("item", "GET"): "get",
    ("item", "DELETE"): "delete",
    ("custom_data", "GET"): "custom_data",
    ("account_information", "GET"): "account_information",
    **EXPORT_OPERATIONS,
}
_ALLOWED_METHODS = {
    "collection": "GET, POST",
    "item": "GET, DELETE",
    "custom_data": "GET",
    "account_information": "GET",
    **EXPORT_ALLOWED_METHODS,
}

# Markers for request bodies that are not JSON values.
_NO_BODY = object()
_BAD_JSON = object()


class _Match(NamedTuple):
    """Routing result: ``endpoint`` None = unknown path; ``route`` None = method not allowed."""

    endpoint: str | None
    route: str | None
    output_id: str | None


def drop_connection(environ: dict[str, Any]) -> NoReturn:
    """Close the client socket without a response, then abort the request.

    Werkzeug's dev server exposes the socket as ``werkzeug.socket``; after shutdown the
    client reads EOF (``RemoteDisconnected``). Raising ``ConnectionAbortedError`` makes
    Werkzeug treat the request as a dropped connection: no response, no traceback.
    """
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("dev.bitmovin_emulator: connection dropped by fault injection")


class EmulatorApp:
    """WSGI callable holding the emulator state: options, outputs, request log, faults."""

    def __init__(
        self, options: EmulatorOptions | None = None, *, state_file: StateFile | None = None
    ) -> None:
        self.options = options if options is not None else EmulatorOptions()
        self.store = OutputStore(state_file)
        self.log = RequestLog()
        self.faults = FaultRegistry()
        self._wake = threading.Event()
        self._handlers: dict[str, Handler] = {
            "create": self._create,
            "list": self._list,
            "get": self._get,
            "delete": self._delete,
            "custom_data": self._custom_data,
            "account_information": self._account_information,
        }
        self.exports = ExportTasks(self.store, lambda: self.options.exports)
        self._handlers.update(export_handlers(self))

    def reset(self, options: EmulatorOptions | None = None) -> None:
        """Forget outputs, log and faults; install ``options`` (default: defaults)."""
        self.wake_sleepers()
        self.faults.clear()
        self.store.clear()
        self.exports.reset()
        self.log.clear()
        self.options = options if options is not None else EmulatorOptions()

    def wake_sleepers(self) -> None:
        """End running fault delays early; requests delayed "before" are then dropped unprocessed.

        This keeps a request stalled by one test from acting on the next test's state.
        """
        old, self._wake = self._wake, threading.Event()
        old.set()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        return self._respond(request)(environ, start_response)

    def _respond(self, request: Request) -> Response:
        """Apply a matching fault around the normal handling, and log the request."""
        wake = self._wake
        match = self._match(request)
        body = self._read_body(request)
        fault = self.faults.take(request.method, request.path, match.route)
        label = fault.label if fault is not None else None
        if fault is not None and fault.when == "before":
            if fault.delay > 0 and wake.wait(fault.delay):
                drop_connection(request.environ)
            if fault.drop:
                self._record(request, body, None, match.route, label)
                drop_connection(request.environ)
            if fault.status is not None:
                response = fault.response()
                self._record(request, body, response.status_code, match.route, label)
                return response
        response = self._handle(request, match, body)
        if fault is not None and fault.when == "after":
            if fault.status is not None:
                response = fault.response()
            self._record(request, body, None if fault.drop else response.status_code, match.route, label)
            if fault.delay > 0:
                wake.wait(fault.delay)
            if fault.drop:
                drop_connection(request.environ)
            return response
        self._record(request, body, response.status_code, match.route, label)
        return response

    @staticmethod
    def _match(request: Request) -> _Match:
        try:
            endpoint, args = _URL_MAP.bind_to_environ(request.environ).match()
        except NotFound:
            return _Match(None, None, None)
        # The one path variable: an output id or an export task id.
        return _Match(endpoint, _OPERATIONS.get((endpoint, request.method)), next(iter(args.values()), None))

    @staticmethod
    def _read_body(request: Request) -> Any:
        raw = request.get_data(cache=True)
        if not raw:
            return _NO_BODY
        try:
            return request.get_json(force=True, silent=False, cache=True)
        except Exception:
            return _BAD_JSON

    def _record(
        self, request: Request, body: Any, status: int | None, route: str | None, fault: str | None
    ) -> None:
        self.log.record(
            method=request.method,
            path=request.path,
            query=request.args.to_dict(),
            headers=dict(request.headers.items()),
            body=None if body is _NO_BODY or body is _BAD_JSON else body,
            status=status,
            route=route,
            fault=fault,
        )

    def _handle(self, request: Request, match: _Match, body: Any) -> Response:
        """Authenticate, route and run one operation; never raises."""
        try:
            org_id = self._authorize(request)
            if isinstance(org_id, Response):
                return org_id
            if match.endpoint is None:
                return error_response(
                    404,
                    CODE_INVALID_URL,
                    "Resource not found.",
                    f"No API endpoint {request.method} {request.path}",
                )
            if match.route is None:
                allowed = _ALLOWED_METHODS[match.endpoint]
                return error_response(
                    405,
                    CODE_INVALID_URL,
                    "Method not allowed.",
                    f"{request.method} is not supported on {request.path}; allowed: {allowed}",
                    headers={"Allow": allowed},
                )
            return self._handlers[match.route](request, org_id, match.output_id, body)
        except StateWriteError as error:  # the change was not made: memory still equals the file
            logger.error("%s %s: %s", request.method, request.path, error)
            return error_response(500, CODE_UNDEFINED, "Internal server error", str(error))
        except Exception:
            logger.exception("emulator error while handling %s %s", request.method, request.path)
            return error_response(500, CODE_UNDEFINED, "Internal server error", "Unexpected emulator error")

    def _authorize(self, request: Request) -> str | Response:
        """Organization the request acts in, or the 401/403 response."""
        options = self.options
        key = request.headers.get("X-Api-Key", "").strip()
        if not key or (options.api_keys is not None and key not in options.api_keys):
            if options.unauthorized_body == "gateway":
                return json_response(GATEWAY_UNAUTHORIZED_BODY, 401)
            detail = "Missing X-Api-Key header" if not key else "The API key is not valid"
            return error_response(401, CODE_INVALID_API_KEY, "Authentication failed.", detail)
        home_org = options.home_orgs.get(key, DEFAULT_ORG_ID)
        tenant = request.headers.get("X-Tenant-Org-Id", "").strip()
        if not tenant:
            return home_org
        if options.validate_tenant_org_id:
            if not is_org_id(tenant):
                text = "X-Tenant-Org-Id must be an organization id (a UUID)"
                return field_errors_response(
                    CODE_INVALID_PARAMETER,
                    "One or more parameters are not valid",
                    [FieldError("X-Tenant-Org-Id", text)],
                )
            tenant = tenant.lower()
        allowed = options.org_access.get(key) if options.org_access is not None else None
        if tenant != home_org and allowed is not None and tenant not in allowed:
            return error_response(
                403,
                CODE_UNAUTHORIZED,
                "Access denied. This organization may not have access to this resource.",
                f"The API key has no access to organization {tenant}",
            )
        return tenant

    def _view(self, output: dict[str, Any]) -> dict[str, Any]:
        """An output as responses show it, according to the ``echo_*`` options."""
        options = self.options
        hidden = {
            name
            for name, shown in (
                ("roleArn", options.echo_role_arn),
                ("customData", options.echo_custom_data),
                ("acl", options.echo_acl),
                ("type", options.echo_type),
            )
            if not shown
        }
        return {name: value for name, value in output.items() if name not in hidden}

    @staticmethod
    def _not_found(output_id: str | None, org_id: str) -> Response:
        return error_response(
            404,
            CODE_INVALID_URL,
            "Resource not found.",
            f"No S3 role-based analytics output {output_id} in organization {org_id}",
        )

    def _create(self, request: Request, org_id: str, output_id: str | None, body: Any) -> Response:
        if not isinstance(body, dict):
            if body is _NO_BODY:
                text = "A JSON request body is required"
            elif body is _BAD_JSON:
                text = "The request body is not valid JSON"
            else:
                text = "The request body must be a JSON object"
            return error_response(
                400, CODE_INVALID_PARAMETER, "Invalid request body.", text, [FieldError(None, text)]
            )
        options = self.options
        fields, errors = validate_create(
            body,
            check_role_arn=options.validate_role_arn,
            require_custom_external_id=options.require_custom_external_id,
            reject_external_id_in_generated_modes=options.external_id_in_generated_modes == "reject",
        )
        if errors:
            return field_errors_response(
                CODE_INVALID_FIELD, "Required attribute/field not valid or not present", errors
            )
        output = self.store.create(fields, org_id)
        return json_response(success_body(self._view(output)), self.options.create_status)

    def _list(self, request: Request, org_id: str, output_id: str | None, body: Any) -> Response:
        paging, errors = parse_paging(request.args, reject_zero_limit=self.options.reject_zero_limit)
        if errors:
            return field_errors_response(
                CODE_INVALID_PARAMETER, "One or more parameters are not valid", errors
            )
        items = self.store.list(org_id)
        if paging.name is not None:
            if self.options.name_filter == "exact":
                items = [o for o in items if o.get("name") == paging.name]
            else:
                items = [o for o in items if paging.name in (o.get("name") or "")]
        total = len(items)
        result: dict[str, Any] = {"totalCount": total, "offset": paging.offset, "limit": paging.limit}
        if self.options.pagination_links:
            if paging.offset > 0:
                result["previous"] = _page_url(
                    request, max(0, paging.offset - paging.limit), paging.limit, paging.name
                )
            if paging.offset + paging.limit < total:
                result["next"] = _page_url(request, paging.offset + paging.limit, paging.limit, paging.name)
        page = items[paging.offset : paging.offset + paging.limit]
        result["items"] = [self._view(o) for o in page]
        return json_response(success_body(result), 200)

    def _get(self, request: Request, org_id: str, output_id: str | None, body: Any) -> Response:
        output = self.store.get(str(output_id), org_id)
        if output is None:
            return self._not_found(output_id, org_id)
        return json_response(success_body(self._view(output)), 200)

    def _delete(self, request: Request, org_id: str, output_id: str | None, body: Any) -> Response:
        output = self.store.delete(str(output_id), org_id)
        if output is None:
            return self._not_found(output_id, org_id)
        result = self._view(output) if self.options.delete_body == "full" else {"id": output["id"]}
        return json_response(success_body(result), 200)

    def _custom_data(self, request: Request, org_id: str, output_id: str | None, body: Any) -> Response:
        output = self.store.get(str(output_id), org_id)
        if output is None:
            return self._not_found(output_id, org_id)
        result = {"customData": output.get("customData", {}), "createdAt": output["createdAt"]}
        return json_response(success_body(result), 200)

    def _account_information(
        self, request: Request, org_id: str, output_id: str | None, body: Any
    ) -> Response:
        """The key's account, as ``GET /account/information`` answers: its ``id`` and, as the SDK's
        ``AccountInformation`` documents, the account's API keys with their values (here the key used)."""
        key = request.headers.get("X-Api-Key", "").strip()
        account = self.options.account_id(key)
        result = {
            "id": account,
            "email": f"user-{account[:8]}@example.invalid",
            "apiKeys": [{"id": str(uuid.uuid5(uuid.NAMESPACE_OID, key)), "value": key}],
            "verified": True,
        }
        return json_response(success_body(result), 200)


def _page_url(request: Request, offset: int, limit: int, name: str | None) -> str:
    """Absolute URL of another page of the same listing."""
    params: dict[str, str | int] = {"offset": offset, "limit": limit}
    if name is not None:
        params["name"] = name
    return f"{request.base_url}?{urlencode(params)}"
