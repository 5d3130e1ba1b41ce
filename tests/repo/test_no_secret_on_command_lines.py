"""Layer 1: no doc, example or message tells anyone to type a secret value into a command line.

A value typed as an argument (``pulumi config set --secret bitmovin:apiKey <key>``) lands in shell
history and in every process list (``ps``) while the command runs. ``pulumi config set`` given no value
prompts for it without echo (and reads standard input when that is not a terminal:
tests/engine/test_suggested_fixes.py proves both forms with the real CLI), so every place that sets a
secret teaches that form, or pipes the value in (``pulumi config get a | pulumi config set --secret b``).

Scanned: the README, every page and example under ``docs/`` and ``examples/``, the committed stack files,
the workflows, the string literals of the product and tool modules (whole, as Python joins them; an
f-string's expressions count as one word), and every message of the bad-input catalogue as the code
renders it. Refused there: a secret ``pulumi config set`` (``--secret``, or a key that is or looks like a
credential) or ``pulumi env set ... --secret`` with a value argument, ``BITMOVIN_API_KEY=<literal>``,
and verify's ``--api-key`` (refused by verify itself, tests/verify/test_api_key_order.py).
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics_export.settings import PLAINTEXT_API_KEY
from bitmovin_api import errors as api_errors
from dev.support import REPO_ROOT
from dev.support.bad_inputs import CASES, error_for
from providers import provider_config
from verify import bitmovin_checks
from verify import cli as verify_cli

pytestmark = pytest.mark.layer1

TEXT_GLOBS = ("README.md", "CHANGELOG.md", "Pulumi.*.yaml", "docs/**/*", "examples/**/*", ".github/**/*.yml")
SOURCE_DIRS = ("analytics_export", "providers", "bitmovin_api", "verify", "fleet", "scripts", "sandbox")
SOURCE_FILES = ("__main__.py", "dev/sandbox.py", "dev/bad_inputs_table.py", "dev/support/bad_inputs.py")
# Where a command ends inside a line of prose, Markdown, YAML or a message.
_COMMAND_END = re.compile(r"`|&&|\|\||\||;|\s#|\n")
_FLAGS_WITH_VALUE = {"--stack", "-s", "--config-file", "--cwd", "-C"}
_VERIFY_API_KEY = re.compile(r"-m verify\b[^`\n]*--api-key")
_API_KEY_ASSIGNED = re.compile(r"\bBITMOVIN_API_KEY=(?P<value>[^\s\"'$`]|\"[^$\"]|'[^$'])")


def _arguments(command: str) -> list[str]:
    """The words after a ``pulumi config set`` / ``pulumi env set``, up to where the command ends."""
    text = _COMMAND_END.split(command, maxsplit=1)[0]
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: a literal cut by the command's end
        return text.split()


def _positionals(words: list[str]) -> list[str]:
    found, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in _FLAGS_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            found.append(word)
    return found


_CREDENTIAL_WORDS = ("apikey", "token", "secret", "passw", "credential")


def _secret_key(key: str) -> bool:
    """``key`` names a credential (the API key however spelt, a token, a password); a placeholder
    (``<key>``) or an f-string expression (``{key}``) is not judged by its name."""
    if key.startswith(("{", "<")):
        return False
    form = provider_config.key_form(key)
    return provider_config.closest_known_key(key) == provider_config.API_KEY_CONFIG or any(
        word in form for word in _CREDENTIAL_WORDS
    )


def violations(text: str) -> Iterator[str]:
    """Each place in ``text`` that puts a secret value on a command line."""
    for match in re.finditer(r"pulumi config set\b", text):
        words = _arguments(text[match.end() :])
        positionals = _positionals(words)
        if len(positionals) >= 2 and ("--secret" in words or _secret_key(positionals[0])):
            yield f"pulumi config set {' '.join(words)}"
    for match in re.finditer(r"pulumi env set\b", text):
        words = _arguments(text[match.end() :])
        positionals = _positionals(words)
        if len(positionals) >= 3 and ("--secret" in words or _secret_key(positionals[1].rpartition(".")[2])):
            yield f"pulumi env set {' '.join(words)}"
    for match in _VERIFY_API_KEY.finditer(text):
        yield match[0]
    for match in _API_KEY_ASSIGNED.finditer(text):
        yield match[0]


def _string_literals(path: Path) -> Iterator[str]:
    """Every string literal of a Python module, implicit concatenations joined, each f-string
    expression as ``{expr}``."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.JoinedStr):
            yield "".join(
                part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
                for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def scanned_texts() -> Iterator[tuple[str, str]]:
    """(where, text) of everything a person reads or runs."""
    for pattern in TEXT_GLOBS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            if path.is_file() and path.suffix in (".md", ".yaml", ".yml", ".json", ".py", ".txt", ".sh", ""):
                text = path.read_text(errors="replace")
                yield str(path.relative_to(REPO_ROOT)), re.sub(r"\\\n\s*", " ", text)
    sources = [p for d in SOURCE_DIRS for p in sorted((REPO_ROOT / d).rglob("*.py"))]
    sources += [REPO_ROOT / name for name in SOURCE_FILES]
    for path in sources:
        for literal in _string_literals(path):
            yield str(path.relative_to(REPO_ROOT)), literal
    api_url = "https://api.bitmovin.com/v1"
    for case in CASES:
        yield f"bad input {case.key}={case.value!r}", error_for(case, api_url)
    yield "provider_config.MISSING_API_KEY", provider_config.MISSING_API_KEY
    yield "settings.PLAINTEXT_API_KEY", str(PLAINTEXT_API_KEY)
    yield "errors._HINTS", "\n".join(api_errors._HINTS.values())
    yield "verify KEY_FIX", bitmovin_checks.KEY_FIX
    yield "verify --api-key", verify_cli.API_KEY_FLAG_REFUSED
    for placeholder in ("[secret]", "<key>"):
        yield f"api_key_problem({placeholder})", str(provider_config.api_key_problem(placeholder))


@pytest.mark.parametrize(
    "text",
    [
        "pulumi config set --secret bitmovin:apiKey <your Bitmovin API key>  # encrypted",
        "`pulumi config set bitmovin:apiKey abc123`",
        "pulumi config set bitmovin:apikey 'k' --stack acme",
        'f"pulumi config set --secret {target} {value}"',
        "pulumi config rm a && pulumi config set --secret bitmovin:apiKey '[secret]'",
        'pulumi config set --secret externalId "$(pulumi config get externalID)"',
        "pulumi env set my-org/common pulumiConfig.bitmovin:apiKey <key> --secret",
        "venv/bin/python -m verify --stack acme --api-key abc",
        "BITMOVIN_API_KEY=abc123 venv/bin/python -m verify --stack acme",
        "export BITMOVIN_API_KEY='abc'",
    ],
)
def test_the_rule_catches_a_secret_on_a_command_line(text):
    assert list(violations(text))


@pytest.mark.parametrize(
    "text",
    [
        "pulumi config set --secret bitmovin:apiKey   # prompts for the key",
        "`pulumi config set --secret bitmovin:apiKey` (it prompts)",
        "pulumi config get bitmovin:apikey | pulumi config set --secret bitmovin:apiKey && pulumi config rm a",
        "pulumi config set bitmovin:tenantOrgId 9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
        "pulumi config set --secret externalId; then",
        "read -rs BITMOVIN_API_KEY && export BITMOVIN_API_KEY",
        'BITMOVIN_API_KEY="$(cat key.txt)"',
        "python -m dev.bitmovin_emulator --port 8080 --api-key local-key",
    ],
)
def test_the_rule_lets_keyless_commands_through(text):
    assert not list(violations(text))


def test_nothing_teaches_a_secret_on_a_command_line():
    found = [f"{where}: {hit}" for where, text in scanned_texts() for hit in violations(text)]
    assert not found, "secret values on command lines:\n" + "\n".join(found)


def test_the_scan_reaches_the_readme_the_messages_and_the_examples():
    """Not vacuous: each kind of place is scanned and holds a `pulumi config set --secret` it checks."""
    texts = list(scanned_texts())
    places = {where for where, text in texts if "pulumi config set --secret" in text}
    assert "README.md" in places
    assert "Pulumi.dev.yaml" in places
    assert "provider_config.MISSING_API_KEY" in places
    assert any(where.startswith("bad input bitmovin:apikey") for where in places)
    assert any(where.startswith("docs/") for where in places)
