"""Where the provider's settings come from: stack config given to ``configure()``, then environment.

The API key is read here, in the provider host, after the provider was unpickled; it never travels
through the program, the resource inputs or the serialized provider.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bitmovin_api.api_url import DEFAULT_API_URL, api_url_problem, display_url
from bitmovin_api.http_policy import HttpPolicy
from bitmovin_api.redaction import SECRET_MASK

NAMESPACE = "bitmovin"
API_KEY_CONFIG = "bitmovin:apiKey"
API_URL_CONFIG = "bitmovin:apiUrl"
TENANT_ORG_ID_CONFIG = "bitmovin:tenantOrgId"  # read by the program (the output's organization)
# What a message shows instead of a value that must stay secret (the API key, any secret value).
API_KEY_ENV = "BITMOVIN_API_KEY"
API_URL_ENV = "BITMOVIN_API_URL"


def set_secret_command(key: str) -> str:
    """The command that stores a new secret value for ``key`` without it ever being on a command
    line: given no value, ``pulumi config set`` prompts for it (without echo) on a terminal and reads
    it from standard input otherwise, so the value reaches neither shell history nor ``ps``."""
    return f"pulumi config set --secret {key}"


def move_command(old: str, new: str) -> str:
    """The command that moves the plain value of ``old`` to ``new`` without showing it (a value a
    message may not show: unprintable, too long, or not valid where it goes): ``pulumi config get``
    piped into ``pulumi config set``; ``old`` goes only once ``new`` is stored."""
    return f"pulumi config get {shlex.quote(old)} | pulumi config set {new} && pulumi config rm {shlex.quote(old)}"


def move_secret_command(old: str, new: str) -> str:
    """The command that moves the value of ``old`` to ``new`` as a secret without showing it: ``pulumi
    config get`` pipes it into ``pulumi config set`` (which reads standard input when given no value),
    so it never appears on a terminal, a command line or in shell history; ``old`` goes only once
    ``new`` is stored."""
    return (
        f"pulumi config get {shlex.quote(old)} | {set_secret_command(new)} && "
        f"pulumi config rm {shlex.quote(old)}"
    )


SET_API_KEY_HOW = (
    f"`{set_secret_command(API_KEY_CONFIG)}` (it prompts for the key and does not echo it; never put the "
    "key on the command line)"
)
MISSING_API_KEY = (
    f"No Bitmovin API key is configured. Set it as a secret for this stack with {SET_API_KEY_HOW}, "
    f"or set {API_KEY_ENV} in the environment."
)

# (config key, environment variable, HttpPolicy field, minimum, maximum)
_NUMERIC_SETTINGS: tuple[tuple[str, str, str, float, float], ...] = (
    ("bitmovin:connectTimeoutSeconds", "BITMOVIN_CONNECT_TIMEOUT_SECONDS", "connect_timeout", 0.1, 300),
    ("bitmovin:readTimeoutSeconds", "BITMOVIN_READ_TIMEOUT_SECONDS", "read_timeout", 0.1, 600),
    ("bitmovin:retryBudgetSeconds", "BITMOVIN_RETRY_BUDGET_SECONDS", "retry_budget_seconds", 0, 3600),
    ("bitmovin:maxRetries", "BITMOVIN_MAX_RETRIES", "max_retries", 0, 20),
    ("bitmovin:createSettleSeconds", "BITMOVIN_CREATE_SETTLE_SECONDS", "create_settle_seconds", 0, 600),
)
# Every key of the ``bitmovin:`` namespace this project reads. Nothing else reads that namespace,
# so any other key in it is a typo whose value would be silently ignored (e.g. ``tenantOrgID``
# leaves the output in the API key's own organization): the program and ``check`` both refuse it.
KNOWN_KEYS: tuple[str, ...] = (
    API_KEY_CONFIG,
    API_URL_CONFIG,
    TENANT_ORG_ID_CONFIG,
    *(key for key, *_ in _NUMERIC_SETTINGS),
)
_SECRET_WORDS = ("key", "token", "secret", "pass", "auth", "cred")


@dataclass(frozen=True)
class ProviderConfig:
    """Resolved settings; ``problems`` lists what stops the provider from calling Bitmovin, a
    missing or unusable API key included."""

    api_key: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    http: HttpPolicy = field(default_factory=HttpPolicy)
    problems: tuple[str, ...] = ()


def resolve(
    config_get: Callable[[str], Any],
    environ: Mapping[str, str] | None = None,
    configured_keys: Iterable[str] = (),
) -> ProviderConfig:
    """Stack config wins over the environment (the API key too, :func:`choose_api_key`); bad numbers
    are reported, not silently ignored.

    ``configured_keys`` are every key of the stack config (all namespaces, as ``configure()`` gets
    them); a ``bitmovin:`` key this project does not read is reported, never its value.
    """
    env = os.environ if environ is None else environ

    def lookup(key: str, env_name: str) -> Any:
        value = config_get(key)
        return value if value not in (None, "") else env.get(env_name) or None

    # The provider cannot tell a secret value from a plain one: no value is ever shown.
    problems: list[str] = [
        f"{key} {reason}{' Fix' if reason.endswith(('?', '.')) else '; fix'} it with `{fix}`"
        for key in sorted(set(configured_keys))
        if is_unknown_key(key)
        for reason, fix in [unknown_key_problem(key, None, secret=None)]
    ]
    overrides: dict[str, Any] = {}
    for key, env_name, attr, low, high in _NUMERIC_SETTINGS:
        raw = lookup(key, env_name)
        if raw is None:
            continue
        try:
            number = float(raw)
        except (TypeError, ValueError):
            number = None
        if number is None or not low <= number <= high:
            problems.append(
                f"{key} (or {env_name}) must be a number from {low:g} to {high:g}, got {raw!r}: "
                f"fix it with `pulumi config set {key} '<value>'`"
            )
            continue
        overrides[attr] = int(number) if attr == "max_retries" else number
    api_url = str(lookup(API_URL_CONFIG, API_URL_ENV) or DEFAULT_API_URL)
    url_problem = api_url_problem(api_url)
    if url_problem is not None:
        problems.append(
            f"{API_URL_CONFIG} (or {API_URL_ENV}) is {display_url(api_url)}: it {url_problem}; fix it with "
            f"`pulumi config set {API_URL_CONFIG} {DEFAULT_API_URL}` (or remove it with "
            f"`pulumi config rm {API_URL_CONFIG}`)"
        )
    api_key = choose_api_key(config_get(API_KEY_CONFIG), env)
    if api_key is None:
        problems.append(MISSING_API_KEY)
    elif (key_problem := api_key_problem(api_key)) is not None:
        problems.append(key_problem)
        api_key = None
    return ProviderConfig(
        api_key=api_key or None,
        api_url=api_url,
        http=dataclasses.replace(HttpPolicy(), **overrides),
        problems=tuple(problems),
    )


def choose_api_key(stack_value: Any, environ: Mapping[str, str]) -> str | None:
    """The API key to use, in the one order every tool follows (the provider, ``verify``): the stack
    config's ``bitmovin:apiKey`` (a secret), else ``BITMOVIN_API_KEY``; stripped of the newline or CR a
    pasted or ``cat``-ed key carries. None when neither holds a key."""
    for value in (stack_value, environ.get(API_KEY_ENV)):
        text = str(value).strip() if value is not None else ""
        if text:
            return text
    return None


# What people paste where the key belongs: Pulumi's mask for a secret (what a fix command printed
# before showed), a placeholder of the docs (``<your key>``), or a word that names the key instead.
_PLACEHOLDER_CHARACTERS = frozenset("<>[]{}")
_PLACEHOLDER_WORDS = frozenset(
    {
        "secret",
        "key",
        "apikey",
        "yourkey",
        "yourapikey",
        "yourbitmovinapikey",
        "bitmovinapikey",
        "changeme",
        "placeholder",
        "redacted",
        "todo",
        "none",
        "null",
    }
)


def api_key_problem(api_key: str) -> str | None:
    """Why ``api_key`` cannot be a Bitmovin API key (None: it may be one). Never shows the value: it
    may be a real key with a typo. A placeholder is refused at preview, before it reaches Bitmovin
    as a 401 (or, for ``[secret]``, before a preview accepts what a botched secret move stored)."""
    if not (api_key.isascii() and api_key.isprintable()) or any(c.isspace() for c in api_key):
        return (
            f"{API_KEY_CONFIG} (or {API_KEY_ENV}) contains spaces, control or non-ASCII characters; "
            f"set it again with {SET_API_KEY_HOW}"
        )
    if (
        _PLACEHOLDER_CHARACTERS & set(api_key)
        or key_form(api_key) in _PLACEHOLDER_WORDS
        or not api_key.strip("*x.-_")
    ):
        return (
            f"{API_KEY_CONFIG} (or {API_KEY_ENV}) holds a placeholder (such as {SECRET_MASK}, Pulumi's "
            f"mask for a secret, or <your key>), not an API key; set the key itself with {SET_API_KEY_HOW}"
        )
    return None


# Set to "true" by the preview workflow only (.github/workflows/preview.yml), whose pull-request jobs get
# no Bitmovin key: a preview calls only check and diff, which send nothing to Bitmovin.
PREVIEW_WITHOUT_KEY_ENV = "BITMOVIN_PREVIEW_WITHOUT_KEY"


def check_problems(config: ProviderConfig, environ: Mapping[str, str] | None = None) -> list[str]:
    """The configuration problems ``check`` reports: all of ``config.problems``, except a missing API
    key when ``BITMOVIN_PREVIEW_WITHOUT_KEY=true``. Only a missing key is tolerated (an unusable key or
    URL still fails), and only in ``check``: every operation that calls Bitmovin (create, read,
    delete) refuses without a key whatever this variable says (``BitmovinProviderBase._client``)."""
    env = os.environ if environ is None else environ
    problems = list(config.problems)
    if env.get(PREVIEW_WITHOUT_KEY_ENV) == "true":
        problems = [problem for problem in problems if problem != MISSING_API_KEY]
    return problems


# ---------------------------------------------------------------------------------------------
# Keys of the bitmovin: namespace this project does not read


def is_unknown_key(key: str) -> bool:
    """A key of the ``bitmovin:`` namespace that nothing reads (other namespaces are not ours)."""
    namespace, sep, _name = key.partition(":")
    return bool(sep) and namespace == NAMESPACE and key not in KNOWN_KEYS


def key_form(name: str) -> str:
    """``name`` without case, ``_`` or ``-``: how a misspelt key is matched to the one it means."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def closest_known_key(name: str) -> str | None:
    """The ``bitmovin:`` key ``name`` (with or without a namespace) most likely means: the same
    letters in another case or with ``_``/``-`` (``tenant_org_id``), else a close spelling."""
    wanted = key_form(name.rpartition(":")[2])
    by_form = {key_form(key.partition(":")[2]): key for key in KNOWN_KEYS}
    if wanted in by_form:
        return by_form[wanted]
    close = difflib.get_close_matches(wanted, by_form, n=1, cutoff=0.75)
    return by_form[close[0]] if close else None


