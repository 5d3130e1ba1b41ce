"""The config transitions of the whole program, as a table, and the invariants every step keeps
(layer 6; issue 23, part 4; docs/testing.md, "The transition matrix").

``STATES`` is the table: each stack state users move between, as the config it adds to the ``local``
stack (``None`` removes a key the stack file sets), the states a user reaches it from with ``pulumi
config set``/``rm`` and ``pulumi up``, and whether the way back is played too. ``edges`` turns it into
transitions, ``expected`` derives what each must do to the Bitmovin output, and ``walk`` orders a
walk's transitions into one path that plays every edge once (an Eulerian path: each ``up`` starts where
the last one ended), so one stack per walk covers the matrix. ``Walker`` plays a step and checks, from
outside (the emulator's store and request log, moto, the state file), after every step:

1. no output the stack does not own (made by hand and never adopted, or released to a reference) is
   deleted, and every such output is still live;
2. a stack that owns an output has exactly one live output, in the organization the config names, and
   the state names it; a stack that owns none has none;
3. the role trusts exactly the external ID of the output in state, which is the live output's;
4. every bucket (the created one, the hand-made one) and its objects are still there;
5. a transition that cannot be safe is refused at preview, naming the fix, with nothing changed
   (emulator store, AWS writes, state file);

and beside them what each transition must do (a replacement creates one output and deletes the old
one, a setting change keeps it, …) and that the live AWS settings are those the config asks for.
"""

from __future__ import annotations

import enum
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analytics_export import naming, policies
from analytics_export.component import ROLE_POLICY_NAME
from dev.bitmovin_emulator.options import DEFAULT_ORG_ID
from dev.support.aws_loop import CUSTOMER_ACCOUNT, tls_client_view_of_bucket_policies
from dev.support.whole_program import REGION, STACK, WholeProgram, sandbox
from providers import validation as rules

PROJECT = "bitmovin-analytics-export"
PREFIX = "analytics/"
OTHER_ORG = "6b8e1f52-94a3-4c1d-9e27-0d5f3a7c8b61"
ROTATED_KEY = "matrix-rotated-key-of-the-same-organization"
HAND_MADE_BUCKET = "hand-made-export-bucket"
RETAIN = "retainBucketOnDestroy"  # set by Pulumi.local.yaml; existingOutputId cannot be combined with it
SECRET_KEYS = frozenset({"bitmovin:apiKey"})
# The local stack file's values of the keys the table changes (the way back restores them).
BASE_CONFIG: Mapping[str, str] = {"bitmovin:apiKey": sandbox.EMULATOR_API_KEY, RETAIN: "true"}
# Keys the output's inputs follow (exportPrefix through its description): a change replaces it.
REPLACING_KEYS = frozenset({"exportPrefix", "outputName", "bitmovin:tenantOrgId", "existingBucketName"})
# Keys read by nothing an `up` compares: a change must leave the stack as it is.
NOTHING_KEYS = frozenset({"adoptOutputId", "bitmovin:apiKey"})
MARKER_KEY = "analytics/marker.csv"
MARKER = b"kept,by,every,step\n"


class Symbol(enum.Enum):
    """A config value known only while the walk runs."""

    OWN = "the output the state names"
    HAND_MADE = "a hand-made output that matches the stack (adoptable)"
    OTHER = "a hand-made output of another bucket (to reference)"
    KMS_KEY = "a KMS key of the stack's account and region"


Value = str | Symbol | None


@dataclass(frozen=True)
class State:
    name: str
    config: Mapping[str, Value]
    walk: str = ""  # the walk (one stack, one test module) that plays the edges into this state
    reached_from: tuple[str, ...] = ()
    way_back: bool = True

    @property
    def referenced(self) -> bool:
        return "existingOutputId" in self.config

    @property
    def adopting(self) -> bool:
        return "adoptOutputId" in self.config


