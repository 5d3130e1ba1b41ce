"""Layer 1: every value rule of providers/validation.py against an independent model of the AWS rule.

Each model below is written from the AWS documentation cited in docs/hardening.md, with plain string
operations and explicit ASCII character sets, never with the project's regular expressions. Hypothesis
then generates near-misses (valid characters mixed with non-ASCII letters and digits, control
characters, wildcards, reserved prefixes and suffixes, lengths around each limit) and every
disagreement between rule and model is a gap. Runs are deterministic (``derandomize=True``, no example
database) and bounded by ``max_examples``; ``python -m pytest tests/analytics_export/test_rules_properties.py
--hypothesis-show-statistics`` prints how many cases each property generated.
"""

from __future__ import annotations

import shlex
import string
import uuid

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from analytics_export.policies import write_policy
from analytics_export.settings import ConfigError, settings_from_config
from dev.support import iam_model
from dev.support.bad_inputs import BASE_STACK_CONFIG, CASES
from dev.support.testing import EXTERNAL_ID, ORG_ID
from providers import validation as rules

pytestmark = pytest.mark.layer1

PROPERTY = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

LOWER, UPPER, DIGITS = string.ascii_lowercase, string.ascii_uppercase, string.digits
ALNUM = LOWER + UPPER + DIGITS
HEX = "0123456789abcdef"
# Characters every rule must refuse or handle: non-ASCII letters and digits that Python's \w and \d
# match, a trailing-newline candidate, whitespace, IAM wildcards and policy-variable characters.
# e-acute, sharp s, dotted I, Kelvin sign, Omega, Arabic-Indic 1 and 3, fullwidth 1 and A, superscript 2
NOISE = '\u00e9\u00df\u0130\u212a\u03a9\u0661\u0663\uff11\uff21\u00b2\n\r\t \x00*?${}\\"#%&'

# -- independent models, from the AWS documentation -------------------------------------------------

IAM_NAME_CHARS = set(ALNUM + "_+=,.@-")  # "alphanumeric characters ... _+=,.@-" (IAM API reference)
PARTITION_OF_PREFIX = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))


def model_region_partition(region: str) -> str | None:
    for start, partition in PARTITION_OF_PREFIX:
        if region.startswith(start):
            return partition
    return None if "-iso" in region else "aws"


def model_region(value: str) -> bool:
    """Region codes: two letters, one or more lowercase words, a number (e.g. us-gov-west-1)."""
    parts = value.split("-")
    if len(parts) < 3:
        return False
    first, middle, last = parts[0], parts[1:-1], parts[-1]
    return (
        len(first) == 2
        and all(c in LOWER for c in first)
        and all(word and all(c in LOWER for c in word) for word in middle)
        and 1 <= len(last) <= 2
        and all(c in DIGITS for c in last)
        and model_region_partition(value) is not None
    )


