"""The official Python SDK (bitmovin-api-sdk) as an independent client of the emulator.

If the SDK can create, read, list and delete outputs and decode our errors, the
emulator speaks the same protocol as the real API (as far as the SDK can tell).
"""

from datetime import datetime

import pytest
from bitmovin_api_sdk import (
    AclEntry,
    AclPermission,
    AnalyticsS3RoleBasedOutput,
    AnalyticsS3RoleBasedOutputListQueryParams,
    AwsCloudRegion,
    BitmovinApi,
    BitmovinError,
    ExternalIdMode,
    S3SignatureVersion,
)

from bitmovin_api.redaction import SECRET_MASK

pytestmark = pytest.mark.layer2

KEY = "sdk-key-7d2e"
ORG = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ROLE = "arn:aws:iam::123456789012:role/BitmovinAnalyticsExport"


@pytest.fixture
def outputs_api(emulator):
    """``bitmovin.analytics.outputs.s3_role_based`` acting in organization ORG."""
    api = BitmovinApi(api_key=KEY, tenant_org_id=ORG, base_url=emulator.base_url)
    return api.analytics.outputs.s3_role_based


def new_output(**overrides):
    fields = {
        "name": "exports",
        "description": "analytics exports",
        "bucket_name": "my-bucket",
        "role_arn": ROLE,
        "external_id_mode": ExternalIdMode.GLOBAL,
        "acl": [AclEntry(permission=AclPermission.PRIVATE)],
        "custom_data": {"team": "video"},
        "cloud_region": AwsCloudRegion.EU_WEST_1,
        "signature_version": S3SignatureVersion.V4,
        **overrides,
    }
    return AnalyticsS3RoleBasedOutput(**fields)


def test_sdk_create_get_list_delete_round_trip(emulator, outputs_api):
    created = outputs_api.create(new_output())
    assert isinstance(created, AnalyticsS3RoleBasedOutput)
    assert created.id
    assert created.bucket_name == "my-bucket"
    assert created.role_arn == ROLE
    assert created.external_id_mode == ExternalIdMode.GLOBAL
    assert created.external_id == emulator.outputs.global_external_id(ORG)
    assert created.cloud_region == AwsCloudRegion.EU_WEST_1
    assert created.signature_version == S3SignatureVersion.V4
    assert created.acl[0].permission == AclPermission.PRIVATE
    assert isinstance(created.created_at, datetime)
    assert created.created_at.tzinfo is not None

    fetched = outputs_api.get(created.id)
    assert fetched.id == created.id
    assert fetched.name == "exports"
    assert fetched.external_id == created.external_id

    page = outputs_api.list(AnalyticsS3RoleBasedOutputListQueryParams(offset=0, limit=10, name="exports"))
    assert page.total_count == 1
    assert page.limit == 10
    assert [item.id for item in page.items] == [created.id]
    assert isinstance(page.items[0], AnalyticsS3RoleBasedOutput)

    custom = outputs_api.customdata.get(created.id)
    assert custom.custom_data == {"team": "video"}
    assert custom.created_at == created.created_at

    deleted = outputs_api.delete(created.id)
    assert deleted.id == created.id
    assert emulator.outputs.list(ORG) == []


def test_sdk_requests_carry_org_and_a_redacted_key(emulator, outputs_api):
    created = outputs_api.create(new_output(external_id_mode=ExternalIdMode.GENERATED))
    assert emulator.outputs.find(created.id)[0] == ORG
    record = emulator.requests.filter("create")[0]
    assert record.headers["X-Tenant-Org-Id"] == ORG
    assert record.headers["X-Api-Key"] == SECRET_MASK
    assert record.headers["X-Api-Client"] == "bitmovin-api-sdk-python"
    assert record.body["type"] == "S3_ROLE_BASED"
    assert record.body["externalIdMode"] == "GENERATED"
    assert KEY not in repr(list(emulator.requests))


def test_sdk_lists_pages_without_parameters(emulator, outputs_api):
    for i in range(30):
        emulator.outputs.create({"bucketName": "b", "roleArn": ROLE, "name": f"n{i}"}, ORG)
    page = outputs_api.list()
    assert (page.total_count, page.offset, page.limit, len(page.items)) == (30, 0, 25, 25)
    assert page.next
    assert page.previous is None


def test_sdk_parses_responses_under_every_echo_variant(emulator, outputs_api):
    options = emulator.options
    options.echo_role_arn = options.echo_acl = options.echo_type = False
    options.echo_custom_data = True
    options.create_status = 200
    options.delete_body = "full"
    created = outputs_api.create(new_output())
    assert created.role_arn is None
    assert created.custom_data == {"team": "video"}
    assert not outputs_api.get(created.id).acl  # the SDK defaults a missing acl to []
    assert outputs_api.list().items[0].id == created.id
    assert outputs_api.delete(created.id).bucket_name == "my-bucket"


