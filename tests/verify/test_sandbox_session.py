"""Layer 1: what verify takes from ``.sandbox/session.json`` for the sandbox's ``local`` stack, and what it
refuses there (the file is input like any other)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verify.errors import StackError
from verify.sandbox_session import sandbox_session

pytestmark = pytest.mark.layer1


def write_session(project: Path, **changes: object) -> dict:
    work = project / ".sandbox"
    (work / "engine" / "bin").mkdir(parents=True)
    session = {
        "format": 1,
        "stack": "local",
        "pulumi": "/opt/engine/pulumi",
        "pulumiRoot": str(work / "engine"),
        "pathFirst": [str(project / "venv" / "bin"), "/opt/engine"],
        "backend": (work / "state").as_uri(),
        "passphrase": "local-sandbox-not-a-secret",
        "awsEndpoint": "http://127.0.0.1:18455",
        "awsKeys": {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        "bitmovinApiUrl": "http://127.0.0.1:18456/v1",
        "licenseKey": "sandbox-license-key-not-a-secret",
        "awsPlugin": "stand-in",
        **changes,
    }
    (work / "session.json").write_text(json.dumps(session))
    return session


def test_only_the_local_stack_with_a_recorded_session_is_the_sandbox_s(tmp_path):
    assert sandbox_session("local", tmp_path) is None  # no ./sandbox up here
    write_session(tmp_path)
    assert sandbox_session("acme-prod", tmp_path) is None
    session = sandbox_session("local", tmp_path)
    assert session is not None
    assert session.aws_endpoint == "http://127.0.0.1:18455"
    assert session.api_url == "http://127.0.0.1:18456/v1"
    env = session.pulumi_env("/usr/bin")
    assert env["PATH"] == f"{tmp_path / 'venv' / 'bin'}:/opt/engine:/usr/bin"
    assert env["PULUMI_BACKEND_URL"] == (tmp_path / ".sandbox" / "state").as_uri()
    shell = {"AWS_PROFILE": "production", "BITMOVIN_API_KEY": "real", "HOME": "/home/me"}
    assert session.environ(shell) == {
        "HOME": "/home/me",
        "BITMOVIN_ANALYTICS_LICENSE_KEY": "sandbox-license-key-not-a-secret",
    }
    assert "not-a-secret" not in repr(session)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("awsEndpoint", "https://s3.amazonaws.com", "awsEndpoint must be http://127.0.0.1:<port>"),
        ("bitmovinApiUrl", "http://127.0.0.1:18456/v2", "bitmovinApiUrl must be http://127.0.0.1:<port>/v1"),
        ("backend", "https://api.pulumi.com", "backend must be a file:// URL"),
        ("backend", "file:///etc", "backend must be inside"),
        ("pulumiRoot", "/usr/local", "pulumiRoot must be inside"),
        ("passphrase", "", "passphrase must be a non-empty string"),
        ("format", 2, "is not a session of this sandbox"),
    ],
)
def test_a_session_pointing_anywhere_else_is_refused_naming_the_key(tmp_path, key, value, message):
    write_session(tmp_path, **{key: value})
    with pytest.raises(StackError, match=message) as raised:
        sandbox_session("local", tmp_path)
    assert "./sandbox up again" in str(raised.value)


def test_the_shell_s_aws_profile_is_not_looked_up(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile-anywhere")
    write_session(tmp_path)
    session = sandbox_session("local", tmp_path)
    assert session is not None
    client = session.aws_session().client("s3", region_name="us-east-1", endpoint_url=session.aws_endpoint)
    credentials = client._request_signer._credentials  # what every request would be signed with
    assert (credentials.access_key, credentials.secret_key) == ("test", "test")
