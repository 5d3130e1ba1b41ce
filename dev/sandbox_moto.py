"""``python -m dev.sandbox_moto -H 127.0.0.1 -p PORT``: the sandbox's moto server, set up so that the
Bitmovin emulator can act as Bitmovin toward it (``./sandbox up``, then ``python -m verify --stack local
--export``).

moto's own server (``moto.server``) with two additions, both in this process only:

- Bitmovin's IAM user (``arn:aws:iam::630681592166:user/bitmovinCustomerS3Access``) exists with the
  access key the sandbox gives in ``EMULATOR_BITMOVIN_AWS_ACCESS_KEY_ID``/``..._SECRET_ACCESS_KEY``
  (placeholders, like the local stack's passphrase: they open nothing but this moto), so ``sts:GetCallerIdentity`` names Bitmovin's principal and the emulator's
  trust evaluation judges the role's trust policy for it. The key is the same after every restart,
  so a running emulator keeps working with a restarted moto.
- Bucket policies are judged by the project's IAM model as for a TLS client (``aws:SecureTransport``
  true, ``dev.support.model_authorizer.model_authorization``), as AWS judges Bitmovin's HTTPS requests:
  moto's own check ignores policy conditions, so the program's TLS-only deny would refuse every
  object write. IAM enforcement stays off, as in any moto server.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from analytics_export.policies import BITMOVIN_ACCOUNT_ID, BITMOVIN_PRINCIPAL
from dev.bitmovin_emulator.export_cli import BITMOVIN_KEY_ID_ENV, BITMOVIN_SECRET_ENV


def add_bitmovin_user(access_key_id: str, secret: str) -> None:
    """Create Bitmovin's IAM user in its account, with the given access key, in moto's backend."""
    from moto.iam.models import iam_backends

    iam = iam_backends[BITMOVIN_ACCOUNT_ID]["aws"]
    name = BITMOVIN_PRINCIPAL.rsplit("/", 1)[-1]
    iam.create_user(region_name="us-east-1", user_name=name)
    key = iam.create_access_key(name)
    # moto draws keys at random; the sandbox needs one that survives a restart: re-key it in place.
    del iam.access_keys[key.physical_resource_id]
    key.access_key_id, key.secret_access_key = access_key_id, secret
    iam.access_keys[key.physical_resource_id] = key


def main(argv: Sequence[str] | None = None) -> None:
    from moto.server import main as moto_main

    from dev.support.model_authorizer import model_authorization

    keys = (os.environ.get(BITMOVIN_KEY_ID_ENV, ""), os.environ.get(BITMOVIN_SECRET_ENV, ""))
    if not all(keys):
        raise SystemExit(
            f"dev.sandbox_moto: set {BITMOVIN_KEY_ID_ENV} and {BITMOVIN_SECRET_ENV} (./sandbox does)"
        )
    add_bitmovin_user(*keys)
    with model_authorization(secure_transport=True):
        moto_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
