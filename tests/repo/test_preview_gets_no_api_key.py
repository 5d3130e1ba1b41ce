"""Layer 1: the documented setup never hands the Bitmovin API key to pull-request code.

The preview workflow runs a pull request's own code with the repository's ``PULUMI_ACCESS_TOKEN``,
which decrypts the stack config and opens every Pulumi ESC environment the stack imports. So the key
may live in neither place for a stack the workflows preview: only in the ``BITMOVIN_API_KEY`` secret of
the stack's GitHub environments, which only jobs on main behind that environment read (the provider's
``check`` and ``diff`` make no API call, so a preview needs no key:
tests/providers/test_provider_preview_without_key.py).

Checked here, as data: every ESC example (``docs/esc/*.yaml``) and every ESC definition or
``pulumi env set`` command in the docs, examples and stack files holds no API key; the committed stack
files the workflows preview hold no ``bitmovin:apiKey``; no job of a pull-request workflow references
the key's secret (or the passphrase that would decrypt it), and every job that does runs in a GitHub
environment, in a workflow no pull request triggers.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from dev.support import REPO_ROOT
from fleet.stacks import deployable, discover
from providers import provider_config

pytestmark = pytest.mark.layer1

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
KEY_SECRETS = ("BITMOVIN_API_KEY", "PULUMI_CONFIG_PASSPHRASE")
DOC_GLOBS = ("README.md", "docs/**/*.md", "docs/**/*.yaml", "examples/**/*", "Pulumi.*.yaml")
_FENCED_YAML = re.compile(r"^```ya?ml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def is_api_key(name: str) -> bool:
    """A config key or variable that holds the API key, however it is spelt."""
    name = str(name).rpartition(".")[2]
    if name.upper() == provider_config.API_KEY_ENV:
        return True
    return provider_config.closest_known_key(name) == provider_config.API_KEY_CONFIG


def esc_key_holders(document: Any) -> list[str]:
    """The API-key entries of an ESC environment definition (``values.pulumiConfig`` and
    ``values.environmentVariables``)."""
    values = document.get("values") if isinstance(document, Mapping) else None
    if not isinstance(values, Mapping):
        return []
    found = []
    for section in ("pulumiConfig", "environmentVariables"):
        entries = values.get(section)
        if isinstance(entries, Mapping):
            found += [f"values.{section}.{key}" for key in entries if is_api_key(key)]
    return found


def doc_files() -> list[Path]:
    return sorted({p for pattern in DOC_GLOBS for p in REPO_ROOT.glob(pattern) if p.is_file()})


def esc_definitions() -> Iterator[tuple[str, Any]]:
    """(where, document) of every ESC environment the repository shows: the example files and the
    fenced YAML blocks of the docs that have ``values:``."""
    for path in sorted((REPO_ROOT / "docs" / "esc").glob("*.y*ml")):
        yield str(path.relative_to(REPO_ROOT)), yaml.safe_load(path.read_text())
    for path in doc_files():
        if path.suffix != ".md":
            continue
        for block in _FENCED_YAML.findall(path.read_text()):
            try:
                document = yaml.safe_load(block)
            except yaml.YAMLError:
                continue
            if isinstance(document, Mapping) and "values" in document:
                yield str(path.relative_to(REPO_ROOT)), document


def env_set_commands(text: str) -> Iterator[list[str]]:
    """The arguments of each ``pulumi env set`` in ``text`` (up to where the command ends)."""
    for match in re.finditer(r"pulumi env set\b([^`\n|;&#]*)", text):
        try:
            yield shlex.split(match[1])
        except ValueError:
            yield match[1].split()


def key_into_esc(text: str) -> list[str]:
    """Each ``pulumi env set <env> <path> ...`` in ``text`` that puts the API key into an environment."""
    found = []
    for words in env_set_commands(text):
        positionals = [word for word in words if not word.startswith("-")]
        if len(positionals) >= 2 and is_api_key(positionals[1]):
            found.append("pulumi env set " + " ".join(words))
    return found


def pull_request_triggered(workflow: Mapping[Any, Any]) -> bool:
    # PyYAML reads the key `on` as True
    triggers = workflow.get("on", workflow.get(True))
    names = triggers if isinstance(triggers, (list, dict)) else [triggers]
    return any(str(name).startswith("pull_request") for name in names)


def key_secrets_in(job: Mapping[str, Any]) -> set[str]:
    text = yaml.safe_dump(job)
    found = {name for name in KEY_SECRETS if re.search(rf"secrets\.{name}\b", text)}
    if re.search(r"secrets:\s*inherit", text):
        found.add("secrets: inherit")
    return found


def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: yaml.safe_load(path.read_text()) for path in sorted(WORKFLOWS.glob("*.yml"))}


# -- the rules catch what they are for -----------------------------------------------------------


def test_the_rules_catch_a_key_in_esc_and_in_a_preview():
    assert esc_key_holders({"values": {"pulumiConfig": {"bitmovin:apiKey": {"fn::secret": "k"}}}})
    assert esc_key_holders({"values": {"environmentVariables": {"BITMOVIN_API_KEY": "k"}}})
    assert key_into_esc("then `pulumi env set my-org/a/common pulumiConfig.bitmovin:apiKey <key> --secret`")
    assert key_into_esc("pulumi env set org/a/b environmentVariables.BITMOVIN_API_KEY --secret --file key")
    assert not key_into_esc("pulumi env set org/a/b pulumiConfig.aws:region eu-central-1")
    assert key_secrets_in({"steps": [{"env": {"K": "${{ secrets.BITMOVIN_API_KEY }}"}}]})
    assert key_secrets_in({"uses": "./.github/workflows/x.yml", "secrets": "inherit"})
    assert pull_request_triggered({True: {"pull_request": None}})
    assert not pull_request_triggered({True: {"push": {"branches": ["main"]}}})


# -- the repository ------------------------------------------------------------------------------


def test_no_esc_environment_the_docs_show_holds_the_api_key():
    definitions = list(esc_definitions())
    assert any(where.startswith("docs/esc/") for where, _ in definitions)  # not vacuous
    found = [f"{where}: {entry}" for where, document in definitions for entry in esc_key_holders(document)]
    assert not found, found


def test_no_documented_command_puts_the_api_key_into_an_esc_environment():
    found = [
        f"{path.relative_to(REPO_ROOT)}: {command}"
        for path in doc_files()
        for command in key_into_esc(path.read_text(errors="replace"))
    ]
    assert not found, "the preview's token opens ESC environments; keep the key out:\n" + "\n".join(found)


def test_the_stack_files_the_workflows_preview_hold_no_api_key():
    previewed = deployable(discover(REPO_ROOT))
    assert previewed  # Pulumi.dev.yaml at least
    for stack in previewed:
        config = (yaml.safe_load(stack.path.read_text()) or {}).get("config") or {}
        assert not [key for key in config if is_api_key(key)], stack.path.name


def test_pull_request_code_never_gets_the_key_and_the_key_only_goes_to_protected_environments():
    for name, workflow in workflows().items():
        for job_id, job in workflow["jobs"].items():
            used = key_secrets_in(job)
            if pull_request_triggered(workflow):
                assert not used, f"{name}: job {job_id} runs for pull requests and gets {used}"
            elif used:
                assert job.get("environment"), f"{name}: job {job_id} reads {used} outside an environment"
    preview = workflows()["preview.yml"]
    assert pull_request_triggered(preview)
    (step,) = [s for s in preview["jobs"]["preview"]["steps"] if "pulumi/actions" in str(s.get("uses"))]
    assert step["env"][provider_config.PREVIEW_WITHOUT_KEY_ENV] == "true"  # a preview needs no key
