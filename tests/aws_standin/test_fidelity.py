"""Layer 1: the stand-in's tokens and property names are pulumi-aws v7's, read from the installed SDK.

Each served resource's token is the one its ``pulumi_aws`` class registers, and every property the
stand-in declares (nested ones too) is a property of that class or of its input/output types; each
invoke token is the one the SDK's function calls. A renamed property in a new pulumi-aws fails here.
"""

from __future__ import annotations

import inspect
import re
import typing
from types import SimpleNamespace
from typing import Any

import pulumi_aws as aws
import pytest
from pulumi import _types

from dev.aws_standin.invokes import INVOKES
from dev.aws_standin.schema import RESOURCES, Prop

pytestmark = pytest.mark.layer1

SDK_CLASSES = {
    "aws:s3/bucket:Bucket": aws.s3.Bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": aws.s3.BucketPublicAccessBlock,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": aws.s3.BucketOwnershipControls,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        aws.s3.BucketServerSideEncryptionConfiguration
    ),
    "aws:s3/bucketVersioning:BucketVersioning": aws.s3.BucketVersioning,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": aws.s3.BucketLifecycleConfiguration,
    "aws:s3/bucketPolicy:BucketPolicy": aws.s3.BucketPolicy,
    "aws:iam/role:Role": aws.iam.Role,
    "aws:iam/rolePolicy:RolePolicy": aws.iam.RolePolicy,
}
SDK_FUNCTIONS = {
    "aws:index/getCallerIdentity:getCallerIdentity": (
        aws.get_caller_identity_output,
        aws.GetCallerIdentityResult,
    ),
    "aws:index/getPartition:getPartition": (aws.get_partition_output, aws.GetPartitionResult),
    "aws:index/getRegion:getRegion": (aws.get_region_output, aws.GetRegionResult),
}


def registered_token(cls: type) -> str:
    """The type token the SDK class passes to ``super().__init__`` (its first string argument)."""
    match = re.search(r"super\([^)]*\).__init__\(\s*'([^']+)'", inspect.getsource(cls))
    assert match, cls
    return match.group(1)


def _element(hint: Any) -> Any:
    """The class inside Optional[...] / Sequence[...] / Input[...] of a property's type hint."""
    hint = _types.unwrap_optional_type(hint)
    for arg in typing.get_args(hint) or ():
        found = _element(arg)
        if inspect.isclass(found) and (_types.is_input_type(found) or _types.is_output_type(found)):
            return found
    return hint


def assert_declared_in(props: dict[str, Prop], sdk_types: dict[str, Any], where: str) -> None:
    for name, prop in props.items():
        assert name in sdk_types, f"{where}.{name} is not a property of pulumi_aws's {where}"
        if prop.fields:
            nested = _element(sdk_types[name])
            assert inspect.isclass(nested), f"{where}.{name}: no nested type in the SDK"
            types = (
                _types.output_type_types(nested)
                if _types.is_output_type(nested)
                else _types.input_type_types(nested)
            )
            assert_declared_in(dict(prop.fields), types, f"{where}.{name}")


def test_every_resource_served_is_one_the_program_uses_with_the_sdks_token():
    assert set(RESOURCES) == set(SDK_CLASSES)
    for token, cls in SDK_CLASSES.items():
        assert registered_token(cls) == token


@pytest.mark.parametrize("token", sorted(SDK_CLASSES))
def test_property_names_are_the_sdks(token: str):
    assert_declared_in(dict(RESOURCES[token].props), _types.resource_types(SDK_CLASSES[token]), token)


class _FakeSts:
    def get_caller_identity(self) -> dict[str, str]:
        return {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/x", "UserId": "AIDA"}


def _result_names(result: type) -> set[str]:
    """The wire names of an invoke result class: its ``@pulumi.getter(name=...)`` or plain getters."""
    source = inspect.getsource(result)
    named = re.findall(r'@pulumi.getter\(name="(\w+)"\)', source)
    plain = re.findall(r"@pulumi.getter\n(?:    @[^\n]*\n)*    def (\w+)", source)
    return set(named) | set(plain)


@pytest.mark.parametrize("token", sorted(SDK_FUNCTIONS))
def test_invoke_tokens_and_result_names_are_the_sdks(token: str):
    function, result = SDK_FUNCTIONS[token]
    assert set(INVOKES) == set(SDK_FUNCTIONS)
    assert f"'{token}'" in inspect.getsource(function)  # the *_output functions the program calls
    fake = SimpleNamespace(sts=_FakeSts(), config=SimpleNamespace(region="us-east-1"), partition="aws")
    returned = INVOKES[token](fake, {})  # type: ignore[arg-type]
    assert set(returned) <= _result_names(result)
    assert "id" in returned


def test_a_property_name_the_sdk_does_not_have_fails_this_test():
    with pytest.raises(AssertionError, match="bucketName"):
        assert_declared_in({"bucketName": Prop("string")}, _types.resource_types(aws.s3.Bucket), "Bucket")
