"""Layer 6: a stack deployed by the previous release keeps working with this release's code (issue 23,
part 5; CHANGELOG's promise that state of the previous release keeps working).

The previous release (``dev.support.whole_program.PREVIOUS_RELEASE``) is taken from the checkout's git
history with ``git archive``; its whole program deploys the ``local`` stack through the real engine
(the AWS side served by the current stand-in: the plugin, not the program, and the same packages).
Then this release's program replaces it under the same stack, which must refresh and preview with no
changes and destroy cleanly, keeping the bucket and its object.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from dev.support import REPO_ROOT
from dev.support.aws_loop import tls_client_view_of_bucket_policies
from dev.support.engine import skip_without_engine
from dev.support.whole_program import (
    PREVIOUS_RELEASE,
    WholeProgram,
    release_tree,
    replace_program,
    whole_program,
)

pytestmark = [pytest.mark.layer6, skip_without_engine()]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WholeProgram]:
    """The ``local`` stack as the previous release's program leaves it after `pulumi up`."""
    tmp = tmp_path_factory.mktemp("upgrade")
    previous = release_tree(PREVIOUS_RELEASE, tmp / "previous-release")
    with whole_program(tmp, source=previous) as program:
        program.stack.up()
        yield program


def test_the_previous_releases_stack_refreshes_previews_and_destroys_with_this_release(
    deployed: WholeProgram,
):
    stack, emulator = deployed.stack, deployed.emulator
    outputs = stack.outputs()
    assert len(emulator.outputs) == 1
    with tls_client_view_of_bucket_policies():  # moto ignores the TLS-only deny's condition
        deployed.aws("s3").put_object(Bucket=outputs["bucketName"], Key="analytics/old.csv", Body=b"x\n")
    replace_program(stack.project)
    provider = Path("providers", "analytics_output.py")  # changed since the previous release
    assert (stack.project / provider).read_text() == (REPO_ROOT / provider).read_text()
    assert (stack.project / provider).read_text() != (
        stack.project.parent / "previous-release" / provider
    ).read_text()

    deployed.clear_logs()
    stack.ok("refresh", *stack.stack_args(), "--yes", "--skip-preview", "--expect-no-changes")
    stack.ok("preview", *stack.stack_args(), "--expect-no-changes")
    assert deployed.aws_log.writes() == []
    assert [r.route for r in emulator.requests if r.method != "GET"] == []
    assert stack.outputs() == outputs

    stack.ok("destroy", *stack.stack_args(), "--yes", "--skip-preview")
    assert len(emulator.outputs) == 0
    iam, s3 = deployed.aws("iam"), deployed.aws("s3")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=outputs["roleName"])
    with tls_client_view_of_bucket_policies():
        kept = s3.get_object(Bucket=outputs["bucketName"], Key="analytics/old.csv")["Body"].read()
    assert kept == b"x\n"
    assert stack.outputs() == {}