STATES: tuple[State, ...] = (
    State("created", {}, walk="moves", reached_from=("adopted",), way_back=False),
    # The settings states are also reached from each other (two keys changed before one `up`).
    State("prefix", {"exportPrefix": PREFIX}, walk="settings", reached_from=("created",)),
    State(
        "name", {"outputName": "matrix-renamed-output"}, walk="settings", reached_from=("created", "prefix")
    ),
    State("kms", {"kmsKeyArn": Symbol.KMS_KEY}, walk="settings", reached_from=("created", "prefix", "name")),
    State(
        "retention",
        {"retentionDays": "30"},
        walk="settings",
        reached_from=("created", "prefix", "name", "kms"),
    ),
    State("org", {"bitmovin:tenantOrgId": OTHER_ORG}, walk="organization", reached_from=("created",)),
    State("rotated", {"bitmovin:apiKey": ROTATED_KEY}, walk="organization", reached_from=("created",)),
    State(
        "existing-bucket",
        {"existingBucketName": HAND_MADE_BUCKET},
        walk="organization",
        reached_from=("created",),
    ),
    # A fresh stack's first up adopts the hand-made output; the key then stays set.
    State("adopted", {"adoptOutputId": Symbol.HAND_MADE}, walk="moves"),
    State(
        "adopted+prefix",
        {"adoptOutputId": Symbol.HAND_MADE, "exportPrefix": PREFIX},
        walk="moves",
        reached_from=("adopted",),
    ),
    State(
        "referenced",
        {"existingOutputId": Symbol.OWN, RETAIN: None},
        walk="moves",
        reached_from=("created",),
    ),
    State(
        "referenced-other",
        {"existingOutputId": Symbol.OTHER, RETAIN: None},
        walk="moves",
        reached_from=("created",),
        way_back=False,
    ),
    State("re-adopted", {"adoptOutputId": Symbol.OWN}, walk="moves", reached_from=("referenced",)),
)
BY_NAME = {state.name: state for state in STATES}
WALK_STARTS = {"settings": "created", "organization": "created", "moves": "adopted"}


class Outcome(enum.Enum):
    """What a transition must do to the Bitmovin output."""

    CREATED = "one output created, none deleted"
    REPLACED = "one output created, the old one deleted"
    KEPT = "the output kept (AWS settings change)"
    UNCHANGED = "nothing changes (up --expect-no-changes)"
    ADOPTED = "the named output adopted: no create, no delete"
    RELEASED = "the owned output kept and referenced, no longer owned"
    RECLAIMED = (
        "the output this stack created and released taken back (its creation token): no create, no delete"
    )
    REFUSED = "refused at preview, naming the fix, nothing changed"


REFUSAL_FIX = "pulumi config rm existingOutputId"  # docs/stack-config.md, "Moving between owned, …"


def expected(source: State | None, target: State) -> Outcome:
    """The outcome a transition must have, from the two states' config (``source`` None: a fresh stack)."""
    if source is None:
        return Outcome.ADOPTED if target.adopting else Outcome.CREATED
    if target.referenced and not source.referenced:
        # Only the output the stack owns may become its reference: any other would delete it.
        return Outcome.RELEASED if target.config["existingOutputId"] is Symbol.OWN else Outcome.REFUSED
    if source.referenced:
        if target.adopting:
            return Outcome.ADOPTED
        # The stack's own output, released to a reference, still carries this resource's creation
        # token: the create finds it and takes it back (docs/stack-config.md, "Moving between …").
        return Outcome.RECLAIMED if source.config["existingOutputId"] is Symbol.OWN else Outcome.CREATED
    changed = {
        key for key in {*source.config, *target.config} if source.config.get(key) != target.config.get(key)
    }
    if changed & REPLACING_KEYS:
        return Outcome.REPLACED
    return Outcome.UNCHANGED if changed <= NOTHING_KEYS else Outcome.KEPT


@dataclass(frozen=True)
class Edge:
    source: str
    target: str

    @property
    def outcome(self) -> Outcome:
        return expected(BY_NAME[self.source], BY_NAME[self.target])

    def __str__(self) -> str:
        return f"{self.source}->{self.target}"


def edges(walk_name: str) -> list[Edge]:
    """Every transition of one walk: each state from each state it is reached from, and back."""
    found = []
    for state in STATES:
        if state.walk != walk_name:
            continue
        for source in state.reached_from:
            found.append(Edge(source, state.name))
            if state.way_back:
                found.append(Edge(state.name, source))
    return found


