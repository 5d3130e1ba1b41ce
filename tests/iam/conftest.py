"""Fixtures of the IAM and S3 meaning tests (layer 5); ``moto`` (a moto server) is in tests/conftest.py."""

from collections.abc import Iterator

import pytest

from dev.support.testing import offline_aws


@pytest.fixture
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS in the module's ``REGION``, with dummy credentials."""
    with offline_aws(monkeypatch, request.module.REGION):
        yield
