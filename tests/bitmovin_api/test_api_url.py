"""Layer 1: ``bitmovin:apiUrl`` is parsed, not prefix-matched, before the API key may go there.

The emulator serves only as a request counter: every refused URL must be reported by ``check``
(what ``pulumi preview`` runs) with 0 requests. Host-level proof: tests/providers/test_host_hardening.py.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from bitmovin_api.api_url import api_url_problem, display_url, is_loopback_host
from bitmovin_api.client import BitmovinClient
from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider
from providers.provider_config import resolve

pytestmark = pytest.mark.layer1

KEY = "api-url-test-key-41c7"
INPUTS = {"bucket_name": "acme-analytics", "role_arn": "arn:aws:iam::123456789012:role/x"}

ACCEPTED = [
    "https://api.bitmovin.com/v1",
    "https://api.bitmovin.com/v1/",
    "https://API.Bitmovin.com/v1",
    "https://gateway.example.com/bitmovin/v1",
    "https://api.bitmovin.com:443/v1",
    "https://10.0.0.8:8443/v1",
    "http://localhost/v1",
    "http://localhost:8080/v1",
    "http://127.0.0.1:8080/v1",
    "http://127.8.9.10/v1",
    "http://[::1]:8080/v1",
]

# (url, a phrase of the reason). The first five pass a `startswith("http://localhost")`-style guard.
REFUSED = [
    ("http://localhost.evil.example/v1", "plain http is allowed only for a local emulator"),
    ("http://127.0.0.1.evil.example/v1", "plain http is allowed only for a local emulator"),
    ("http://localhost@evil.example/v1", "must not contain user info"),
    ("http://127.0.0.1@evil.example/v1", "must not contain user info"),
    ("http://[::1].evil.example/v1", "no valid host name"),
    ("https://user:pass@api.bitmovin.com/v1", "must not contain user info"),
    ("http://localhost:8080@127.0.0.1/v1", "must not contain user info"),
    ("http://api.bitmovin.com/v1", "plain http is allowed only for a local emulator"),
    ("http://0.0.0.0/v1", "plain http is allowed only for a local emulator"),
    ("http://[::ffff:127.0.0.1]/v1", "plain http is allowed only for a local emulator"),
    ("http://localhost./v1", "no valid host name"),
    ("https://api.bitmovin.com/v1?X-Api-Key=abc", "must not contain a query or a fragment"),
    ("https://api.bitmovin.com/v1?", "must not contain a query or a fragment"),
    ("https://api.bitmovin.com/v1#frag", "must not contain a query or a fragment"),
    ("https://api.bitmovin.com", "must end with the API version path /v1"),
    ("https://api.bitmovin.com/", "must end with the API version path /v1"),
    ("https://api.bitmovin.com/v2", "must end with the API version path /v1"),
    ("https://api.bitmovin.com/v1/analytics", "must end with the API version path /v1"),
    ("https://api.bitmovin.com//v1", "unusable path"),
    ("https://api.bitmovin.com/x/../v1", "unusable path"),
    ("https://api.bitmovin.com/a%2Fb/v1", "unusable path"),
    ("https://api.bitmovin.com/v1\n", "without spaces, control or non-ASCII characters"),
    ("https://api.bitmovin.com /v1", "without spaces, control or non-ASCII characters"),
    ("https://bitmövin.com/v1", "without spaces, control or non-ASCII characters"),
    ("ftp://api.bitmovin.com/v1", "must be an https:// URL"),
    ("api.bitmovin.com/v1", "must be an https:// URL"),
    ("https:///v1", "no valid host name"),
    ("https://api.bitmovin.com:99999/v1", "not a valid URL"),
    ("https://api.bitmovin.com:0/v1", "invalid port"),
    ("https://[fe80::1%25eth0]/v1", "no valid host name"),
    ("https://api_bitmovin.com/v1", "no valid host name"),
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_usable_urls_are_accepted(url):
    assert api_url_problem(url) is None


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_unsafe_or_wrong_urls_are_refused_with_the_reason(url, reason):
    problem = api_url_problem(url)
    assert problem is not None, url
    assert reason in problem


def test_loopback_means_exactly_localhost_127_slash_8_or_ipv6_one():
    assert all(is_loopback_host(h) for h in ("localhost", "127.0.0.1", "127.255.255.254", "::1"))
    for host in ("localhost.evil.example", "127.0.0.1.evil.example", "0.0.0.0", "::", "::ffff:127.0.0.1"):
        assert not is_loopback_host(host), host


@pytest.mark.parametrize(
    ("url", "shown", "hidden"),
    [
        (
            "https://alice:pa55word@api.bitmovin.com/v1",
            "'https://api.bitmovin.com/v1' (user info removed)",
            "pa55word",
        ),
        (
            "https://api.bitmovin.com/v1?X-Api-Key=SECRET-1",
            "'https://api.bitmovin.com/v1' (query removed)",
            "SECRET-1",
        ),
        ("http://[::1]:8080/v1#x", "'http://[::1]:8080/v1' (fragment removed)", "#x"),
    ],
)
def test_display_url_never_shows_user_info_or_query(url, shown, hidden):
    assert display_url(url) == shown
    assert hidden not in display_url(url)


@pytest.mark.parametrize("source", ["config", "environment"])
def test_resolve_reports_the_key_the_reason_and_the_fix_without_echoing_secrets(source):
    url = "https://user:hunter2@api.bitmovin.com/v1?X-Api-Key=" + KEY
    config = {"bitmovin:apiUrl": url} if source == "config" else {}
    environ = {"BITMOVIN_API_URL": url} if source == "environment" else {}
    resolved = resolve(config.get, {"BITMOVIN_API_KEY": KEY, **environ})
    [problem] = resolved.problems
    assert problem.startswith(
        "bitmovin:apiUrl (or BITMOVIN_API_URL) is 'https://api.bitmovin.com/v1' (user info"
    )
    assert "must not contain user info" in problem
    assert "pulumi config set bitmovin:apiUrl https://api.bitmovin.com/v1" in problem
    assert "hunter2" not in problem
    assert KEY not in problem


def test_default_url_is_valid():
    assert resolve(lambda _key: None, {"BITMOVIN_API_KEY": KEY}).problems == ()


@pytest.mark.parametrize(("url", "reason"), REFUSED[:5] + REFUSED[11:12] + REFUSED[14:17])
def test_check_refuses_the_url_before_any_request(url, reason, emulator):
    provider = AnalyticsS3RoleBasedOutputProvider()
    provider.configure(
        ConfigureRequest(
            Config({"bitmovin:apiUrl": url, "bitmovin:apiKey": KEY}, "bitmovin-analytics-export")
        )
    )
    failures = provider.check({}, dict(INPUTS)).failures
    assert [f.property for f in failures] == [""]
    assert "bitmovin:apiUrl" in failures[0].reason
    assert reason in failures[0].reason
    assert KEY not in failures[0].reason
    assert len(emulator.requests) == 0


def test_the_client_itself_refuses_an_unchecked_url():
    """Defence in depth: the provider validates the config, the client validates again."""
    with pytest.raises(ValueError, match="must not contain user info") as raised:
        BitmovinClient(KEY, base_url="http://localhost@evil.example/v1")
    assert KEY not in str(raised.value)