def walk(walk_name: str) -> list[Edge]:
    """The walk's edges in the order one stack plays them, each once (Hierholzer's algorithm).

    A refused edge leaves the stack where it was, so it is a loop on its source state."""
    start = WALK_STARTS[walk_name]
    todo = edges(walk_name)
    leaving: dict[str, list[Edge]] = defaultdict(list)
    for edge in reversed(todo):
        leaving[edge.source].append(edge)

    def lands(edge: Edge) -> str:
        return edge.source if edge.outcome is Outcome.REFUSED else edge.target

    path: list[Edge] = []
    stack: list[tuple[str, Edge | None]] = [(start, None)]
    while stack:
        state, via = stack[-1]
        if leaving[state]:
            edge = leaving[state].pop()
            stack.append((lands(edge), edge))
        else:
            stack.pop()
            if via is not None:
                path.append(via)
    path.reverse()
    if len(path) != len(todo) or any(lands(a) != b.source for a, b in itertools.pairwise(path)):
        raise ValueError(f"walk {walk_name}: no single path from {start} plays every edge once: {todo}")
    return path


@dataclass
class Walker:
    """Plays one walk on one ``local`` stack and checks the invariants after every step."""

    program: WholeProgram
    values: dict[Symbol, str] = field(default_factory=dict)
    config: dict[str, str | None] = field(default_factory=lambda: dict(BASE_CONFIG))
    position: State | None = None
    owned_ever: set[str] = field(default_factory=set)
    not_owned: set[str] = field(default_factory=set)  # live outputs the stack never owned, or released
    buckets: set[str] = field(default_factory=set)
    seconds: list[float] = field(default_factory=list)

    def prepare(self) -> None:
        """What the table's symbols name: a hand-made bucket and outputs, a KMS key."""
        program = self.program
        program.aws("s3").create_bucket(Bucket=HAND_MADE_BUCKET)
        self._mark(HAND_MADE_BUCKET)
        self.values[Symbol.KMS_KEY] = program.aws("kms").create_key()["KeyMetadata"]["Arn"]
        bucket = naming.default_bucket_name(STACK, CUSTOMER_ACCOUNT)
        role_arn = policies.role_arn("aws", CUSTOMER_ACCOUNT, naming.default_role_name(STACK))
        fields = {
            "name": naming.default_output_name(PROJECT, STACK),
            "bucketName": bucket,
            "roleArn": role_arn,
            "externalIdMode": "GLOBAL",
            "acl": [dict(entry) for entry in rules.PRIVATE_ACL],
            "description": naming.output_description(bucket, "", PROJECT, STACK),
        }
        other = {**fields, "name": "made by hand elsewhere", "bucketName": HAND_MADE_BUCKET}
        for symbol, made in ((Symbol.HAND_MADE, fields), (Symbol.OTHER, other)):
            self.values[symbol] = program.emulator.outputs.create(made)["id"]
            self.not_owned.add(self.values[symbol])

    # -- a step --------------------------------------------------------------------------------

    def step(self, target: State, outcome: Outcome) -> list[str]:
        """Move the stack to ``target`` as a user does; the problems found (empty: all held)."""
        program, stack = self.program, self.program.stack
        before_state = self._state()
        before_store = program.emulator.outputs.snapshot()
        before_owned = self._owned(before_state)
        before_named = self._named(before_state)
        owned_before = set(self.owned_ever)
        config_before = dict(self.config)
        program.clear_logs()
        wanted = self._resolved(target, before_named)
        self._configure(wanted)
        problems: list[str] = []
        if outcome is Outcome.REFUSED:
            result = stack.run("preview", *stack.stack_args())
            text = result.stdout + result.stderr
            if result.returncode == 0:
                problems.append("preview succeeded: the transition must be refused at preview")
            elif REFUSAL_FIX not in text:
                problems.append(f"refused without naming the fix {REFUSAL_FIX!r}:\n{text[-2000:]}")
            if program.emulator.outputs.snapshot() != before_store:
                problems.append("the refused preview changed Bitmovin outputs")
            if program.aws_log.writes():
                problems.append(f"the refused preview wrote to AWS: {program.aws_log.writes()}")
            if self._state() != before_state:
                problems.append("the refused preview changed the state")
            self._configure(config_before)  # the user follows the fix: back to where the stack was
            return problems
        args = ("up", *stack.stack_args(), "--yes", "--skip-preview")
        if outcome is Outcome.UNCHANGED:
            args += ("--expect-no-changes",)
        started = time.perf_counter()
        result = stack.run(*args)
        self.seconds.append(time.perf_counter() - started)
        self.position = target
        if result.returncode != 0:
            problems.append(f"`pulumi up` failed:\n{(result.stdout + result.stderr)[-3000:]}")
        state = self._state()
        owned = self._owned(state)
        problems += self._outcome_problems(outcome, before_owned, before_named, owned, state, wanted)
        if owned is not None:
            self.owned_ever.add(owned["id"])
            self.not_owned.discard(owned["id"])
        if outcome is Outcome.RELEASED and before_owned is not None:
            self.not_owned.add(before_owned["id"])
        problems += self._invariant_problems(
            state, owned, owned_before | ({before_owned["id"]} if before_owned else set())
        )
        if (
            result.returncode == 0
            and not self.buckets & {self._default_bucket()}
            and self._bucket_exists(self._default_bucket())
        ):
            self._mark(self._default_bucket())
        return problems

    # -- the config a user sets ------------------------------------------------------------------

    def _resolved(self, target: State, named: Mapping[str, Any] | None) -> dict[str, str | None]:
        wanted: dict[str, str | None] = dict(BASE_CONFIG)
        for key, value in target.config.items():
            if value is Symbol.OWN:
                if named is None:
                    raise AssertionError(f"{target.name} needs the output the state names, and there is none")
                wanted[key] = named["id"]
            elif isinstance(value, Symbol):
                wanted[key] = self.values[value]
            else:
                wanted[key] = value
        return wanted

    def _configure(self, wanted: Mapping[str, str | None]) -> None:
        """`pulumi config set`/`rm` for each key that differs from the stack's config."""
        stack = self.program.stack
        for key in sorted({*self.config, *wanted}):
            value = wanted.get(key)
            if self.config.get(key) == value:
                continue
            if value is None:
                stack.ok("config", "rm", *stack.stack_args(), key)
            else:
                stack.config_set(key, value, secret=key in SECRET_KEYS)
        self.config = {key: value for key, value in wanted.items() if value is not None}

    # -- what the state and the world hold --------------------------------------------------------

    def _state(self) -> list[dict[str, Any]]:
        try:
            checkpoint = json.loads(self.program.stack.state_file().read_text())
        except ValueError:  # no checkpoint yet
            return []
        return list((checkpoint.get("checkpoint", {}).get("latest") or {}).get("resources") or [])

    @staticmethod
    def _of_type(state: Iterable[Mapping[str, Any]], suffix: str) -> list[Mapping[str, Any]]:
        return [resource for resource in state if resource["type"].endswith(suffix)]

    def _owned(self, state: list[dict[str, Any]]) -> Mapping[str, Any] | None:
        found = self._of_type(state, ":AnalyticsS3RoleBasedOutput")
        assert len(found) <= 1, found
        return found[0] if found else None

    def _named(self, state: list[dict[str, Any]]) -> Mapping[str, Any] | None:
        """The output the state names: the owned one or the reference."""
        found = [
            *self._of_type(state, ":AnalyticsS3RoleBasedOutput"),
            *self._of_type(state, ":AnalyticsOutputReference"),
        ]
        return found[0] if len(found) == 1 else None

    def _default_bucket(self) -> str:
        return naming.default_bucket_name(STACK, CUSTOMER_ACCOUNT)

    def _bucket_exists(self, bucket: str) -> bool:
        s3 = self.program.aws("s3")
        try:
            s3.head_bucket(Bucket=bucket)
        except s3.exceptions.ClientError:
            return False
        return True

    def _mark(self, bucket: str) -> None:
        with tls_client_view_of_bucket_policies():  # moto ignores the TLS-only deny's condition
            self.program.aws("s3").put_object(Bucket=bucket, Key=MARKER_KEY, Body=MARKER)
        self.buckets.add(bucket)

    # -- the checks --------------------------------------------------------------------------------

    def _outcome_problems(
        self,
        outcome: Outcome,
        before: Mapping[str, Any] | None,
        named_before: Mapping[str, Any] | None,
        owned: Mapping[str, Any] | None,
        state: list[dict[str, Any]],
        wanted: Mapping[str, str | None],
    ) -> list[str]:
        log = self.program.emulator.requests
        posts = [r for r in log if r.route == "create" and r.status in (200, 201)]
        deletes = [r.path.rstrip("/").rsplit("/", 1)[-1] for r in log if r.route == "delete"]
        problems = []
        wants_post = outcome in (Outcome.CREATED, Outcome.REPLACED)
        if len(posts) != int(wants_post):
            problems.append(f"{outcome.name}: {len(posts)} outputs created, expected {int(wants_post)}")
        expected_deletes = [before["id"]] if outcome is Outcome.REPLACED and before is not None else []
        if deletes != expected_deletes:
            problems.append(f"{outcome.name}: deleted {deletes}, expected {expected_deletes}")
        if outcome in (Outcome.KEPT, Outcome.UNCHANGED) and (
            owned is None or before is None or owned["id"] != before["id"]
        ):
            problems.append(
                f"{outcome.name}: the owned output changed from {before and before['id']} to {owned and owned['id']}"
            )
        if outcome is Outcome.UNCHANGED and self.program.aws_log.writes():
            problems.append(f"UNCHANGED: AWS writes {self.program.aws_log.writes()}")
        if outcome is Outcome.ADOPTED and (owned is None or owned["id"] != wanted.get("adoptOutputId")):
            problems.append(
                f"ADOPTED: the state owns {owned and owned['id']}, not {wanted.get('adoptOutputId')}"
            )
        if outcome is Outcome.RECLAIMED and (
            owned is None or named_before is None or owned["id"] != named_before["id"]
        ):
            problems.append(
                f"RECLAIMED: the state owns {owned and owned['id']}, not the released {named_before and named_before['id']}"
            )
        if outcome is Outcome.RELEASED:
            named = self._named(state)
            if (
                owned is not None
                or named is None
                or named_before is None
                or named["id"] != named_before["id"]
            ):
                problems.append(
                    f"RELEASED: the state names {named and named['id']} (owned: {owned is not None}), expected the reference to {named_before and named_before['id']}"
                )
        return problems

    def _invariant_problems(
        self, state: list[dict[str, Any]], owned: Mapping[str, Any] | None, may_delete: set[str]
    ) -> list[str]:
        program, problems = self.program, []
        log = program.emulator.requests
        deleted = {
            r.path.rstrip("/").rsplit("/", 1)[-1]
            for r in log
            if r.route == "delete" and r.status in (200, 204)
        }
        # 1. no output the stack does not own is deleted
        if foreign := deleted - may_delete:
            problems.append(f"invariant 1: deleted outputs the stack never owned: {sorted(foreign)}")
        gone = sorted(
            output_id for output_id in self.not_owned if program.emulator.outputs.find(output_id) is None
        )
        if gone:
            problems.append(f"invariant 1: outputs the stack does not own are gone: {gone}")
        # 2. exactly one live output when it owns one, in the organization the config names; state names it
        live = {
            output["id"] for items in program.emulator.outputs.all().values() for output in items
        } - self.not_owned
        if owned is None:
            if live:
                problems.append(
                    f"invariant 2: the stack owns no output, but its outputs {sorted(live)} are live"
                )
        else:
            if live != {owned["id"]}:
                problems.append(f"invariant 2: live outputs {sorted(live)}, the state names {owned['id']}")
            found = program.emulator.outputs.find(owned["id"])
            org = self.config.get("bitmovin:tenantOrgId") or DEFAULT_ORG_ID
            if found is not None and found[0] != org:
                problems.append(
                    f"invariant 2: the output is in organization {found[0]}, the config names {org}"
                )
        # 3. the role trusts exactly the external ID of the output in state
        named = self._named(state)
        roles = self._of_type(state, "aws:iam/role:Role")
        if named is None or len(roles) != 1:
            problems.append(
                f"invariant 3: state holds {len(roles)} roles and names {'no' if named is None else 'an'} output"
            )
        else:
            role_name = roles[0]["outputs"]["name"]
            iam = program.aws("iam")
            trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
            external_id = named["outputs"].get("external_id")
            if trust != policies.trust_policy(external_id):
                problems.append(
                    f"invariant 3: the role trusts {json.dumps(trust)}, not the state's external ID {external_id}"
                )
            live_output = program.emulator.outputs.find(named["id"])
            if live_output is None or live_output[1].get("externalId") != external_id:
                problems.append("invariant 3: the state's external ID is not the live output's")
            problems += self._settings_problems(role_name, named)
        # 4. buckets and their objects are never deleted
        s3 = program.aws("s3")
        for bucket in sorted(self.buckets):
            try:
                with tls_client_view_of_bucket_policies():
                    body = s3.get_object(Bucket=bucket, Key=MARKER_KEY)["Body"].read()
            except s3.exceptions.ClientError as error:
                problems.append(f"invariant 4: bucket {bucket} or its object is gone: {error}")
                continue
            if body != MARKER:
                problems.append(f"invariant 4: the object in {bucket} changed")
        return problems

    def _settings_problems(self, role_name: str, named: Mapping[str, Any]) -> list[str]:
        """The live AWS settings are those the config asks for (role policy, lifecycle, encryption)."""
        program, config, problems = self.program, self.config, []
        referenced = "existingOutputId" in config
        bucket = (
            named["outputs"].get("bucket_name")
            if referenced
            else config.get("existingBucketName") or self._default_bucket()
        )
        prefix = "" if referenced else config.get("exportPrefix", "")
        kms = None if referenced else config.get("kmsKeyArn")
        written = program.aws("iam").get_role_policy(RoleName=role_name, PolicyName=ROLE_POLICY_NAME)[
            "PolicyDocument"
        ]
        if written != policies.write_policy("aws", bucket, prefix, kms, region=REGION):
            problems.append(
                f"settings: the role's write policy is not the one for s3://{bucket}/{prefix} (kms {kms})"
            )
        if referenced or "existingBucketName" in config:
            return problems
        s3 = program.aws("s3")
        try:
            rules_ = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        except s3.exceptions.ClientError:
            rules_ = []
        days = [rule.get("Expiration", {}).get("Days") for rule in rules_]
        wanted_days = [int(config["retentionDays"])] if "retentionDays" in config else []
        if days != wanted_days:
            problems.append(
                f"settings: the bucket's lifecycle expires after {days} days, the config asks {wanted_days}"
            )
        (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rule["ApplyServerSideEncryptionByDefault"]
        if (default["SSEAlgorithm"], default.get("KMSMasterKeyID")) != (
            ("aws:kms", kms) if kms else ("AES256", None)
        ):
            problems.append(
                f"settings: the bucket is encrypted with {default}, the config asks kmsKeyArn {kms}"
            )
        return problems


API_KEYS = (sandbox.EMULATOR_API_KEY, ROTATED_KEY)  # the emulator's: two keys of one organization


def walk_tests(walk_name: str) -> tuple[Callable[..., None], Callable[..., None]]:
    """The two tests a walk's module runs (it sets ``WALK`` for the ``walker`` fixture): the fresh
    stack's first ``up``, then every transition of the walk in order, each keeping every invariant."""
    import pytest  # only the tests import this function; the harness itself stays pytest-free

    def test_the_first_up_of_a_fresh_stack(walker: Walker) -> None:
        start = BY_NAME[WALK_STARTS[walk_name]]
        problems = walker.step(start, expected(None, start))
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("edge", walk(walk_name), ids=str)
    def test_a_transition_keeps_every_invariant(walker: Walker, edge: Edge) -> None:
        problems = walker.step(BY_NAME[edge.target], edge.outcome)
        assert not problems, "\n".join(problems)

    return test_the_first_up_of_a_fresh_stack, test_a_transition_keeps_every_invariant