def model_bucket_name(name: str, *, new: bool = False) -> bool:
    """S3 general purpose bucket naming rules, item by item; plus this project's DNS-label rule
    (no '.-' or '-.', so every label is a valid RFC 1123 host label)."""
    if not 3 <= len(name) <= 63:
        return False
    if any(c not in LOWER + DIGITS + ".-" for c in name):
        return False
    if name[0] not in LOWER + DIGITS or name[-1] not in LOWER + DIGITS:
        return False
    if ".." in name:
        return False
    labels = name.split(".")
    if len(labels) == 4 and all(1 <= len(label) <= 3 and all(c in DIGITS for c in label) for label in labels):
        return False
    if any(name.startswith(p) for p in ("xn--", "sthree-", "sthree-configurator", "amzn-s3-demo-")):
        return False
    if any(name.endswith(s) for s in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")):
        return False
    if new and name.endswith("-an"):
        return False
    return ".-" not in name and "-." not in name


def model_role_name(name: str) -> bool:
    return 1 <= len(name) <= 64 and all(c in IAM_NAME_CHARS for c in name)


def model_external_id(value: str) -> bool:
    """sts:AssumeRole ExternalId: 2-1224 characters of [\\w+=,.@:/-], \\w being ASCII."""
    return 2 <= len(value) <= 1224 and all(c in IAM_NAME_CHARS | {":", "/"} for c in value)


def _iam_arn(value: str, service: str) -> tuple[str, str, str, str] | None:
    """(partition, region, account, resource) of ``arn:partition:service:region:account:resource``."""
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != service:
        return None
    return parts[1], parts[3], parts[4], parts[5]


def _account(value: str) -> bool:
    return len(value) == 12 and all(c in DIGITS for c in value)


def _path_and_name(rest: str, path_chars: set[str]) -> bool:
    """IAM path ("/" or "/" + printable ASCII + "/", at most 512) followed by a 1-64 character name."""
    name = rest.rsplit("/", 1)[-1]
    path = "/" + rest[: len(rest) - len(name)]
    return (
        model_role_name(name)
        and len(path) <= 512
        and (path == "/" or (len(path) >= 3 and all(c in path_chars for c in path)))
    )


PRINTABLE_ASCII = {chr(code) for code in range(0x21, 0x7F)}


def model_role_arn(value: str) -> bool:
    arn = _iam_arn(value, "iam")
    if arn is None:
        return False
    partition, region, account, resource = arn
    return (
        partition in ("aws", "aws-cn", "aws-us-gov")
        and region == ""
        and _account(account)
        and resource.startswith("role/")
        and _path_and_name(resource[len("role/") :], PRINTABLE_ASCII)
    )


def model_principal_arn(value: str) -> bool:
    """A user or role ARN; the project allows only IAM name characters in its path (no wildcards)."""
    arn = _iam_arn(value, "iam")
    if arn is None:
        return False
    partition, region, account, resource = arn
    kind, _, rest = resource.partition("/")
    return (
        partition in ("aws", "aws-cn", "aws-us-gov")
        and region == ""
        and _account(account)
        and kind in ("user", "role")
        and _path_and_name(rest, IAM_NAME_CHARS | {"/"})
    )


def model_canonical_uuid(value: str) -> bool:
    return (
        len(value) == 36
        and all(value[i] == "-" for i in (8, 13, 18, 23))
        and all(c in HEX for i, c in enumerate(value) if i not in (8, 13, 18, 23))
    )


def model_kms_key_arn(value: str) -> bool:
    arn = _iam_arn(value, "kms")
    if arn is None:
        return False
    partition, region, account, resource = arn
    key_id = resource.removeprefix("key/")
    is_mrk = key_id.startswith("mrk-") and len(key_id) == 36 and all(c in HEX for c in key_id[4:])
    return (
        resource.startswith("key/")
        and model_region(region)
        and model_region_partition(region) == partition
        and _account(account)
        and (model_canonical_uuid(key_id) or is_mrk)
    )


S3_SAFE_CHARS = set(ALNUM + "!-_.*'()")  # "Safe characters" for object keys (S3 user guide)


def model_export_prefix(value: str) -> bool:
    """Literal folder: S3 safe characters except the IAM wildcard '*', '/'-separated non-empty
    segments that are not '.' or '..', a trailing '/', at most 512 characters."""
    if value == "":
        return True
    if len(value) > 512 or not value.endswith("/"):
        return False
    segments = value[:-1].split("/")
    return all(
        segment not in ("", ".", "..") and all(c in S3_SAFE_CHARS - {"*"} for c in segment)
        for segment in segments
    )


def model_md5_tag(value: str) -> bool:
    return 1 <= len(value) <= 128 and all(c in ALNUM + "-_" for c in value)


# -- strategies -----------------------------------------------------------------------------------
# Mostly well-formed values (so both verdicts are common), then single-character mutations, then
# anything at all.


def _insert(value: str, position: int, char: str) -> str:
    position %= len(value) + 1
    return value[:position] + char + value[position:]


def _replace(value: str, position: int, char: str) -> str:
    if not value:
        return char
    position %= len(value)
    return value[:position] + char + value[position + 1 :]


def mutated(base: st.SearchStrategy[str], extra: str = "") -> st.SearchStrategy[str]:
    """``base`` as is, or with one character inserted or replaced (noise or ``extra``), or with a
    trailing newline or space (YAML block scalars end with one), or arbitrary text."""
    chars = st.sampled_from(list(NOISE + extra))
    return st.one_of(
        base,
        base,
        base,
        st.builds(_insert, base, st.integers(0, 2000), chars),
        st.builds(_replace, base, st.integers(0, 2000), chars),
        st.builds(lambda value, tail: value + tail, base, st.sampled_from(["\n", " ", "\r\n", "\t"])),
        st.text(max_size=40),
    )


def words(alphabet: str, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


REGIONS = mutated(
    st.one_of(
        st.sampled_from(["eu-central-1", "us-east-1", "us-gov-west-1", "cn-north-1", "us-iso-east-1"]),
        st.builds(
            lambda first, middle, number: "-".join([first, *middle, number]),
            words(LOWER, 1, 3),
            st.lists(words(LOWER, 1, 9), min_size=0, max_size=3),
            words(DIGITS, 1, 3),
        ),
    ),
    extra="-0A",
)
BUCKETS = mutated(
    st.one_of(
        st.builds(
            lambda start, labels, separators, end: (
                start
                + "".join(label + sep for label, sep in zip(labels, separators, strict=False))
                + labels[-1]
                + end
            ),
            st.sampled_from(["", "", "", "xn--", "sthree-", "sthree-configurator-", "amzn-s3-demo-"]),
            st.lists(words(LOWER + DIGITS, 1, 14), min_size=1, max_size=6),
            st.lists(st.sampled_from([".", "-", "-", ".", "--", "..", ".-", "-."]), min_size=6, max_size=6),
            st.sampled_from(
                ["", "", "", "-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3", "-an", "-", "."]
            ),
        ),
        st.builds("{}.{}.{}.{}".format, *[st.integers(0, 1000)] * 4),
        st.builds(lambda n: "b" * n, st.integers(1, 66)),
    ),
    extra=".-A_",
)
IAM_NAMES = mutated(
    st.one_of(words(ALNUM + "_+=,.@-", 1, 20), st.builds(lambda n: "r" * n, st.integers(60, 68))),
    extra="/:;",
)
PATHS = st.one_of(
    st.just("/"),
    st.just("/"),
    st.builds(
        lambda segments: "/" + "/".join(segments) + "/",
        st.lists(words(ALNUM + "_+=,.@-", 1, 10), min_size=1, max_size=3),
    ),
    st.builds(lambda inner: f"/{inner}/", words(ALNUM + "*?$!~:/", 1, 10)),
    st.builds(lambda n: "/" + "p" * n + "/", st.integers(505, 515)),
)
PARTITIONS = st.sampled_from(["aws", "aws", "aws", "aws", "aws-cn", "aws-us-gov", "aws-iso", "AWS", ""])
ACCOUNTS = st.one_of(st.just("123456789012"), st.just("123456789012"), words(DIGITS + "x", 10, 13))


def iam_arns(kind: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return mutated(
        st.builds(
            lambda partition, account, kind, path, name: f"arn:{partition}:iam::{account}:{kind}{path}{name}",
            PARTITIONS,
            ACCOUNTS,
            kind,
            PATHS,
            st.one_of(words(ALNUM + "_+=,.@-", 1, 20), st.builds(lambda n: "n" * n, st.integers(62, 66))),
        ),
        extra=":/*",
    )


KEY_IDS = st.one_of(
    st.uuids().map(str),
    st.uuids().map(str),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.builds(lambda h: "mrk-" + h, words(HEX, 31, 33)),
)
LOCATIONS = st.one_of(
    st.sampled_from([("aws", "eu-central-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")]),
    st.tuples(PARTITIONS, st.sampled_from(["eu-central-1", "cn-north-1", "us-iso-east-1", "eu-central"])),
)
KMS_ARNS = mutated(
    st.builds(
        lambda location, account, key_id: f"arn:{location[0]}:kms:{location[1]}:{account}:key/{key_id}",
        LOCATIONS,
        ACCOUNTS,
        KEY_IDS,
    ),
    extra=":/",
)
UUID_SPELLINGS = mutated(
    st.one_of(
        st.uuids().map(str),
        st.uuids().map(str),
        st.uuids().map(lambda u: str(u).upper()),
        st.uuids().map(lambda u: "{" + str(u) + "}"),
        st.uuids().map(lambda u: u.urn),
        st.uuids().map(lambda u: u.hex),
    ),
    extra="-_{}G",
)
PREFIX_SEGMENTS = st.one_of(
    words(ALNUM + "!-_.'()", 1, 12),
    words(ALNUM + "!-_.'()", 1, 12),
    st.sampled_from([".", "..", "", "v1.0", "a*", "?", "${aws:username}", "(x)!'_-"]),
)
PREFIXES = mutated(
    st.one_of(
        st.just(""),
        st.builds(
            lambda segments, slash: "/".join(segments) + slash,
            st.lists(PREFIX_SEGMENTS, min_size=1, max_size=5),
            st.sampled_from(["/", "/", "/", ""]),
        ),
        st.builds(lambda n: "p" * n + "/", st.integers(505, 515)),
    ),
    extra="/.*?$",
)
VALID_PREFIXES = st.builds(
    lambda segments: "/".join(segments) + "/",
    st.lists(words(ALNUM + "!-_.'()", 1, 10).filter(lambda s: s not in (".", "..")), min_size=1, max_size=4),
)


def agree(rule_accepts: bool, model_accepts: bool, value: object) -> None:
    event("accepted" if model_accepts else "refused")
    assert rule_accepts == model_accepts, f"rule {'accepts' if rule_accepts else 'refuses'} {value!r}"


# -- properties -------------------------------------------------------------------------------------


@PROPERTY
@given(REGIONS)
@example("eu-central-1\n")
@example("eu-central-\u0661")
def test_region_rule(value):
    agree(rules.region_problem(value) is None, model_region(value), value)


@PROPERTY
@given(BUCKETS)
@example("acme-exports\n")
@example("sthree-configurator")
@example("acme--table-s3")
@example("acme-an")
def test_bucket_name_rules(value):
    agree(rules.bucket_name_problem(value) is None, model_bucket_name(value), value)
    agree(rules.new_bucket_name_problem(value) is None, model_bucket_name(value, new=True), value)


@PROPERTY
@given(IAM_NAMES)
@example("bitmovin-writer\n")
@example("rôle")
def test_role_name_rule(value):
    agree(rules.role_name_problem(value) is None, model_role_name(value), value)


@PROPERTY
@given(
    mutated(
        st.one_of(words(ALNUM + "_+=,.@:/-", 1, 40), st.integers(1220, 1230).map("x".__mul__)), extra="#;"
    )
)
@example(EXTERNAL_ID + "\n")
@example("ÄÖÜ-external")
def test_external_id_rule(value):
    agree(rules.external_id_problem(value) is None, model_external_id(value), value)


@PROPERTY
@given(iam_arns(st.sampled_from(["role", "role", "user", "Role"])))
@example("arn:aws:iam::123456789012:role/r\n")
@example("arn:aws:iam::123456789012:role/a*b/r")
def test_role_arn_rule(value):
    agree(rules.role_arn_problem(value) is None, model_role_arn(value), value)


@PROPERTY
@given(iam_arns(st.sampled_from(["user", "role", "group", "root"])))
@example("arn:aws:iam::630681592166:user/bitmovinCustomerS3Access")
@example("arn:aws:iam::630681592166:user/*/x")
def test_principal_arn_rule(value):
    agree(rules.principal_arn_problem(value) is None, model_principal_arn(value), value)


@PROPERTY
@given(KMS_ARNS)
@example("arn:aws-cn:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
@example("arn:aws:kms:eu-central-1:123456789012:key/1234ABCD-12ab-34cd-56ef-1234567890ab")
def test_kms_key_arn_rule(value):
    agree(rules.kms_key_arn_problem(value) is None, model_kms_key_arn(value), value)


@PROPERTY
@given(UUID_SPELLINGS)
@example(ORG_ID + "\n")
@example("3fa85f64-5717-4562-b3fc-2c963f66af_a")
def test_uuid_rules_require_the_canonical_form(value):
    accepted = model_canonical_uuid(value)
    agree(rules.tenant_org_id_problem(value) is None, accepted, value)
    agree(rules.output_id_problem(value) is None, accepted, value)
    problem = rules.tenant_org_id_problem(value)
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:
        return
    if problem is not None:
        assert canonical in problem  # the message shows the form to use


@PROPERTY
@given(PREFIXES)
@example("analytics/\n")
@example("a/./b/")
@example("a*/")
def test_export_prefix_rule(value):
    agree(rules.export_prefix_problem(value) is None, model_export_prefix(value), value)


@PROPERTY
@given(
    st.one_of(
        st.integers(-5, 5),
        st.integers(36_500 - 3, 36_500 + 3),
        st.integers(2**31 - 3, 2**31 + 3),
        st.integers(),
        st.booleans(),
        st.floats(allow_nan=False),
        st.text(max_size=5),
    )
)
def test_retention_days_rule(value):
    # S3 takes 1 to 2**31 - 1; this project stops at 100 years (docs/stack-config.md).
    model = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 36_500
    agree(rules.retention_days_problem(value) is None, model, value)


# C0 and C1 controls, DEL, the Unicode line and paragraph separators, the bidirectional formatting
# characters and the Arabic letter mark (Unicode TR #9, "Explicit Directional Formatting Characters").
CONTROL_CHARACTERS = frozenset(
    [chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))]
    + ["\u2028", "\u2029", "\u061c", "\u200e", "\u200f"]
    + [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
)


@PROPERTY
@given(
    st.one_of(
        st.text(max_size=12),
        st.text(
            alphabet=st.sampled_from([*sorted(CONTROL_CHARACTERS), "a", " ", "\u00e9", "\u200b"]), max_size=6
        ),
        st.integers(253, 258).map("n".__mul__),
    )
)
@example("acme prod\n")
@example("\x1b[31m")
def test_free_text_rule(value):
    model = len(value) <= 255 and not any(char in CONTROL_CHARACTERS for char in value)
    agree(rules.text_problem(value, 255) is None, model, value)


@PROPERTY
@given(mutated(st.one_of(words(ALNUM + "-_", 1, 40), st.integers(126, 130).map("m".__mul__)), extra="."))
def test_md5_meta_tag_rule(value):
    agree(rules.md5_meta_tag_problem(value) is None, model_md5_tag(value), value)


# -- the prefix in the policy covers exactly the keys the lifecycle rule covers -------------------------


@settings(PROPERTY, max_examples=150)
@given(VALID_PREFIXES, st.data())
def test_policy_covers_exactly_the_literal_prefix(prefix, data):
    """Item 1 as a property: S3 lifecycle filters match keys that start with the prefix, literally;
    the role's PutObject must be allowed for exactly those keys (judged by dev/support/iam_model.py)."""
    document = write_policy("aws", "acme-analytics", prefix)
    mutated = data.draw(
        st.one_of(
            st.builds(lambda tail: prefix + tail, st.text(alphabet=ALNUM + "/.-*?", max_size=8)),
            st.builds(
                lambda i, c, tail: prefix[:i] + c + prefix[i + 1 :] + tail,
                st.integers(0, len(prefix) - 1),
                st.sampled_from(list("aZ0.-_/*?x(")),
                st.text(alphabet=ALNUM + "/", max_size=4),
            ),
            st.builds(
                lambda n, tail: prefix[:n] + tail,
                st.integers(0, len(prefix)),
                st.text(alphabet=ALNUM + "/-", max_size=6),
            ),
        ),
        label="key",
    )
    key = mutated or "x"
    expected = key.startswith(prefix)
    event("inside" if expected else "outside")
    assert iam_model.put_object_allowed(document, f"arn:aws:s3:::acme-analytics/{key}", {}) is expected, key


# -- every suggested fix passes the rule it is suggested for ------------------------------------------
# A problem's fix is a shell command (`pulumi config rm K`, `pulumi config set [--secret] K V`, joined
# by `&&`). Applied to the config, a suggested value (not a `<placeholder>` nor a `$(command)`) must
# leave its key without any problem: a suggestion that is itself invalid is a gap.

PROJECT = "bitmovin-analytics-export"
MAX_FIX_LENGTH = 200  # a fix is a command to read and paste, not a 255-character value
CONFIG_VALUES: dict[str, st.SearchStrategy] = {
    "bucketName": BUCKETS,
    "existingBucketName": BUCKETS,
    "roleName": IAM_NAMES,
    "exportPrefix": PREFIXES,
    "outputName": st.one_of(st.text(max_size=20), st.integers(250, 400).map("n".__mul__)),
    "bitmovin:tenantOrgId": st.one_of(UUID_SPELLINGS, st.just("3fa85f64-5717-4562-b3fc-2c963f66afa6")),
    "existingOutputId": UUID_SPELLINGS,
    "aws:region": REGIONS,
    "kmsKeyArn": KMS_ARNS,
    "retentionDays": st.one_of(st.integers(-(2**40), 2**40).map(str), st.text(max_size=8)),
    "bitmovinPrincipalArn": iam_arns(st.sampled_from(["user", "role", "group"])),
    "objectOwnership": st.sampled_from(["ObjectWriter", "bucketownerenforced", "x"]),
    # keys nothing reads: misspelt bitmovin keys and provider keys in the project namespace
    "bitmovin:tenantOrgID": st.one_of(UUID_SPELLINGS, st.text(max_size=12)),
    "bitmovin:tenant_org_id": UUID_SPELLINGS,
    "bitmovin:apiURL": st.sampled_from(["https://api.bitmovin.com/v1", "http://api.bitmovin.com/v1", "x\n"]),
    "bitmovin:readTimeoutSecond": st.one_of(st.integers(-5, 900).map(str), st.text(max_size=6)),
    "bitmovin:apikey": st.text(min_size=1, max_size=20),
    "tenantOrgId": UUID_SPELLINGS,
    "region": REGIONS,
}
BAD_CONFIGS = st.lists(st.sampled_from(sorted(CONFIG_VALUES)), min_size=1, max_size=3, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({key: CONFIG_VALUES[key] for key in keys})
)


def _apply_fix(config: dict, fix: str) -> tuple[dict, list[str]]:
    """``config`` after ``fix`` and the keys it sets to a suggested value."""
    changed, suggested = dict(config), []
    for command in fix.split(" && "):
        _source, pipe, command = command.rpartition(" | ")
        words = shlex.split(command)
        assert words[:2] == ["pulumi", "config"], fix
        if words[2] == "rm":
            changed.pop(words[3], None)
            changed.pop(f"{PROJECT}:{words[3]}", None)
            continue
        assert words[2] == "set", fix
        if pipe or (words[3:4] == ["--secret"] and len(words) == 5):
            continue  # moved, generated or asked for (standard input): no value is suggested
        assert len(words) == 5, fix
        key, value = words[-2], words[-1]
        if "<" in value or value.startswith("$("):
            continue  # a placeholder or a command: no value is suggested
        changed[key] = value
        suggested.append(key)
    return changed, suggested


def assert_suggestions_pass_their_rules(config: dict, secret_keys: frozenset[str] = frozenset()) -> int:
    """Checks every problem's fix; returns how many values were suggested."""
    try:
        settings_from_config(config, project=PROJECT, stack="dev", secret_keys=secret_keys)
    except ConfigError as error:
        problems = error.problems
    else:
        return 0
    count = 0
    for problem in problems:
        assert problem.fix.isprintable(), problem
        assert len(problem.fix) <= MAX_FIX_LENGTH, problem
        changed, suggested = _apply_fix(config, problem.fix)
        count += len(suggested)
        still_bad = _keys_with_problems(changed)
        for key in suggested:
            assert key not in still_bad, f"{problem}\nsuggests a value that fails: {still_bad[key]}"
    return count


def _keys_with_problems(config: dict) -> dict[str, str]:
    try:
        settings_from_config(config, project=PROJECT, stack="dev")
    except ConfigError as error:
        return {problem.key: str(problem) for problem in error.problems}
    return {}


@PROPERTY
@given(BAD_CONFIGS)
@example({"exportPrefix": "analytics/\n"})
@example({"exportPrefix": "${aws:username}/"})
@example({"roleName": "bitmovin-writer\n"})
@example({"roleName": "bitmovin-r\u00f4le"})
@example({"outputName": "n" * 300})
@example({"outputName": "acme\nprod"})
@example({"outputName": "\x1b[2J\x07"})
@example({"retentionDays": "100000"})
@example({"retentionDays": "-1", "existingOutputId": "e3e70682-c209-4cac-629f-6fbed82c07cd"})
@example({"tenantOrgId": ORG_ID})
@example({"bitmovin:tenantOrgId": "{3FA85F64-5717-4562-B3FC-2C963F66AFA6}"})
@example({"bitmovinPrincipalArn": "arn:aws:iam::630681592166:user/*", "aws:region": "cn-north-1"})
def test_every_suggested_value_passes_the_rule_it_is_suggested_for(config):
    event("suggested" if assert_suggestions_pass_their_rules(config) else "no suggestion")


def test_every_catalogued_suggestion_passes_its_rule_and_is_short():
    for case in (c for c in CASES if c.kind == "stack config"):
        secret_keys = frozenset({case.key}) if case.secret else frozenset()
        assert_suggestions_pass_their_rules(
            {**BASE_STACK_CONFIG, **case.extra, case.key: case.value}, secret_keys
        )
