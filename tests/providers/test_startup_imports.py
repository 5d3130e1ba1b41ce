"""Layer 1: the provider host starts without the HTTP client.

Every ``preview`` and ``up`` starts the dynamic-provider host, which unpickles ``__provider`` and so
imports the provider modules. Check and diff never call Bitmovin, so what only a request needs
(requests, urllib3, the client) is imported when a client is built; ``dev/benchmark.py provider``
measures what that saves at every start. This test keeps the gain from regressing silently.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dev.support import REPO_ROOT

pytestmark = pytest.mark.layer1

NOT_AT_START = ("requests", "urllib3", "bitmovin_api.client", "bitmovin_api.http_session")

# A fresh interpreter (this one has imported everything already), as the host runs it: the modules
# imported, a provider configured with a key, one check and one diff.
PROBE = r"""
import json, sys
import providers.analytics_output, providers.output_reference
at_import = sorted(m for m in NOT_AT_START if m in sys.modules)
from pulumi.dynamic import Config, ConfigureRequest
provider = providers.analytics_output.AnalyticsS3RoleBasedOutputProvider()
provider.configure(ConfigureRequest(Config({"bitmovin:apiKey": "startup-key-not-a-secret"}, "p")))
news = {"bucket_name": "acme-analytics", "role_arn": "arn:aws:iam::123456789012:role/x",
        "external_id_mode": "GLOBAL", "name": "startup"}
checked = provider.check({}, news)
provider.diff("id", checked.inputs, checked.inputs)
print(json.dumps({"failures": [f.reason for f in checked.failures], "at_import": at_import,
                  "after_check_and_diff": sorted(m for m in NOT_AT_START if m in sys.modules)}))
"""


def test_check_and_diff_run_without_importing_the_http_client():
    result = subprocess.run(
        [sys.executable, "-c", f"NOT_AT_START = {NOT_AT_START!r}\n{PROBE}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {"failures": [], "at_import": [], "after_check_and_diff": []}
