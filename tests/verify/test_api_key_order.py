"""Layer 2: which API key ``python -m verify`` sends, over HTTP to the emulator.

One order everywhere (``providers.provider_config.choose_api_key``, the provider's): the stack config's
``bitmovin:apiKey`` first, ``BITMOVIN_API_KEY`` as the fallback. ``--api-key`` is refused (a key on the
command line shows in ``ps`` and shell history) with an error naming the two places a key comes from,
and a placeholder key (``[secret]``) is refused before any request. The emulator accepts only one key,
so the status of verify's one GET tells which key reached it (404 for an output it does not hold: the
key was accepted; 401: it was not). AWS is a session without credentials, which fails every AWS check at
once without any request (the AWS checks are tests/verify/test_verify_command.py's).
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import NoCredentialsError

from dev.support.testing import ACME_STACK_OUTPUTS
from tests.verify.test_verify_command import FakeWorkspace
from verify.cli import main

pytestmark = pytest.mark.layer2

STACK_KEY = "verify-order-stack-key-5a1c"
ENV_KEY = "verify-order-env-key-8e2b"
READ_STACKS: list[str] = []  # every stack verify read through the stand-in Automation API


class NoCredentialsClient:
    """A boto3 client of a session without credentials: every call raises at once."""

    meta = SimpleNamespace(events=SimpleNamespace(register=lambda *args, **kwargs: None))

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise NoCredentialsError()

        return call


class NoCredentialsSession:
    def client(self, service: str, **kwargs: Any) -> NoCredentialsClient:
        return NoCredentialsClient()


def verify(emulator, *args: str, stack_key: str | None, env_key: str | None) -> tuple[int, str, str]:
    """verify of stack acme-prod (its outputs and config through a stand-in Automation API)."""
    config = {"bitmovin:apiUrl": emulator.base_url, "aws:region": "eu-central-1"}
    if stack_key is not None:
        config["bitmovin:apiKey"] = stack_key
    stdout, stderr = io.StringIO(), io.StringIO()
    workspace = FakeWorkspace(ACME_STACK_OUTPUTS, config)
    code = main(
        ["--stack", "acme-prod", *args],
        environ={} if env_key is None else {"BITMOVIN_API_KEY": env_key},
        stdout=stdout,
        stderr=stderr,
        aws_session=NoCredentialsSession(),
        workspace=workspace,
    )
    READ_STACKS.extend(workspace.asked)
    return code, stdout.getvalue(), stderr.getvalue()


def get_statuses(emulator) -> list[int | None]:
    return [record.status for record in emulator.requests.filter(route="get")]


def test_the_stacks_key_wins_over_the_environment(emulator):
    emulator.options.api_keys = {STACK_KEY}
    code, out, err = verify(emulator, stack_key=STACK_KEY, env_key=ENV_KEY)
    assert get_statuses(emulator) == [404], out  # accepted: the stack's key was sent
    assert code == 1  # the AWS checks fail without credentials, the output is not there
    for text in (out, err):
        assert STACK_KEY not in text
        assert ENV_KEY not in text


def test_the_environment_is_the_fallback(emulator):
    emulator.options.api_keys = {ENV_KEY}
    verify(emulator, stack_key=None, env_key=ENV_KEY)
    assert get_statuses(emulator) == [404]


def test_an_empty_stack_key_falls_back_to_the_environment(emulator):
    emulator.options.api_keys = {ENV_KEY}
    verify(emulator, stack_key="", env_key=ENV_KEY)
    assert get_statuses(emulator) == [404]


def test_the_api_key_flag_is_refused_before_anything_is_read(emulator):
    READ_STACKS.clear()
    code, out, err = verify(emulator, "--api-key", STACK_KEY, stack_key=None, env_key=None)
    assert code == 2
    assert "--api-key is no longer accepted" in err
    assert "BITMOVIN_API_KEY" in err
    assert "bitmovin:apiKey" in err
    assert STACK_KEY not in out + err
    assert len(emulator.requests) == 0
    assert READ_STACKS == []


@pytest.mark.parametrize("placeholder", ["[secret]", "<your-key>"])
def test_a_placeholder_key_is_refused_before_any_request(emulator, placeholder):
    code, _, err = verify(emulator, stack_key=placeholder, env_key=ENV_KEY)
    assert code == 2
    assert "placeholder" in err
    assert len(emulator.requests) == 0
