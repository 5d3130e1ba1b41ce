"""The closing report: one table per Bitmovin organization, then one line for the whole fleet."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bitmovin_api.terminal_text import shown
from fleet.runner import CHANGE_KINDS, Operation, StackResult, Status, interrupted

OWN_ORGANIZATION = "(no bitmovin:tenantOrgId in the stack file: the API key's own organization)"
HEADERS = ("stack", *CHANGE_KINDS, "other", "duration", "result")


def organization_label(tenant_org_id: str) -> str:
    """The organization as the stack file names it (escaped: the file is someone's text)."""
    return shown(tenant_org_id, 100) if tenant_org_id else OWN_ORGANIZATION


def _row(result: StackResult, show_changes: bool) -> list[str]:
    known = [result.changes.get(kind, 0) for kind in CHANGE_KINDS]
    other = sum(count for kind, count in result.changes.items() if kind not in CHANGE_KINDS)
    counts = (
        [str(count) for count in (*known, other)]
        if show_changes and result.status is Status.OK
        else ["-"] * 6
    )
    outcome = (
        result.status.value
        if not result.message or result.status is Status.OK
        else f"{result.status.value}: {shown(result.message, 300)}"
    )
    return [shown(result.stack, 100), *counts, f"{result.seconds:.1f}s", outcome]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in [list(HEADERS), *rows]) for column in range(len(HEADERS) - 1)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(cells[:-1], widths, strict=True))
        ]
        return "  ".join([*padded, cells[-1]]).rstrip()

    return [line(HEADERS), *(line(row) for row in rows)]


def render(results: Sequence[StackResult], operation: Operation) -> str:
    """Tables grouped by organization (sorted, the key's own organization last), and a total line."""
    show_changes = operation is not Operation.OUTPUTS
    groups: dict[str, list[StackResult]] = {}
    for result in results:
        groups.setdefault(result.organization, []).append(result)
    lines: list[str] = []
    for organization in sorted(groups, key=lambda org: (org == "", org)):
        members = groups[organization]
        lines += ["", f"organization {organization_label(organization)}"]
        lines += [f"  {text}" for text in _table([_row(result, show_changes) for result in members])]
    tally = Counter(result.status.value for result in results)
    summary = ", ".join(f"{count} {status}" for status, count in sorted(tally.items()))
    lines += ["", f"{operation.value}: {len(results)} stack(s): {summary or 'none'}"]
    return "\n".join(lines)


# What a shell reports for a program stopped by SIGINT (128 + 2).
INTERRUPTED_EXIT = 130


def exit_code(results: Sequence[StackResult]) -> int:
    """0 when every stack succeeded, 130 when Ctrl-C cut the run short, 1 when any failed, was locked
    or does not exist."""
    if interrupted(results):
        return INTERRUPTED_EXIT
    return 0 if all(result.status is Status.OK for result in results) else 1
