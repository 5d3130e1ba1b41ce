"""Layer 2: what a server chooses to answer reaches a terminal only as visible, bounded text, and a
reply body is read only up to ``MAX_REPLY_BYTES``.

The emulator's faults answer whatever body a test gives them: Bitmovin error envelopes carrying
terminal escape sequences, newlines and bidi controls, texts of 100,000 characters, and bodies
larger than the cap (declared, or compressed small and large only once decoded).
"""

from __future__ import annotations

import gzip
import json

import pytest

from bitmovin_api.client import MAX_REPLY_BYTES, BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.http_policy import HttpPolicy
from bitmovin_api.terminal_text import is_unsafe
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer2

KEY = "untrusted-replies-key-7c2d"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics"
FAST = HttpPolicy(connect_timeout=2, read_timeout=5, max_retries=0, retry_budget_seconds=3)
OUTPUT_ID = "cb90b80c-8867-4e3b-8479-174aa2843f62"


def client_for(emulator) -> BitmovinClient:
    return BitmovinClient(KEY, base_url=emulator.base_url, tenant_org_id=ORG_ID, http=FAST)


def envelope(message: str, developer_message: str, details: list[dict], request_id: str) -> dict:
    return {
        "requestId": request_id,
        "status": "ERROR",
        "data": {"code": 1000, "message": message, "developerMessage": developer_message, "details": details},
    }


def shown_texts(error: BitmovinApiError) -> list[str]:
    return [str(error), repr(error), *error.args]


def test_escape_sequences_and_newlines_from_the_server_never_reach_the_message(emulator):
    emulator.fail(
        "get",
        400,
        body=envelope(
            "bad \x1b[31mred\x1b[0m\n::error::forged line",
            "dev \u202etxt.exe\r\x07",
            [{"field": "na\x1b]0;owned\x07me", "text": "refused\x9b2J"}],
            "req-\x1b[2J",
        ),
    )
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output(OUTPUT_ID)
    error = caught.value
    for text in shown_texts(error):
        assert not [char for char in text if is_unsafe(char)], text
    message = str(error)
    assert "bad \\x1b[31mred\\x1b[0m\\n::error::forged line" in message  # visible, on one line
    assert "dev \\u202etxt.exe\\r\\x07" in message
    assert "[field na\\x1b]0;owned\\x07me: refused\\x9b2J]" in message
    assert "requestId req-\\x1b[2J" in message
    assert error.rejected_fields == ["na\\x1b]0;owned\\x07me"]


def test_long_texts_from_the_server_are_cut_when_shown(emulator):
    details = [{"field": f"f{index}", "text": "t" * 100} for index in range(2000)]
    emulator.fail("get", 400, body=envelope("m" * 100_000, "d" * 100_000, details, "r" * 10_000))
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output(OUTPUT_ID)
    message = str(caught.value)
    assert len(message) < 6000, len(message)
    assert "more characters not shown]" in message
    assert "[and 1990 more fields]" in message
    assert len(repr(caught.value)) < 2000


def test_a_key_quoted_in_a_long_gateway_text_is_masked_before_the_text_is_cut(emulator):
    """A cut through the quoted key, made before the key was masked, would leave a piece no mask finds."""
    emulator.fail("get", 502, body=f"upstream rejected {'x' * 160} X-Api-Key: {KEY} and more")
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output(OUTPUT_ID)
    for text in shown_texts(caught.value):
        assert KEY[:8] not in text, text
    assert "[secret]" in str(caught.value)


def test_a_reply_larger_than_the_cap_is_refused_unread(emulator):
    padding = "x" * (MAX_REPLY_BYTES + 1)
    emulator.fail("get", 200, body={"data": {"result": {"id": OUTPUT_ID, "name": padding}}})
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output(OUTPUT_ID)
    assert f"larger than {MAX_REPLY_BYTES // 2**20} MiB" in str(caught.value)
    assert "bitmovin:apiUrl" in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_a_compressed_reply_that_is_too_large_once_decoded_is_refused(emulator):
    document = {"data": {"result": {"id": OUTPUT_ID, "name": "x" * (MAX_REPLY_BYTES * 2)}}}
    bomb = gzip.compress(json.dumps(document).encode())
    assert len(bomb) < 100_000  # small on the wire
    emulator.fail(
        "get",
        200,
        body=bomb,
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
    )
    with pytest.raises(BitmovinApiError, match="larger than"):
        client_for(emulator).get_output(OUTPUT_ID)


def test_a_create_whose_reply_is_too_large_has_an_unknown_outcome(emulator):
    """The POST may have created the output: the reconciler must look for it, never post again."""
    emulator.fail(
        "create", 201, when="after", body={"data": {"result": {"pad": "x" * (MAX_REPLY_BYTES + 1)}}}
    )
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).create_output({"bucketName": "acme-analytics", "roleArn": ROLE})
    assert caught.value.outcome_unknown is True
    assert len(emulator.outputs.list(ORG_ID)) == 1  # it did happen


def test_a_reply_just_under_the_cap_is_read(emulator):
    name = "n" * (MAX_REPLY_BYTES - 200)
    emulator.fail("get", 200, body={"data": {"result": {"id": OUTPUT_ID, "name": name}}})
    assert client_for(emulator).get_output(OUTPUT_ID)["name"] == name
