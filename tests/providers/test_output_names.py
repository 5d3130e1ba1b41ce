"""Layer 1: the name sent to Bitmovin carries the creation token's tag; state keeps the user's name.

Outputs created by the previous release (untagged names) and by this one read back without drift
(issue 22, item 10: the tag makes a create's look-up one filtered list page).
"""

from __future__ import annotations

import pytest

from dev.support.testing import ROLE_ARN
from providers import output_model as model
from providers.validation import MAX_OUTPUT_NAME_LENGTH

pytestmark = pytest.mark.layer1

TOKEN = "0123456789abcdef0123456789abcdef"
LONG = "n" * MAX_OUTPUT_NAME_LENGTH


def inputs(**given):
    return model.with_defaults({"bucket_name": "acme-analytics", "role_arn": ROLE_ARN, **given})


def test_the_sent_name_is_the_users_name_and_a_tag_of_the_token():
    tag = model.name_tag(TOKEN)
    assert model.api_body(inputs(name="export"), TOKEN)["name"] == f"export {tag}"
    assert tag.startswith(model.NAME_TAG_PREFIX)
    assert len(tag) == len(model.NAME_TAG_PREFIX) + 12
    assert model.name_tag(TOKEN) == tag != model.name_tag(TOKEN[::-1])
    cut = model.api_name(LONG, TOKEN)
    assert len(cut) == MAX_OUTPUT_NAME_LENGTH
    assert cut.endswith(f" {tag}")


@pytest.mark.parametrize(
    "api_name",
    [
        "export",  # created by the previous release
        f"export {model.name_tag(TOKEN)}",
        f"export {model.name_tag('another token')}",  # tagged by an earlier token of the resource
    ],
    ids=["untagged", "tagged", "earlier-token"],
)
def test_reading_the_name_back_shows_no_drift(api_name):
    state = inputs(name="export")
    outputs = model.outputs_from(state, {"name": api_name, "bucketName": "acme-analytics"})
    assert outputs["name"] == "export"
    assert model.changed_inputs(outputs, state) == []


def test_a_cut_name_reads_back_as_the_users_name():
    state = inputs(name=LONG)
    outputs = model.outputs_from(state, {"name": model.api_name(LONG, TOKEN)})
    assert outputs["name"] == LONG


def test_a_users_name_that_itself_ends_like_a_tag_is_kept_from_an_untagged_output():
    name = f"export {model.name_tag('x')}"
    assert model.outputs_from(inputs(name=name), {"name": name})["name"] == name


def test_another_name_is_drift_shown_without_the_tag():
    state = inputs(name="export")
    outputs = model.outputs_from(state, {"name": f"renamed {model.name_tag(TOKEN)}"})
    assert outputs["name"] == "renamed"
    assert model.changed_inputs(outputs, state) == ["name"]
    assert model.adoption_mismatches(state, {"name": f"renamed {model.name_tag(TOKEN)}"})[-1] == (
        "name is 'renamed', not 'export'"
    )


def test_without_a_name_the_tag_alone_is_sent_and_never_becomes_state():
    state = inputs()
    assert model.api_body(state, TOKEN)["name"] == model.name_tag(TOKEN)
    assert "name" not in model.outputs_from(state, {"name": model.name_tag(TOKEN)})
