"""boto3 clients for verify, counting every HTTP attempt, and what their failures mean."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from .checklist import Check, Figures, skipped
from .stack import Deployment

# What a boto3 call raises when AWS refuses or cannot be reached (an endpoint that does not implement an
# API, such as a local emulator, answers with a page botocore cannot parse).
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
SECTION = "AWS (read-only)"  # the checklist section of every AWS check
CONNECTION_FIX = "check the AWS credentials (AWS_PROFILE, ...), region and endpoint, then run verify again"


@dataclass
class AwsClients:
    iam: Any
    s3: Any
    accessanalyzer: Any


def make_clients(
    session: Any, deployment: Deployment, endpoint_url: str | None, figures: Figures
) -> AwsClients:
    """boto3 clients for the stack's region that count every HTTP attempt in ``figures``."""
    # Standard retries; the number of attempts follows AWS_MAX_ATTEMPTS / the profile (default 3).
    config = Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=20)

    def client(service: str) -> Any:
        made = session.client(
            service, region_name=deployment.region, endpoint_url=endpoint_url, config=config
        )
        made.meta.events.register("before-send", _counter(figures, service))
        return made

    return AwsClients(client("iam"), client("s3"), client("accessanalyzer"))


def _counter(figures: Figures, service: str) -> Callable[..., None]:
    def count(event_name: str = "", **_: Any) -> None:
        figures.count(f"aws:{service}:{event_name.rsplit('.', 1)[-1]}")

    return count


def aws_error(error: Exception) -> tuple[str, str]:
    """``(code, message)`` of a boto3 failure."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = str(details.get("Code") or "Unknown"), str(details.get("Message") or error)
        if message.lstrip().startswith("<"):
            message = "the endpoint answered with an HTML page (API not implemented?)"
        return code, message
    if isinstance(error, ResponseParserError):
        return "UnparsableResponse", "the endpoint's answer is not an AWS response (API not implemented?)"
    return type(error).__name__, str(error)


def denied(code: str) -> bool:
    """Whether AWS refused the credentials running verify."""
    return code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def unavailable(id_: str, section: str, title: str, error: Exception, permission: str) -> Check:
    """A check skipped because its AWS call failed; refused credentials get the ``permission`` to grant."""
    code, message = aws_error(error)
    fix = f"grant {permission} to the credentials running verify" if denied(code) else ""
    return skipped(id_, section, title, f"not available ({code}: {message[:160]})", fix)