def looks_secret(name: str) -> bool:
    """A key whose value may be a credential (``apikey``, ``api_key``, ``token``...): never shown."""
    target = closest_known_key(name)
    return target == API_KEY_CONFIG or any(word in key_form(name) for word in _SECRET_WORDS)


def value_problem(key: str, value: Any) -> str | None:
    """Why ``value`` is not usable for the known ``key`` (None: usable). The API key is never judged
    here, so it never counts as usable to show."""
    if key == API_URL_CONFIG:
        return api_url_problem(str(value))
    for numeric_key, _env, _attr, low, high in _NUMERIC_SETTINGS:
        if key == numeric_key:
            try:
                number = float(value)
            except (TypeError, ValueError):
                return f"must be a number from {low:g} to {high:g}"
            return None if low <= number <= high else f"must be a number from {low:g} to {high:g}"
    if key == API_KEY_CONFIG:
        return "is a secret"
    return None


def unknown_key_problem(key: str, shown_value: str | None, *, secret: bool | None) -> tuple[str, str]:
    """``(reason, fix)`` for ``key``, a ``bitmovin:`` key nothing reads.

    The fix moves the value to the key it most likely means; run as printed, it never loses the value.
    ``secret`` says whether the value is a secret (None: unknown, as for the provider, which cannot
    tell). ``shown_value`` is the value as it may appear in the fix (already shell-quoted), or None:
    the caller decides whether the value may be shown. A secret, a value that may be one, or a key that
    looks like the API key is moved as a secret without being shown (:func:`move_secret_command`); a
    plain value that may not be shown is moved through a pipe (:func:`move_command`).
    """
    target = closest_known_key(key)
    known = ", ".join(KNOWN_KEYS)
    ignored = f"is not a key of the {NAMESPACE}: namespace this project reads, so its value is ignored"
    if target is None:
        return f"{ignored} (known: {known})", f"pulumi config rm {key}"
    credential = looks_secret(key) or target == API_KEY_CONFIG
    reason = f"{ignored}; did you mean `{target}`?"
    if credential and secret is False:
        reason += (
            " Its value is stored in plain text in Pulumi.<stack>.yaml: set it again as a secret, and "
            "rotate it if a `pulumi up` already ran with it"
        )
    if credential or secret is not False:
        return reason, move_secret_command(key, target)
    if shown_value is None:
        return reason, move_command(key, target)
    return reason, f"pulumi config rm {key} && pulumi config set {target} {shown_value}"
