"""Stack outputs and config are untrusted input: validate them before any request, and print safely.

Whoever can write the stack's state or ``Pulumi.<stack>.yaml`` (or hand verify an ``--outputs-file``)
chooses these values, and verify prints them to a terminal or a CI log. So:

- :func:`deployment_problems` checks every value verify uses with the project's own rules
  (``providers.validation``, ``bitmovin_api.api_url``) before any request to Bitmovin or AWS; the command
  exits 2 naming the key and why;
- :func:`escape` (``bitmovin_api.terminal_text``, shared with the client's errors and the fleet) makes every printed piece of text one line of visible characters: C0 and C1 control
  characters, DEL, the Unicode line and paragraph separators and the bidirectional controls are written
  as Python escapes (``\\x1b``, ``\\n``, ``\\u202e``), so no newline starts a GitHub workflow command
  (``::error::``) and no escape sequence reaches the terminal. The checklist, the progress lines and the
  error messages all go through it; the ``--json`` form is JSON-encoded instead (:func:`json_safe`);
- :class:`Masker` replaces secret values (an ``externalId`` set with ``pulumi config set --secret``) in
  everything shown, unless ``--show-secrets`` is given. The checks themselves use the real values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bitmovin_api.api_url import api_url_problem, display_url
from bitmovin_api.terminal_text import escape, is_unsafe
from providers import validation as rules

from .stack import Deployment

OTHER_SECRET_SHOWN = "[secret: not the stack's externalId]"


def json_safe(document: str) -> str:
    """JSON text with the characters :func:`escape` treats written as ``\\uXXXX`` (still valid JSON).

    ``json.dumps`` escapes C0 controls itself; with ``ensure_ascii=False`` it leaves C1 controls, the line
    separators and the bidi controls raw, which only ever occur inside strings, where ``\\uXXXX`` means
    the same character. (The newlines and spaces of the indentation are structure, not text.)
    """
    return "".join(
        f"\\u{ord(char):04x}" if ord(char) >= 0x7F and is_unsafe(char) else char for char in document
    )


class Masker:
    """Replaces secret values in shown text; the identity when nothing is secret or with --show-secrets."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        # value -> what is shown instead; longer values first, so a value inside another is not split.
        self._secrets = dict(sorted((secrets or {}).items(), key=lambda item: -len(item[0])))

    def add(self, values: Iterable[Any], shown: str) -> None:
        for value in values:
            if isinstance(value, str) and value and value not in self._secrets:
                self._secrets[value] = shown
        self._secrets = dict(sorted(self._secrets.items(), key=lambda item: -len(item[0])))

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __call__(self, text: str) -> str:
        for value, shown in self._secrets.items():
            text = text.replace(value, shown)
        return text


def shown(masker: Callable[[str], str]) -> Callable[[str], str]:
    """How a piece of text is printed: secrets masked, then escaped."""
    return lambda text: escape(masker(text))


# -- validation ----------------------------------------------------------------------------------


def _enum(allowed: Iterable[str]) -> Callable[[Any], str | None]:
    return lambda value: rules.enum_problem(value, allowed)


def _api_url(value: Any) -> str | None:
    problem = api_url_problem(value) if isinstance(value, str) else "must be a URL"
    return f"{display_url(value) if isinstance(value, str) else repr(value)} {problem}" if problem else None


def deployment_problems(
    d: Deployment, *, project: str, api_url_env: str | None = None, api_url_env_name: str = ""
) -> list[str]:
    """Every value of ``d`` (and the config it came from) that breaks the project's rules, as
    ``<key>: <why>`` sentences; empty when all are usable."""
    out = "stack output"
    conf = "stack config"
    checks: list[tuple[str, Any, Callable[[Any], str | None]]] = [
        (f"{out} outputId", d.output_id, rules.output_id_problem),
        (f"{out} externalId", d.external_id, rules.external_id_problem),
        (f"{out} roleArn", d.role_arn, rules.role_arn_problem),
        (f"{out} roleName", d.role_name, rules.role_name_problem),
        (f"{out} bucketName", d.bucket_name, rules.bucket_name_problem),
        (f"{out} region", d.region, rules.region_problem),
        (f"{out} exportPrefix", d.export_prefix, rules.export_prefix_problem),
        (f"{conf} {project}:objectOwnership", d.object_ownership, _enum(rules.ObjectOwnership)),
        (f"{conf} {project}:bitmovinPrincipalArn", d.principal_arn, rules.principal_arn_problem),
    ]
    if d.external_id_mode is not None:
        checks.append((f"{out} externalIdMode", d.external_id_mode, _enum(rules.ExternalIdMode)))
    if d.tenant_org_id is not None:
        checks.append((f"{out} tenantOrgId", d.tenant_org_id, rules.tenant_org_id_problem))
    if d.kms_key_arn is not None:
        checks.append((f"{conf} {project}:kmsKeyArn", d.kms_key_arn, rules.kms_key_arn_problem))
    if d.api_url is not None:
        checks.append((f"{conf} bitmovin:apiUrl", d.api_url, _api_url))
    elif api_url_env:
        checks.append((api_url_env_name, api_url_env, _api_url))
    # Config values verify does not use itself but that describe the same deployment.
    for key in ("aws:region",):
        if key in d.config:
            checks.append((f"{conf} {key}", d.config[key], rules.region_problem))
    problems = []
    for key, value, rule in checks:
        problem = rule(value)
        if problem:
            # The externalId rule never quotes the value (it may be secret); the others quote it with
            # repr, and escape() runs over the whole message when it is printed.
            problems.append(f"{key}: {problem}")
    if not problems:
        problems += _cross_problems(d, project)
    return problems


def _cross_problems(d: Deployment, project: str) -> list[str]:
    problems = []
    role_partition = rules.arn_partition(d.role_arn)
    if rules.region_partition(d.region) != role_partition:
        problems.append(
            f"stack output region: {d.region} is in partition {rules.region_partition(d.region)}, "
            f"the roleArn in {role_partition}"
        )
    name = rules.parse_role_arn(d.role_arn)[3]
    if d.role_name != name:
        problems.append(f"stack output roleName: {d.role_name!r} is not the name in roleArn ({name!r})")
    if d.kms_key_arn is not None and (problem := rules.kms_key_location_problem(d.kms_key_arn, d.region)):
        problems.append(f"stack config {project}:kmsKeyArn: {problem}")
    return problems


def json_document(document: Any) -> str:
    """``--json`` output: indented JSON, non-ASCII text kept, unsafe characters ``\\u``-escaped."""
    return json_safe(json.dumps(document, indent=2, ensure_ascii=False))
