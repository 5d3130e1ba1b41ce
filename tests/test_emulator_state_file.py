"""Layer 2: the emulator keeps its outputs in ``--state-file`` across a restart (the sandbox relies on it).

Start, create, stop, start again on the same file, read: in-process and through ``python -m
bitmovin_emulator``. Writes are atomic: a failed write leaves the previous file and no temporary file.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from bitmovin_emulator import DEFAULT_ORG_ID, EmulatorServer
from bitmovin_emulator.state_file import FORMAT_VERSION, StateFile, StateFileError
from tests.support import ORG_ID

pytestmark = pytest.mark.layer2

REPO = Path(__file__).resolve().parents[1]
COLLECTION = "/analytics/outputs/s3-role-based"
KEY = "state-file-key-0c4e"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export-local"


def call(base_url: str, method: str, path: str = COLLECTION, org: str | None = None, **kwargs):
    headers = {"X-Api-Key": KEY, **({"X-Tenant-Org-Id": org} if org else {})}
    return requests.request(method, base_url + path, headers=headers, timeout=5, **kwargs)


def create(base_url: str, org: str | None = None, **fields) -> dict:
    body = {"bucketName": "acme-analytics", "roleArn": ROLE, "type": "S3_ROLE_BASED", **fields}
    response = call(base_url, "POST", json=body, org=org)
    assert response.status_code == 201, response.text
    return response.json()["data"]["result"]


def get(base_url: str, output_id: str, org: str | None = None) -> requests.Response:
    return call(base_url, "GET", f"{COLLECTION}/{output_id}", org=org)


def temporary_files(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_outputs_and_global_external_ids_survive_a_restart(tmp_path):
    path = tmp_path / "emulator.json"
    with EmulatorServer(api_keys={KEY}, state_file=path) as first:
        global_output = create(first.base_url, org=ORG_ID, externalIdMode="GLOBAL", name="global")
        generated = create(first.base_url, externalIdMode="GENERATED", name="generated")
        doomed = create(first.base_url, externalIdMode="GENERATED", name="doomed")
        assert call(first.base_url, "DELETE", f"{COLLECTION}/{doomed['id']}").status_code == 200

    stored = json.loads(path.read_text())
    assert stored["version"] == FORMAT_VERSION
    assert {o["id"] for o in stored["outputs"][ORG_ID]} == {global_output["id"]}
    assert {o["id"] for o in stored["outputs"][DEFAULT_ORG_ID]} == {generated["id"]}
    assert temporary_files(tmp_path) == []

    with EmulatorServer(api_keys={KEY}, state_file=path) as second:
        assert second.port != 0
        again = get(second.base_url, global_output["id"], org=ORG_ID)
        assert again.status_code == 200
        assert again.json()["data"]["result"] == global_output
        assert get(second.base_url, generated["id"]).json()["data"]["result"] == generated
        assert get(second.base_url, doomed["id"]).status_code == 404
        # GLOBAL stays one ID per organization, also after the restart.
        sibling = create(second.base_url, org=ORG_ID, externalIdMode="GLOBAL", name="sibling")
        assert sibling["externalId"] == global_output["externalId"]
        assert len(second.outputs) == 3


def test_python_m_bitmovin_emulator_with_state_file_loses_nothing_on_restart(tmp_path):
    path = tmp_path / "state" / "emulator.json"  # the directory is created on first write

    def start() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bitmovin_emulator",
                "--port",
                "0",
                "--api-key",
                KEY,
                "--state-file",
                str(path),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = process.stdout.readline().rstrip("\n")
        assert re.match(r"^http://127\.0\.0\.1:\d+/v1$", line), line if line else process.stderr.read()
        return process, line

    def stop(process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
        assert process.returncode == 0, stderr

    process, base_url = start()
    try:
        created = create(base_url, externalIdMode="GENERATED")
    finally:
        stop(process)

    process, base_url = start()
    try:
        response = get(base_url, created["id"])
        assert response.status_code == 200
        assert response.json()["data"]["result"] == created
    finally:
        stop(process)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ('{"version": 99, "outputs": {}}', "format version 1"),
        ('{"version": 1, "outputs": {"org": [{"no": "id"}]}}', "no valid 'outputs'"),
        ('{"version": 1, "outputs": {}, "globalExternalIds": {"org": 7}}', "no valid 'globalExternalIds'"),
    ],
)
def test_an_unusable_state_file_stops_the_emulator_with_the_file_and_the_fix(tmp_path, content, problem):
    path = tmp_path / "emulator.json"
    path.write_text(content)
    with pytest.raises(StateFileError) as raised:
        EmulatorServer(state_file=path)
    message = str(raised.value)
    assert str(path) in message
    assert problem in message
    assert "delete it to start with no outputs" in message
    assert path.read_text() == content  # never overwritten


def test_cli_reports_an_unusable_state_file_in_one_line_and_exits_2(tmp_path):
    path = tmp_path / "emulator.json"
    path.write_text("{not json")
    completed = subprocess.run(
        [sys.executable, "-m", "bitmovin_emulator", "--port", "0", "--state-file", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(path) in lines[0]


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    state_file = StateFile(tmp_path / "emulator.json")
    state_file.save({"outputs": {}, "globalExternalIds": {"org": "before"}})
    before = state_file.path.read_text()

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        state_file.save({"outputs": {}, "globalExternalIds": {"org": "after"}})
    assert state_file.path.read_text() == before
    assert temporary_files(tmp_path) == []


def test_without_state_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with EmulatorServer(api_keys={KEY}) as server:
        create(server.base_url)
    assert list(tmp_path.iterdir()) == []
