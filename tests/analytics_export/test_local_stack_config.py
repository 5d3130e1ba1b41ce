"""Layer 1: the ``local`` stack (``Pulumi.local.yaml``) is complete and consistent, without a CLI.

It may only set project keys ``Pulumi.yaml`` declares, uses the pulumi-aws v7 keys for local
endpoints (checked against the installed SDK), points every endpoint at the ports the sandbox starts
its emulators on (the sandbox reads them from this file: one source), and its committed
``encryptionsalt`` opens with the sandbox's passphrase, so ``pulumi stack init`` never rewrites it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import re
import uuid
from pathlib import Path

import pytest
import yaml
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from analytics_export.settings import settings_from_config
from dev.support import REPO_ROOT
from dev.support.sandbox_support import load_sandbox

pytestmark = pytest.mark.layer1

sandbox = load_sandbox()
PROJECT = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
LOCAL_TEXT = (REPO_ROOT / "Pulumi.local.yaml").read_text()
LOCAL = yaml.safe_load(LOCAL_TEXT)
CONFIG: dict = LOCAL["config"]
NAME = PROJECT["name"]
AWS_LOCAL_KEYS = {
    "aws:region",
    "aws:accessKey",
    "aws:secretKey",
    "aws:skipCredentialsValidation",
    "aws:skipRequestingAccountId",
    "aws:skipMetadataApiCheck",
    "aws:s3UsePathStyle",
    "aws:endpoints",
}


def moto_url() -> str:
    (endpoints,) = CONFIG["aws:endpoints"]
    return endpoints["s3"]


def test_every_project_key_it_sets_is_declared_in_pulumi_yaml_with_a_matching_type():
    declared = PROJECT["config"]
    project_keys = {k.split(":", 1)[1]: v for k, v in CONFIG.items() if k.startswith(f"{NAME}:")}
    assert project_keys, "the local stack sets no project key"
    for name, value in project_keys.items():
        assert name in declared, f"{name} is not declared in Pulumi.yaml"
        kind = declared[name]["type"]
        if kind == "boolean":
            assert str(value).lower() in ("true", "false"), name
        elif kind == "integer":
            assert re.fullmatch(r"-?\d+", str(value)), name
    assert set(CONFIG) - set(f"{NAME}:{k}" for k in project_keys) <= AWS_LOCAL_KEYS | {
        "bitmovin:apiUrl",
        "bitmovin:apiKey",
        "bitmovin:tenantOrgId",
    }


def test_aws_keys_are_the_pulumi_aws_v7_local_endpoint_keys():
    aws_keys = {key for key in CONFIG if key.startswith("aws:")}
    assert aws_keys == AWS_LOCAL_KEYS
    for flag in (
        "skipCredentialsValidation",
        "skipRequestingAccountId",
        "skipMetadataApiCheck",
        "s3UsePathStyle",
    ):
        assert CONFIG[f"aws:{flag}"] == "true"
    assert CONFIG["aws:accessKey"] == CONFIG["aws:secretKey"] == "test"  # placeholders moto accepts
    # The installed pulumi-aws (v7) reads exactly these names.
    spec = importlib.util.find_spec("pulumi_aws")
    assert spec is not None
    assert spec.submodule_search_locations
    sdk = Path(next(iter(spec.submodule_search_locations)))
    config_vars = (sdk / "config" / "vars.py").read_text()
    for key in aws_keys:
        assert f"'{key.split(':', 1)[1]}'" in config_vars, key
    assert "'s3ForcePathStyle'" not in config_vars  # the v6 name, gone in v7
    endpoint_class = (sdk / "config" / "outputs.py").read_text()
    for service in ("s3", "iam", "sts"):
        assert f"def {service}(self)" in endpoint_class


def test_every_aws_endpoint_is_the_one_local_moto_server():
    endpoints = CONFIG["aws:endpoints"]
    assert isinstance(endpoints, list)
    assert len(endpoints) == 1
    assert set(endpoints[0]) == {"s3", "iam", "sts"}
    assert len(set(endpoints[0].values())) == 1
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", moto_url())


def test_bitmovin_points_at_the_local_emulator_with_its_own_key():
    api_url = CONFIG["bitmovin:apiUrl"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", api_url)
    assert not api_url.startswith(moto_url() + "/")  # another port than moto
    assert set(CONFIG["bitmovin:apiKey"]) == {"secure"}  # a secret, as the program requires of every stack
    assert _decrypt(CONFIG["bitmovin:apiKey"]["secure"], sandbox.PASSPHRASE) == sandbox.EMULATOR_API_KEY
    if "bitmovin:tenantOrgId" in CONFIG:
        uuid.UUID(CONFIG["bitmovin:tenantOrgId"])


def test_the_sandbox_reads_the_same_ports_and_key_from_this_file():
    parsed = sandbox.parse_stack_config(LOCAL_TEXT)
    assert moto_url() == f"http://127.0.0.1:{parsed.moto_port}"
    assert CONFIG["bitmovin:apiUrl"] == f"http://127.0.0.1:{parsed.bitmovin_port}/v1"
    assert _decrypt(CONFIG["bitmovin:apiKey"]["secure"], sandbox.PASSPHRASE) == parsed.api_key
    assert parsed.moto_port != parsed.bitmovin_port


def test_moved_ports_change_only_the_endpoints():
    defaults = sandbox.parse_stack_config(LOCAL_TEXT)
    moved = yaml.safe_load(sandbox.render_stack_config(LOCAL_TEXT, defaults, 29001, 29002))
    assert moved["encryptionsalt"] == LOCAL["encryptionsalt"]
    assert moved["config"]["aws:endpoints"] == [dict.fromkeys(("s3", "iam", "sts"), "http://127.0.0.1:29001")]
    assert moved["config"]["bitmovin:apiUrl"] == "http://127.0.0.1:29002/v1"
    unchanged = {k: v for k, v in moved["config"].items() if k not in ("aws:endpoints", "bitmovin:apiUrl")}
    assert unchanged == {k: v for k, v in CONFIG.items() if k not in ("aws:endpoints", "bitmovin:apiUrl")}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (LOCAL_TEXT.replace("      sts: http://127.0.0.1", "      sts: http://127.0.0.2"), "s3, iam and sts"),
        (re.sub(r"(?m)^  bitmovin:apiUrl:.*$", "", LOCAL_TEXT), "bitmovin:apiUrl"),
    ],
)
def test_the_sandbox_refuses_a_stack_file_it_cannot_serve(text, words):
    with pytest.raises(sandbox.SandboxError, match=words):
        sandbox.parse_stack_config(text)


@functools.cache
def _key(passphrase: str, salt: str) -> bytes:
    """Pulumi's passphrase key, PBKDF2-SHA256 x 1e6 (about a second: each pair is derived once)."""
    return hashlib.pbkdf2_hmac("sha256", passphrase.encode(), base64.b64decode(salt), 1_000_000, 32)


