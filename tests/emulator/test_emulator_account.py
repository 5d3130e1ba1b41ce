"""The emulator's ``GET /account/information``: the account each key belongs to.

The providers record it (without ``X-Tenant-Org-Id``) to tell the organization that holds an output;
the official SDK's ``InformationApi`` decodes the reply, so its shape is the API's as far as the SDK
can tell.
"""

import pytest
import requests
from bitmovin_api_sdk import BitmovinApi

from dev.bitmovin_emulator import DEFAULT_ORG_ID, EmulatorOptions

pytestmark = pytest.mark.layer2

KEY_A = "account-key-a-51c0"
KEY_A2 = "account-key-a2-7e19"
KEY_B = "account-key-b-0d44"
ORG_A = "5b0f4c2e-8a61-4d7e-9c3b-0a1e2f3d4c5b"
ORG_B = "9e8d7c6b-5a49-4382-b716-0f1e2d3c4b5a"


def information(emulator, key: str) -> requests.Response:
    return requests.get(f"{emulator.base_url}/account/information", headers={"X-Api-Key": key}, timeout=5)


def test_keys_of_one_home_organization_share_an_account_and_others_do_not(emulator):
    emulator.options.home_orgs = {KEY_A: ORG_A, KEY_A2: ORG_A, KEY_B: ORG_B}
    ids = {key: information(emulator, key).json()["data"]["result"]["id"] for key in (KEY_A, KEY_A2, KEY_B)}
    assert ids[KEY_A] == ids[KEY_A2] == emulator.options.account_id(KEY_A)
    assert ids[KEY_B] == emulator.options.account_id(KEY_B) != ids[KEY_A]
    # The same key's account is stable across emulators and restarts (derived, not random).
    assert EmulatorOptions(home_orgs={KEY_B: ORG_B}).account_id(KEY_B) == ids[KEY_B]
    assert EmulatorOptions().account_id("unlisted") == EmulatorOptions().account_id("other-unlisted")
    assert emulator.requests[0].route == "account_information"


def test_listed_accounts_override_the_home_organization(emulator):
    emulator.options.accounts = {KEY_A: "3c5e7a90-listed-account"}
    assert information(emulator, KEY_A).json()["data"]["result"]["id"] == "3c5e7a90-listed-account"
    assert emulator.options.home_orgs.get(KEY_A, DEFAULT_ORG_ID) == DEFAULT_ORG_ID


def test_the_reply_lists_the_key_with_its_value_as_the_sdk_documents_and_the_log_hides_it(emulator):
    payload = information(emulator, KEY_A).json()
    assert payload["status"] == "SUCCESS"
    assert [entry["value"] for entry in payload["data"]["result"]["apiKeys"]] == [KEY_A]
    assert KEY_A not in repr(list(emulator.requests))


def test_unknown_keys_and_other_methods_are_refused(emulator):
    emulator.options.api_keys = {KEY_A}
    assert information(emulator, KEY_B).status_code == 401
    refused = requests.post(
        f"{emulator.base_url}/account/information", headers={"X-Api-Key": KEY_A}, timeout=5
    )
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "GET"


def test_the_official_sdk_reads_the_account(emulator):
    emulator.options.home_orgs = {KEY_B: ORG_B}
    account = BitmovinApi(api_key=KEY_B, base_url=emulator.base_url).account.information.get()
    assert account.id == emulator.options.account_id(KEY_B)
    assert account.api_keys[0].value == KEY_B
