"""Layer 4: the program, run as ``pulumi up`` runs it (dev/support/program_harness.py), never shows a
secret config value and never lets the API key be stored in plain text.

- A secret set under a misspelled key (``externalID``) is reported with a fix that keeps it a
  secret and moves it without printing it; no text of the failed run contains the value.
- A secret under a known key with a bad value is masked, suggestions derived from it included.
- ``bitmovin:apiKey`` set without ``--secret`` stops the run before any resource: Pulumi would write
  it in plain text into the state, as part of the dynamic provider's config.
"""

from __future__ import annotations

import pytest

from dev.support.program_harness import run_program

pytestmark = pytest.mark.layer4

MARKER = "SECRET-MARKER-c0ffee-4711"
API_KEY = "bmv-PLAIN-API-KEY-MARKER-3b9f"
BASE = {"aws:region": "eu-central-1", "bitmovin:apiKey": API_KEY}
SECRET_API_KEY = ("bitmovin:apiKey",)


def texts_of(run) -> str:
    return "\n".join((run.error or "", run.stdout, run.stderr))


def test_misspelled_secret_key_is_reported_without_its_value_and_stays_secret():
    run = run_program(
        {**BASE, "externalIdMode": "CUSTOM", "externalID": MARKER},
        secret_keys=(*SECRET_API_KEY, "externalID"),
    )
    assert run.error_type == "RunError"
    assert run.resources == []
    assert "  - externalID: is not a setting of this project; did you mean externalId?" in run.error
    assert (
        "Fix: `pulumi config get externalID | pulumi config set --secret externalId && "
        "pulumi config rm externalID`" in run.error
    )
    assert MARKER not in texts_of(run)
    assert API_KEY not in texts_of(run)


def test_misspelled_plain_key_still_gets_its_value_in_the_fix():
    run = run_program({**BASE, "exportPrefx": "analytics/"}, secret_keys=SECRET_API_KEY)
    assert "Fix: `pulumi config rm exportPrefx && pulumi config set exportPrefix analytics/`" in run.error


@pytest.mark.parametrize(
    ("key", "value", "fix"),
    [
        # the CLI asks for the value (standard input): a secret is never an argument
        ("exportPrefix", f"/{MARKER}/", "Fix: `pulumi config set --secret exportPrefix`"),
        ("bucketName", f"Bucket_{MARKER}", "Fix: `pulumi config set --secret bucketName`"),
        ("retentionDays", MARKER, "Fix: `pulumi config set --secret retentionDays`"),
        ("externalId", f"{MARKER} with spaces", " | pulumi config set --secret externalId`"),
    ],
)
def test_bad_value_of_a_secret_key_is_masked_with_a_secret_fix(key, value, fix):
    extra = {"externalIdMode": "CUSTOM"} if key == "externalId" else {}
    run = run_program({**BASE, **extra, key: value}, secret_keys=(*SECRET_API_KEY, key))
    assert run.error_type == "RunError"
    assert run.resources == []
    assert f"  - {key}: " in run.error
    assert fix in run.error
    text = texts_of(run)
    assert MARKER not in text
    assert MARKER.lower() not in text.lower()  # nor a suggestion derived from it
    assert API_KEY not in text


def test_api_key_without_secret_stops_before_any_resource_without_showing_it():
    run = run_program({**BASE, "exportPrefix": "analytics/"})  # bitmovin:apiKey not a secret
    assert run.error_type == "RunError"
    assert run.resources == []
    assert run.calls == []
    assert "  - bitmovin:apiKey: is set without --secret, so it is stored in plain text" in run.error
    assert (
        "Fix: `pulumi config get bitmovin:apiKey | pulumi config set --secret bitmovin:apiKey`" in run.error
    )
    assert API_KEY not in texts_of(run)
    assert "bitmovin:apiKey" not in run.config_reads  # its secrecy is checked, its value never read


def test_api_key_problem_is_listed_with_the_other_problems():
    run = run_program({**BASE, "exportPrefix": "/analytics"})
    assert run.error.startswith("Invalid stack configuration (2 problems):")
    assert "  - bitmovin:apiKey: " in run.error
    assert "  - exportPrefix: " in run.error


@pytest.mark.parametrize("config", [{**BASE}, {"aws:region": "eu-central-1"}], ids=["secret-key", "env-key"])
def test_a_secret_or_absent_api_key_deploys(config):
    run = run_program(config, secret_keys=SECRET_API_KEY if "bitmovin:apiKey" in config else ())
    assert run.ok, run.error
    assert API_KEY not in run.everything_json()