def _opens(salt_state: str, passphrase: str) -> bool:
    """Pulumi's passphrase check: v1:<salt>:v1:<nonce>:<AES-256-GCM("pulumi")>, key = PBKDF2-SHA256 x 1e6."""
    version, salt, inner_version, nonce, sealed = salt_state.split(":")
    assert (version, inner_version) == ("v1", "v1")
    key = _key(passphrase, salt)
    try:
        return AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(sealed), None) == b"pulumi"
    except InvalidTag:
        return False


def _decrypt(secure: str, passphrase: str) -> str:
    """A ``secure:`` config value as Pulumi's passphrase provider reads it: v1:<nonce>:<AES-256-GCM>."""
    _, salt, *_ = LOCAL["encryptionsalt"].split(":")
    key = _key(passphrase, salt)
    version, nonce, sealed = secure.split(":")
    assert version == "v1"
    return AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(sealed), None).decode()


def test_the_api_key_opens_with_the_sandbox_passphrase_only():
    assert _decrypt(CONFIG["bitmovin:apiKey"]["secure"], sandbox.PASSPHRASE) == sandbox.EMULATOR_API_KEY
    with pytest.raises(InvalidTag):
        _decrypt(CONFIG["bitmovin:apiKey"]["secure"], sandbox.PASSPHRASE + "x")


def test_the_program_would_not_refuse_the_local_key_as_plain_text():
    from analytics_export.settings import api_key_storage_problems

    value = CONFIG["bitmovin:apiKey"]
    assert (
        api_key_storage_problems(configured=True, secret=isinstance(value, dict) and "secure" in value) == []
    )


def test_pulumi_s_own_passphrase_test_vector_opens():
    # pulumi/pulumi pkg/secrets/passphrase/manager_test.go: this state with passphrase "password".
    state = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
    assert _opens(state, "password")
    assert not _opens(state, "password123")


def test_the_committed_salt_opens_with_the_sandbox_passphrase_only():
    assert _opens(LOCAL["encryptionsalt"], sandbox.PASSPHRASE)
    assert not _opens(LOCAL["encryptionsalt"], sandbox.PASSPHRASE + "x")


def test_the_program_accepts_the_local_stack_config():
    settings = settings_from_config(CONFIG, project=NAME, stack="local")
    assert settings.region == "us-east-1"
    assert settings.retain_bucket_on_destroy is True
    assert settings.tenant_org_id is None  # the emulator key's own organization


def test_the_sandbox_creates_the_virtual_environment_pulumi_uses():
    layout = sandbox.Layout(REPO_ROOT)
    assert layout.venv == REPO_ROOT / PROJECT["runtime"]["options"]["virtualenv"]
    assert layout.work == REPO_ROOT / ".sandbox"


def test_whatever_starts_an_emulator_installs_it():
    sandbox_requirements = (REPO_ROOT / "requirements-sandbox.txt").read_text().splitlines()
    assert "-r requirements.txt" in sandbox_requirements
    assert any(line.startswith("werkzeug") for line in sandbox_requirements)
    assert any(line.startswith("moto[server]") for line in sandbox_requirements)
    assert "-r requirements-sandbox.txt" in (REPO_ROOT / "requirements-dev.txt").read_text().splitlines()
    runtime = (REPO_ROOT / "requirements.txt").read_text()
    assert "moto" not in runtime
    assert "werkzeug" not in runtime
    # The test environment was installed from these files, so everything the sandbox probes is there.
    assert [m for m in sandbox.REQUIRED_MODULES if importlib.util.find_spec(m) is None] == []


def test_sandbox_work_directory_is_ignored_by_git():
    assert ".sandbox/" in (REPO_ROOT / ".gitignore").read_text().splitlines()
