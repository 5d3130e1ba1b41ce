"""How a bad stack config value is reported: the problem, the command that fixes it, and never a secret.

Every problem names the key as typed after ``pulumi config set`` and a complete shell command
that fixes it (a suggestion derived from the bad value where one helps). Values of secret keys,
and suggestions derived from them, are masked before any problem is shown.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from analytics_export import naming
from providers import validation as rules


@dataclass(frozen=True)
class ConfigProblem:
    key: str  # as typed after `pulumi config set`, e.g. "exportPrefix" or "aws:region"
    reason: str
    fix: str  # a complete shell command

    def __str__(self) -> str:
        end = "" if self.reason.endswith((".", "?", "!")) else "."
        return f"{self.key}: {self.reason}{end} Fix: `{self.fix}`"


class ConfigError(ValueError):
    """Every bad stack config key at once, each with the command that fixes it."""

    def __init__(self, problems: list[ConfigProblem] | tuple[ConfigProblem, ...]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = [f"Invalid stack configuration ({count} problem{'s' if count != 1 else ''}):"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))

    @property
    def keys(self) -> list[str]:
        return [problem.key for problem in self.problems]


def set_command(key: str, value: str) -> str:
    return f"pulumi config set {key} {shlex.quote(value)}"


def rm_command(key: str) -> str:
    return f"pulumi config rm {key}"


# ---------------------------------------------------------------------------------------------
# Suggestions for fix commands


def suggest_bucket_name(value: str, stack: str) -> str:
    candidate = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", value.lower())).strip("-")[:63].strip("-")
    if rules.new_bucket_name_problem(candidate) is None:
        return candidate
    return f"{naming.BUCKET_NAME_PREFIX}{naming.stack_slug(stack, 30)}-<your account id>"


def suggest_role_name(value: str, stack: str) -> str:
    candidate = re.sub(r"[^A-Za-z0-9_+=,.@-]", "-", value)[:64]
    return candidate if rules.role_name_problem(candidate) is None else naming.default_role_name(stack)


def suggest_prefix(value: str) -> str:
    """The literal folder the user most likely meant: no wildcards, variables or dot segments."""
    cleaned = re.sub(r"[^A-Za-z0-9!_.'()/-]", "", re.sub(r"\s+", "-", value.strip()))
    segments = [segment for segment in cleaned.split("/") if segment not in ("", ".", "..")]
    candidate = "/".join(segments) + "/" if segments else ""
    return candidate if candidate and rules.export_prefix_problem(candidate) is None else "analytics/"


# ---------------------------------------------------------------------------------------------
# Secret values


def without_secret_values(problems: list[ConfigProblem], secrets: Mapping[str, str]) -> list[ConfigProblem]:
    """No problem may show the value of a secret key, nor a suggestion derived from it: the value
    and every quoted text sharing a piece of it are masked, a fix that would carry a piece of it
    becomes a placeholder, and a secret key's fix keeps ``--secret``.

    ``secrets`` maps each secret key, as typed after ``pulumi config set``, to its value.
    """
    if not secrets:
        return problems
    cleaned = []
    for problem in problems:
        reason, fix, plain_set = problem.reason, problem.fix, f"pulumi config set {problem.key} "
        for value in secrets.values():
            reason = _mask(reason, value)
        if not fix.startswith("pulumi config set --secret ") and any(
            _shares_piece(fix, value) for value in secrets.values()
        ):
            fix = f"pulumi config set {'--secret ' if problem.key in secrets else ''}{problem.key} <value>"
        elif problem.key in secrets and fix.startswith(plain_set):
            fix = f"pulumi config set --secret {problem.key} " + fix.removeprefix(plain_set)
        cleaned.append(ConfigProblem(problem.key, reason, fix))
    return cleaned


_SECRET_MASK = "<secret value>"
_PIECE = 4
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`")


def _shares_piece(text: str, secret: str) -> bool:
    """``text`` contains ``secret`` or a run of 4 of its characters (a suggestion derived from it)."""
    text, secret = text.lower(), secret.lower()
    size = min(_PIECE, len(secret))
    return any(secret[i : i + size] in text for i in range(len(secret) - size + 1))


def _mask(text: str, secret: str) -> str:
    """Mask ``secret`` (raw or as ``repr`` escapes it) and every quoted text sharing a piece of it."""
    for form in dict.fromkeys((secret, repr(secret)[1:-1])):
        if len(form) < _PIECE:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", _SECRET_MASK, text)
        else:
            text = text.replace(form, _SECRET_MASK)
    return _QUOTED.sub(
        lambda m: m[0][0] + _SECRET_MASK + m[0][-1] if _shares_piece(m[0][1:-1], secret) else m[0], text
    )
