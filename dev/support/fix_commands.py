"""The kinds of ``pulumi config`` fix commands the project prints, told apart by their shape.

Every message that names a fix shows it as a shell command in backticks. Each kind is run through the
real CLI by tests/engine/test_suggested_fixes.py (which checks the stack config it leaves);
tests/analytics_export/test_fix_commands.py checks that every fix the project prints is of one of
these kinds, so a new kind cannot appear without being run.
"""

from __future__ import annotations

import re

_KEY = r"[A-Za-z0-9_.:'][A-Za-z0-9_.:'-]*"  # a config key (never a flag)
# (kind, what the command does) in the order they are tried; the first full match wins.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # value moved between keys as a secret, never shown: get | set --secret && rm
    (
        "move secret",
        re.compile(
            rf"pulumi config get ({_KEY}) \| pulumi config set --secret {_KEY} && pulumi config rm \1"
        ),
    ),
    # a plain value re-saved as a secret, never shown
    ("re-save as secret", re.compile(rf"pulumi config get ({_KEY}) \| pulumi config set --secret \1")),
    # a generated value piped into a secret
    ("generate secret", re.compile(rf"(?!pulumi config)[^|`]+ \| pulumi config set --secret {_KEY}")),
    # the CLI prompts for the value (standard input when not a terminal)
    ("prompt for secret", re.compile(rf"pulumi config set --secret {_KEY}")),
    # a plain value moved without being shown (a value a message may not show)
    (
        "move plain unseen",
        re.compile(rf"pulumi config get ({_KEY}) \| pulumi config set {_KEY} && pulumi config rm \1"),
    ),
    # a plain value moved to the key meant, shown (it is not secret)
    ("move plain", re.compile(rf"pulumi config rm {_KEY} && pulumi config set {_KEY} (?!--secret)\S.*")),
    ("remove", re.compile(rf"pulumi config rm {_KEY}")),
    ("generate plain", re.compile(rf"pulumi config set {_KEY} \"\$\(.+\)\"")),
    ("set placeholder", re.compile(rf"pulumi config set {_KEY} '[^']*<[^']*>[^']*'")),
    ("set plain", re.compile(rf"pulumi config set {_KEY} (?!--secret)(?:[^<>|&;`\s']+|'[^'<>]*')")),
    # an AWS-side change and a new deploy (verify's diagnosis)
    ("set plain and deploy", re.compile(rf"pulumi config set {_KEY} [^<>|&;`\s]+ && pulumi up")),
)

_BACKTICKED = re.compile(r"`([^`]*pulumi config [^`]*)`")


def fix_commands(message: str) -> list[str]:
    """Every backticked shell command in ``message`` that runs ``pulumi config``."""
    return _BACKTICKED.findall(message)


def fix_kind(command: str) -> str | None:
    """The kind of ``command`` (:data:`KINDS`), or None for a shape no test runs."""
    for kind, pattern in KINDS:
        if pattern.fullmatch(command):
            return kind
    return None
