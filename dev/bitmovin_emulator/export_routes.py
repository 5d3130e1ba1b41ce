"""HTTP side of the export tasks: routes and the create/get/list handlers (docs/export-tasks.md).

Registered by ``app.EmulatorApp``, which hands over the state they use (options, outputs, export tasks);
authentication, faults and the request log are the app's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from .envelopes import (
    CODE_INVALID_FIELD,
    CODE_INVALID_PARAMETER,
    CODE_INVALID_URL,
    FieldError,
    Handler,
    error_response,
    field_errors_response,
    json_response,
    success_body,
)
from .export_validation import validate_export_create
from .validation import parse_paging

if TYPE_CHECKING:
    from .exports import ExportTasks
    from .options import EmulatorOptions
    from .store import OutputStore

EXPORTS_PATH = "/v1/analytics/exports"
EXPORT_RULES = [
    Rule(EXPORTS_PATH, endpoint="exports"),
    Rule(f"{EXPORTS_PATH}/<export_task_id>", endpoint="export"),
]
EXPORT_OPERATIONS = {
    ("exports", "POST"): "export_create",
    ("exports", "GET"): "export_list",
    ("export", "GET"): "export_get",
}
EXPORT_ALLOWED_METHODS = {"exports": "GET, POST", "export": "GET"}


class ExportState(Protocol):
    """What the handlers read of the app (it replaces ``options`` at run time, so they read it per request)."""

    options: EmulatorOptions
    store: OutputStore
    exports: ExportTasks


def export_handlers(app: ExportState) -> dict[str, Handler]:
    """The three operations, bound to the app's state."""

    def create(request: Request, org_id: str, task_id: str | None, body: Any) -> Response:
        if not isinstance(body, dict):
            text = "The request body must be a JSON object"
            return error_response(
                400, CODE_INVALID_PARAMETER, "Invalid request body.", text, [FieldError(None, text)]
            )
        options = app.options.exports
        parsed, errors = validate_export_create(
            body, license_keys=options.license_keys, max_hours=options.max_hours
        )
        if parsed is not None:
            output_id = parsed.fields["output"]["outputId"]
            if app.store.get(output_id, org_id) is None:
                errors.append(
                    FieldError("output.outputId", f"No Analytics output {output_id} in organization {org_id}")
                )
        if errors or parsed is None:
            return field_errors_response(
                CODE_INVALID_FIELD, "Required attribute/field not valid or not present", errors
            )
        task = app.exports.create(parsed, org_id)
        return json_response(success_body(task), app.options.create_status)

    def get(request: Request, org_id: str, task_id: str | None, body: Any) -> Response:
        _advance(app)
        task = app.exports.get(str(task_id), org_id)
        if task is None:
            return error_response(
                404,
                CODE_INVALID_URL,
                "Resource not found.",
                f"No analytics export task {task_id} in organization {org_id}",
            )
        return json_response(success_body(task), 200)

    def list_tasks(request: Request, org_id: str, task_id: str | None, body: Any) -> Response:
        paging, errors = parse_paging(request.args)
        if errors:
            return field_errors_response(
                CODE_INVALID_PARAMETER, "One or more parameters are not valid", errors, label="Invalid"
            )
        _advance(app)
        items = app.exports.list(org_id)
        total = len(items)
        result: dict[str, Any] = {"totalCount": total, "offset": paging.offset, "limit": paging.limit}
        if app.options.pagination_links:
            if paging.offset > 0:
                result["previous"] = _page_url(request, max(0, paging.offset - paging.limit), paging.limit)
            if paging.offset + paging.limit < total:
                result["next"] = _page_url(request, paging.offset + paging.limit, paging.limit)
        result["items"] = items[paging.offset : paging.offset + paging.limit]
        return json_response(success_body(result), 200)

    return {"export_create": create, "export_get": get, "export_list": list_tasks}


def _advance(app: ExportState) -> None:
    if app.options.exports.auto_advance:
        app.exports.advance()


def _page_url(request: Request, offset: int, limit: int) -> str:
    return f"{request.base_url}?{urlencode({'offset': offset, 'limit': limit})}"
