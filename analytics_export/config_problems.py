"""How a bad stack config value is reported: the problem, the command that fixes it, and never a secret.

Every problem names the key as typed after ``pulumi config set`` and a complete shell command
that fixes it (a suggestion derived from the bad value where one helps). Values of secret keys,
and suggestions derived from them, are masked before any problem is shown.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from analytics_export import naming
from bitmovin_api.redaction import SECRET_MASK
from providers import provider_config
from providers import validation as rules


@dataclass(frozen=True)
class ConfigProblem:
    key: str  # as typed after `pulumi config set`, e.g. "exportPrefix" or "aws:region"
    reason: str
    fix: str  # a complete shell command

    def __str__(self) -> str:
        end = "" if self.reason.endswith((".", "?", "!")) else "."
        return f"{self.key}: {self.reason}{end} Fix: `{self.fix}`"


def set_command(key: str, value: str) -> str:
    """``pulumi config set key value``, the value quoted for a shell. A value a terminal would not
    show faithfully (a control character, or text too long to be a fix) becomes ``<value>``."""
    return f"pulumi config set {key} {shown_value(value) or shlex.quote('<value>')}"


def rm_command(key: str) -> str:
    return f"pulumi config rm {key}"


# Longest value a fix command shows; a longer one is described in words instead.
MAX_SHOWN_VALUE = 120


def shown_value(value: str) -> str | None:
    """``value`` quoted for a shell (``shlex.quote``), or None if it cannot be shown as it is: a
    control or non-printable character (shown raw it would break the command or the terminal), or
    longer than :data:`MAX_SHOWN_VALUE`."""
    if not value.isprintable() or len(value) > MAX_SHOWN_VALUE:
        return None
    return shlex.quote(value)


# ---------------------------------------------------------------------------------------------
# Suggestions for fix commands. A suggestion only undoes a mistake whose intent is clear (spaces
# or a newline around the value, uppercase in a bucket name, an accent, a missing or doubled
# slash); it never drops characters that carry meaning (wildcards, variables, '..', a too-long
# tail). Every suggestion passes the rule it is suggested for, else there is none (None) and the
# caller shows a placeholder or the default.


def _ascii_folded(value: str) -> str:
    """Accented letters without their accents (rôle -> role); other characters unchanged."""
    decomposed = unicodedata.normalize("NFKD", value)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded if folded.isascii() else value


def suggest_bucket_name(value: str, stack: str) -> str:
    candidate = re.sub(r"\.{2,}", ".", re.sub(r"[\s_]+", "-", _ascii_folded(value.strip()).lower()))
    if rules.new_bucket_name_problem(candidate) is None:
        return candidate
    return f"{naming.BUCKET_NAME_PREFIX}{naming.stack_slug(stack, 30)}-<your account id>"


def suggest_role_name(value: str, stack: str) -> str:
    candidate = re.sub(r"\s+", "-", _ascii_folded(value.strip()))
    return candidate if rules.role_name_problem(candidate) is None else naming.default_role_name(stack)


PREFIX_PLACEHOLDER = "<literal folder>/"


def suggest_prefix(value: str) -> str:
    """The literal folder the user meant, when that is clear: surrounding spaces or newlines,
    a leading, doubled or missing slash and '.' segments are undone; a wildcard, a policy
    variable, '..' or any other refused character has no faithful fix (a placeholder)."""
    segments = [segment for segment in value.strip().split("/") if segment not in ("", ".")]
    candidate = "/".join(segments) + "/" if segments else ""
    if candidate and rules.export_prefix_problem(candidate) is None:
        return candidate
    return PREFIX_PLACEHOLDER


# ---------------------------------------------------------------------------------------------
# Secret values


def without_secret_values(problems: list[ConfigProblem], secrets: Mapping[str, str]) -> list[ConfigProblem]:
    """No problem may show the value of a secret key, nor a suggestion derived from it: the value
    and every quoted text sharing a piece of it are masked, a fix that would carry a piece of it
    moves or asks for the value instead, and a secret key's fix keeps ``--secret`` and takes its
    value from standard input, never from the command line.

    ``secrets`` maps each secret key, as typed after ``pulumi config set``, to its value.
    """
    if not secrets:
        return problems
    cleaned = []
    for problem in problems:
        reason, fix, plain_set = problem.reason, problem.fix, f"pulumi config set {problem.key} "
        for value in secrets.values():
            reason = _mask(reason, value)
        visible = fix.replace("--secret ", "").replace(problem.key, "")  # the key is not derived from it
        if not fix.startswith(("pulumi config set --secret ", "pulumi config get ")) and any(
            _shares_piece(visible, value) for value in secrets.values()
        ):
            fix = _without_value(fix, problem.key, secret=problem.key in secrets)
        elif problem.key in secrets and fix.startswith(plain_set):
            fix = _secret_set(problem.key, fix.removeprefix(plain_set))
        cleaned.append(ConfigProblem(problem.key, reason, fix))
    return cleaned


def _secret_set(key: str, value: str) -> str:
    """``pulumi config set --secret key`` with ``value`` (as the fix would have typed it) on standard
    input: a generated value (``"$(command)"``) is piped in, any other is asked for by the CLI."""
    generated = re.fullmatch(r'"\$\((.+)\)"', value)
    command = provider_config.set_secret_command(key)
    return f"{generated[1]} | {command}" if generated else command


def _without_value(fix: str, key: str, *, secret: bool) -> str:
    """``fix`` without the value it sets: a move (``rm`` then ``set``) moves the value as a secret
    without showing it; any other fix asks for the value of ``key`` (or shows a placeholder)."""
    head, sep, last = fix.rpartition(" && ")
    words, moved = last.split(" "), head.split(" ")
    if sep and words[:3] == ["pulumi", "config", "set"] and moved[:3] == ["pulumi", "config", "rm"]:
        target = next(word for word in words[3:] if word != "--secret")
        return provider_config.move_secret_command(moved[3], target)
    if secret:
        return provider_config.set_secret_command(key)
    return f"pulumi config set {key} {shlex.quote('<value>')}"


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
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", SECRET_MASK, text)
        else:
            text = text.replace(form, SECRET_MASK)
    return _QUOTED.sub(
        lambda m: m[0][0] + SECRET_MASK + m[0][-1] if _shares_piece(m[0][1:-1], secret) else m[0], text
    )
