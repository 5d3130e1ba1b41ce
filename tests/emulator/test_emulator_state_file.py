"""Layer 2: the emulator keeps its outputs in ``--state-file`` across a restart (the sandbox relies on it).

Start, create, stop, start again on the same file, read: in-process and through ``python -m
dev.bitmovin_emulator``. Writes are atomic: a failed write leaves the previous file and no temporary file.
Changes are transactional: a create or delete whose write fails answers 500 and is not served, neither
before nor after a restart.
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

from dev.bitmovin_emulator import DEFAULT_ORG_ID, EmulatorServer
from dev.bitmovin_emulator.state_file import FORMAT_VERSION, StateFile, StateFileError
from dev.support import REPO_ROOT
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer2

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
                "dev.bitmovin_emulator",
                "--port",
                "0",
                "--api-key",
                KEY,
                "--state-file",
                str(path),
            ],
            cwd=REPO_ROOT,
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
        [sys.executable, "-m", "dev.bitmovin_emulator", "--port", "0", "--state-file", str(path)],
        cwd=REPO_ROOT,
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


# -- a change is served only once it is on disk ------------------------------------------------------


def no_space(src: str, dst: str) -> None:
    """``os.replace`` on a full disk: every state-file write fails at its last step."""
    raise OSError(28, "No space left on device")


def assert_500_envelope(response: requests.Response) -> None:
    assert response.status_code == 500
    body = response.json()
    assert body["status"] == "ERROR"
    assert body["data"]["code"] == 1004


def assert_names_the_write(response: requests.Response, path: Path) -> None:
    message = response.json()["data"]["developerMessage"]
    assert str(path) in message
    assert "No space left on device" in message
    assert "nothing was changed" in message


def test_a_create_whose_write_fails_answers_500_and_is_not_served_nor_restored(tmp_path, monkeypatch):
    path = tmp_path / "emulator.json"
    with EmulatorServer(api_keys={KEY}, state_file=path) as server:
        kept = create(server.base_url, name="kept")
        on_disk = path.read_text()
        body = {"bucketName": "acme-analytics", "roleArn": ROLE, "name": "lost", "externalIdMode": "GLOBAL"}
        with monkeypatch.context() as disk:
            disk.setattr(os, "replace", no_space)
            failed = call(server.base_url, "POST", json=body)
        assert_500_envelope(failed)
        listed = call(server.base_url, "GET").json()["data"]["result"]
        assert [o["id"] for o in listed["items"]] == [kept["id"]]
        assert listed["totalCount"] == 1
        assert len(server.outputs) == 1
        assert server.outputs.snapshot()["globalExternalIds"] == {}  # GLOBAL's new ID was not kept either
        assert path.read_text() == on_disk
        assert temporary_files(tmp_path) == []
        assert_names_the_write(failed, path)

    with EmulatorServer(api_keys={KEY}, state_file=path) as again:
        listed = call(again.base_url, "GET").json()["data"]["result"]
        assert [o["id"] for o in listed["items"]] == [kept["id"]]


def test_a_delete_whose_write_fails_answers_500_and_the_output_stays_also_after_a_restart(
    tmp_path, monkeypatch
):
    path = tmp_path / "emulator.json"
    with EmulatorServer(api_keys={KEY}, state_file=path) as server:
        output = create(server.base_url)
        with monkeypatch.context() as disk:
            disk.setattr(os, "replace", no_space)
            failed = call(server.base_url, "DELETE", f"{COLLECTION}/{output['id']}")
        assert_500_envelope(failed)
        served = get(server.base_url, output["id"])
        assert served.status_code == 200
        assert served.json()["data"]["result"] == output
        assert [o["id"] for o in call(server.base_url, "GET").json()["data"]["result"]["items"]] == [
            output["id"]
        ]
        assert_names_the_write(failed, path)

    with EmulatorServer(api_keys={KEY}, state_file=path) as again:
        assert get(again.base_url, output["id"]).json()["data"]["result"] == output
        # With a working disk the same delete goes through and stays done.
        assert call(again.base_url, "DELETE", f"{COLLECTION}/{output['id']}").status_code == 200
        assert get(again.base_url, output["id"]).status_code == 404
    with EmulatorServer(api_keys={KEY}, state_file=path) as third:
        assert get(third.base_url, output["id"]).status_code == 404


def test_a_state_file_that_cannot_be_created_fails_every_change_and_serves_none(tmp_path):
    blocker = tmp_path / "state"
    path = blocker / "emulator.json"  # missing at start-up: the directory is made on the first write
    with EmulatorServer(api_keys={KEY}, state_file=path) as server:
        blocker.write_text("a regular file where the state directory should be\n")
        body = {"bucketName": "acme-analytics", "roleArn": ROLE}
        failed = call(server.base_url, "POST", json=body)
        assert_500_envelope(failed)
        assert call(server.base_url, "GET").json()["data"]["result"]["items"] == []
        assert len(server.outputs) == 0
        assert str(path) in failed.json()["data"]["developerMessage"]
    assert blocker.read_text().startswith("a regular file")


def test_the_store_changes_memory_only_after_the_write(tmp_path, monkeypatch):
    """Without HTTP: create, delete, GLOBAL ID and clear each leave the store as it was when saving fails."""
    from dev.bitmovin_emulator.store import OutputStore

    store = OutputStore(StateFile(tmp_path / "emulator.json"))
    output = store.create({"bucketName": "b", "roleArn": ROLE}, "org")
    before = store.snapshot()
    saved: list[dict] = []

    def failing_save(self, snapshot) -> None:
        saved.append(json.loads(json.dumps(snapshot)))
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(StateFile, "save", failing_save)
    for change in (
        lambda: store.create({"bucketName": "c", "roleArn": ROLE, "externalIdMode": "GLOBAL"}, "org"),
        lambda: store.delete(output["id"], "org"),
        lambda: store.global_external_id("other-org"),
        store.clear,
    ):
        with pytest.raises((OSError, StateFileError), match="Input/output error"):
            change()
        assert store.snapshot() == before
    assert len(saved) == 4  # each change was attempted on disk, with the new state
    assert len(saved[0]["outputs"]["org"]) == 2
    assert saved[1]["outputs"] == {}
    assert set(saved[2]["globalExternalIds"]) == {"other-org"}
    assert saved[3] == {"outputs": {}, "globalExternalIds": {}}
    assert store.delete("no-such-id", "org") is None  # nothing to change: nothing written
    assert len(saved) == 4
