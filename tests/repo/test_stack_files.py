"""Layer 1: which stacks exist, which are local-only, and the matrix CI derives from them.

The rule (``fleet/stacks.py``): a stack is local-only when it is named ``local`` or when its
``bitmovin:apiUrl`` or an ``aws:endpoints`` URL points at a loopback host. CI (preview, deploy, drift)
and the fleet command leave local-only stacks out.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from dev.support import REPO_ROOT
from dev.support.testing import ORG_ID
from fleet.stacks import StackFileError, deployable, discover, local_reason, url_is_local
from scripts.stack_matrix import main as matrix_main
from scripts.stack_matrix import matrix

pytestmark = pytest.mark.layer1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://127.8.9.10/v1",
        "http://localhost:8080/v1",
        "https://LOCALHOST/v1",
        "http://bitmovin.localhost:9000/v1",
        "http://[::1]:8080/v1",
        "http://0.0.0.0:8080/v1",
        "localhost:8080/v1",  # no scheme: still a host
        " http://127.0.0.1/v1 ",
    ],
)
def test_loopback_urls_are_local(url):
    assert url_is_local(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.bitmovin.com/v1",
        "https://localhost.example.com/v1",  # a public name that merely starts with localhost
        "https://127.0.0.1.nip.io/v1",  # resolves to loopback, but only through DNS: not ours to guess
        "http://10.0.0.5/v1",
        "",
        None,
        42,
        "http://[not-an-ip/v1",
    ],
)
def test_other_urls_are_not_local(url):
    assert not url_is_local(url)


def test_local_rule_names_its_reason():
    assert local_reason("local", {}) == "the stack is named 'local'"
    assert local_reason("prod", {"bitmovin:apiUrl": "http://127.0.0.1:8080/v1"}) == (
        "bitmovin:apiUrl is http://127.0.0.1:8080/v1"
    )
    endpoints = [{"s3": "https://s3.eu-central-1.amazonaws.com"}, {"iam": "http://localhost:5000"}]
    assert (
        local_reason("prod", {"aws:endpoints": endpoints}) == "aws:endpoints points at http://localhost:5000"
    )
    assert local_reason("prod", {"aws:endpoints": {"sts": "http://127.0.0.1:4566"}}) is not None
    assert local_reason("prod", {"bitmovin:apiUrl": "https://api.bitmovin.com/v1"}) is None
    assert local_reason("locally-hosted-org", {}) is None


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        (directory / name).write_text(body)
    return directory


PROJECT_FILES = {
    "Pulumi.yaml": "name: bitmovin-analytics-export\nruntime: python\n",
    "Pulumi.acme-prod.yaml": f"config:\n  bitmovin:tenantOrgId: {ORG_ID}\n",
    "Pulumi.dev.yml": "config:\n  aws:region: eu-central-1\n",
    "Pulumi.local.yaml": "config:\n  bitmovin:apiUrl: http://127.0.0.1:8080/v1\n",
    "Pulumi.sandbox.yaml": "config:\n  aws:endpoints:\n    - s3: http://localhost:5000\n",
    "Pulumi.empty.yaml": "",
    "README.md": "not a stack",
}


def test_discover_reads_every_stack_file_and_nothing_else(tmp_path):
    stacks = discover(write(tmp_path, PROJECT_FILES))
    assert [stack.name for stack in stacks] == ["acme-prod", "dev", "empty", "local", "sandbox"]
    by_name = {stack.name: stack for stack in stacks}
    assert by_name["acme-prod"].tenant_org_id == ORG_ID
    assert by_name["dev"].tenant_org_id == ""
    assert [stack.name for stack in deployable(stacks)] == ["acme-prod", "dev", "empty"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("config: [unclosed", "Pulumi.broken.yaml is not valid YAML"),
        ("- a list\n", "Pulumi.broken.yaml must be a YAML map"),
        ("config: just text\n", "Pulumi.broken.yaml: 'config:' must be a map"),
    ],
)
def test_a_broken_stack_file_is_named(tmp_path, body, message):
    write(tmp_path, {"Pulumi.broken.yaml": body})
    with pytest.raises(StackFileError, match=re.escape(message)):
        discover(tmp_path)


def test_one_stack_with_two_files_is_an_error(tmp_path):
    write(tmp_path, {"Pulumi.dev.yaml": "", "Pulumi.dev.yml": ""})
    with pytest.raises(StackFileError, match="stack dev has two files"):
        discover(tmp_path)


def test_matrix_leaves_out_local_only_stacks_and_checks_requested_ones(tmp_path):
    project = write(tmp_path, PROJECT_FILES)
    assert matrix(project, []) == ["acme-prod", "dev", "empty"]
    assert matrix(project, ["dev", "acme-prod", "dev"]) == ["dev", "acme-prod"]
    with pytest.raises(ValueError, match=r"stack local is local-only \(the stack is named 'local'\)"):
        matrix(project, ["local"])
    with pytest.raises(
        ValueError, match=r"no stack file Pulumi\.nope\.yaml; known stacks: acme-prod, dev, empty"
    ):
        matrix(project, ["nope"])


def test_matrix_script_writes_the_github_output(tmp_path, monkeypatch, capsys):
    (tmp_path / "project").mkdir()
    project = write(tmp_path / "project", PROJECT_FILES)
    output = tmp_path / "github-output"
    output.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert matrix_main(["--github-output", "--project-dir", str(project)]) == 0
    assert json.loads(capsys.readouterr().out) == ["acme-prod", "dev", "empty"]
    assert output.read_text() == 'earlier=1\nstacks=["acme-prod", "dev", "empty"]\n'


def test_matrix_script_refuses_unknown_stacks(tmp_path, capsys):
    project = write(tmp_path, PROJECT_FILES)
    assert matrix_main(["nope", "--project-dir", str(project)]) == 2
    assert "stack_matrix: no stack file Pulumi.nope.yaml" in capsys.readouterr().err


def test_this_projects_matrix_is_its_deployable_stack_files():
    """Whatever stack files the repository holds, CI runs exactly the ones that are not local-only."""
    stacks = discover(REPO_ROOT)
    assert matrix(REPO_ROOT, []) == [stack.name for stack in stacks if not stack.local_only]
    assert "dev" in matrix(REPO_ROOT, [])  # the example stack, Pulumi.dev.yaml


def test_esc_example_sets_only_declared_keys_and_no_secret():
    """docs/esc/bitmovin-analytics-common.yaml: every key is a project key of Pulumi.yaml or a
    provider key the program reads, and the API key is never written into the file."""
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    declared = {f"{project['name']}:{key}" for key in project["config"]} | set(project["template"]["config"])
    environment = yaml.safe_load((REPO_ROOT / "docs" / "esc" / "bitmovin-analytics-common.yaml").read_text())
    keys = set(environment["values"]["pulumiConfig"])
    assert keys
    assert keys <= declared
    assert "bitmovin:apiKey" not in keys  # set with `pulumi env set ... --secret`, never committed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--", "--help"], "'--help' looks like an option, not a stack name"),
        (["--", "--project-dir", "/tmp"], "'--project-dir' looks like an option, not a stack name"),
        (["--", "-x"], "'-x' looks like an option, not a stack name"),
        (["--", "acme-prod", "a;b"], "'a;b' is not a stack name (letters, digits, '_', '.' and '-' only)"),
        (["--", ""], "'' is not a stack name"),
        (["--", "acme/prod"], "'acme/prod' is not a stack name"),
    ],
)
def test_matrix_script_refuses_option_like_and_malformed_names(tmp_path, monkeypatch, capsys, argv, message):
    (tmp_path / "project").mkdir()
    project = write(tmp_path / "project", PROJECT_FILES)
    output = tmp_path / "github-output"
    output.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.chdir(project)
    monkeypatch.setattr("scripts.stack_matrix.ROOT", project)
    assert matrix_main(["--github-output", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"stack_matrix: {message}")
    assert output.read_text() == ""


def test_matrix_refuses_a_stack_that_would_share_a_drift_environment(tmp_path):
    project = write(tmp_path, {**PROJECT_FILES, "Pulumi.acme-prod-drift.yaml": "config: {}\n"})
    with pytest.raises(
        ValueError, match="stack acme-prod-drift would share the GitHub environment acme-prod-drift"
    ):
        matrix(project, [])