def test_sdk_validation_error(emulator, outputs_api):
    with pytest.raises(BitmovinError) as raised:
        outputs_api.create(AnalyticsS3RoleBasedOutput(bucket_name="my-bucket"))
    error = raised.value
    assert error.http_status_code == 400
    assert error.error_code == 1000
    assert error.short_message == "Required attribute/field not valid or not present"
    assert "roleArn" in error.developer_message
    assert [detail.field for detail in error.details] == ["roleArn"]
    assert len(emulator.outputs) == 0


def test_sdk_not_found_error(outputs_api):
    with pytest.raises(BitmovinError) as raised:
        outputs_api.get("cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert raised.value.http_status_code == 404
    assert raised.value.error_code == 1005
    assert raised.value.short_message == "Resource not found."


def test_sdk_other_org_cannot_see_the_output(emulator, outputs_api):
    created = outputs_api.create(new_output())
    other = BitmovinApi(
        api_key=KEY, tenant_org_id="0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a", base_url=emulator.base_url
    )
    with pytest.raises(BitmovinError) as raised:
        other.analytics.outputs.s3_role_based.get(created.id)
    assert raised.value.http_status_code == 404


def test_sdk_authentication_errors(emulator):
    emulator.options.api_keys = {"the-only-key"}
    api = BitmovinApi(api_key="wrong-key", base_url=emulator.base_url).analytics.outputs.s3_role_based
    with pytest.raises(BitmovinError) as raised:
        api.list()
    assert raised.value.http_status_code == 401
    assert raised.value.error_code == 1002
    emulator.options.unauthorized_body = "gateway"
    with pytest.raises(BitmovinError) as raised:
        api.list()
    assert raised.value.http_status_code == 401
    assert raised.value.error_code is None  # not an envelope: the SDK falls back to the reason phrase
    assert raised.value.short_message == "Unauthorized"


def test_sdk_forbidden_org(emulator, outputs_api):
    emulator.options.org_access = {KEY: {"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"}}
    with pytest.raises(BitmovinError) as raised:
        outputs_api.list()
    assert raised.value.http_status_code == 403
    assert "Access denied" in raised.value.short_message


def test_sdk_sees_injected_server_error(emulator, outputs_api):
    emulator.fail("create", 503, when="after")
    with pytest.raises(BitmovinError) as raised:
        outputs_api.create(new_output())
    assert raised.value.http_status_code == 503
    assert len(emulator.outputs.list(ORG)) == 1


# -- strict where the public documentation is silent (EmulatorOptions; each switchable) -----------


def sdk_error(call):
    with pytest.raises(BitmovinError) as raised:
        call()
    return raised.value


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("custom-without-external-id", "externalId"),
        ("global-with-external-id", "externalId"),
        ("generated-with-external-id", "externalId"),
        ("tenant-org-id-not-a-uuid", "X-Tenant-Org-Id"),
        ("limit-zero", "limit"),
    ],
)
def test_sdk_requests_the_api_would_plausibly_refuse_are_400_with_the_field(
    emulator, outputs_api, case, field
):
    calls = {
        "custom-without-external-id": lambda: outputs_api.create(
            new_output(external_id_mode=ExternalIdMode.CUSTOM)
        ),
        "global-with-external-id": lambda: outputs_api.create(new_output(external_id="mine")),
        "generated-with-external-id": lambda: outputs_api.create(
            new_output(external_id_mode=ExternalIdMode.GENERATED, external_id="mine")
        ),
        "tenant-org-id-not-a-uuid": lambda: BitmovinApi(
            api_key=KEY, tenant_org_id="org-sdk", base_url=emulator.base_url
        ).analytics.outputs.s3_role_based.create(new_output()),
        "limit-zero": lambda: outputs_api.list(AnalyticsS3RoleBasedOutputListQueryParams(limit=0)),
    }
    error = sdk_error(calls[case])
    assert error.http_status_code == 400
    assert [detail.field for detail in error.details] == [field]
    assert error.error_code in (1000, 1001)
    assert len(emulator.outputs) == 0
    assert emulator.outputs.all() == {}  # no organization was created either


def test_sdk_lenient_variants_when_switched(emulator, outputs_api):
    options = emulator.options
    options.require_custom_external_id = False
    options.external_id_in_generated_modes = "replace"
    options.validate_tenant_org_id = False
    options.reject_zero_limit = False
    custom = outputs_api.create(new_output(external_id_mode=ExternalIdMode.CUSTOM))
    assert custom.external_id is None
    replaced = outputs_api.create(new_output(external_id="mine"))
    assert replaced.external_id == emulator.outputs.global_external_id(ORG)
    other = BitmovinApi(api_key=KEY, tenant_org_id="org-sdk", base_url=emulator.base_url)
    assert other.analytics.outputs.s3_role_based.create(new_output()).id
    assert "org-sdk" in emulator.outputs.all()
    page = outputs_api.list(AnalyticsS3RoleBasedOutputListQueryParams(limit=0))
    assert (page.total_count, page.items) == (2, [])
