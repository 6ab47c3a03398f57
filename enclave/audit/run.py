"""One audit run: identify the account, read every service (services in parallel, each service's detail reads
bounded), evaluate the checks, and with a stack compare what is live with what the stack declares."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from . import detect, detect_rules, ecr, eks, iam, kms, log_copies, logs, nodes, replication, s3, secrets, trail
from .catalog import Catalog, load_catalog
from .context import Context, Thresholds
from .model import WORKERS, AuditResult, Incomplete
from .session import CheckFailed, Reader, error_code, error_text, make_session

# Reads that need nothing else first run together; S3 needs the keys (customer-key checks) and trails (the
# audit bucket), so it runs after them; node groups need their clusters; subscription filters are read for the
# groups of the clusters and flow logs read first.
PHASE_ONE: tuple[tuple[str, Callable[[Context], None]], ...] = (
    ("KMS keys", kms.read),
    ("CloudTrail trails", trail.read),
    ("IAM roles", iam.read),
    ("IAM users", iam.read_users),
    ("IAM OIDC providers", iam.read_oidc),
    ("CloudWatch log groups", logs.read),
    ("VPC flow logs", logs.read_flow_logs),
    ("Secrets Manager secrets", secrets.read),
    ("Firehose delivery streams", log_copies.read_streams),
    ("ECR repositories", ecr.read),
    ("EKS clusters", lambda ctx: _clusters_and_nodes(ctx)),
    ("SNS topics", detect.read_topics),
    ("CloudWatch alarms", detect.read_alarms),
    ("EventBridge rules", detect.read_event_rules),
    ("GuardDuty detectors", detect.read_detectors),
)
CHECKS: tuple[tuple[str, Callable[[Context], None]], ...] = (
    ("KMS checks", kms.check),
    ("S3 checks", s3.check),
    ("replication checks", replication.check),
    ("IAM checks", iam.check),
    ("EKS checks", eks.check),
    ("node group checks", nodes.check),
    ("CloudTrail checks", trail.check),
    ("log checks", logs.check),
    ("detection checks (DETECT-04..11)", detect_rules.check),
    ("Secrets Manager checks", secrets.check),
    ("log copy checks (LOG-07, LOG-08)", log_copies.check),
    ("ECR repository checks (IAM-08)", ecr.check),
)


def _clusters_and_nodes(ctx: Context) -> None:
    eks.read(ctx)
    nodes.read(ctx)


class AuditError(Exception):
    """The audit could not start (exit 2): no credentials, no region, endpoint unreachable, bad pack."""


@dataclass
class AuditOptions:
    pack_dir: Path
    pack_config: dict[str, Any] = field(default_factory=dict)
    pack_config_source: str | None = None
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    stack: str | None = None
    project_dir: Path | None = None
    config_file: Path | None = None
    stack_region: str | None = None
    # the stack's account_id: an audit with --stack of any other account is refused (its drift would be noise
    # and its findings not the stack's evidence)
    stack_account: str | None = None
    workers: int = WORKERS
    skip: frozenset[str] = frozenset()  # control ids not to check (reported as skipped, never as passing)
    session: boto3.Session | None = None
    progress: Callable[[str], None] = lambda _label: None


def _guarded(ctx: Context, label: str, fn: Callable[[Context], None]) -> None:
    try:
        fn(ctx)
    except CheckFailed:
        pass
    except Exception as exc:  # never a pass and never a traceback: the check is named as not done
        ctx.result.add_incomplete(Incomplete(label, f"unexpected error: {error_text(exc)}"))


def _endpoint(url: str | None) -> None:
    """--endpoint-url must be an http(s) URL with a host: botocore would otherwise raise deep inside a client."""
    if url is None:
        return
    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AuditError(
            f"--endpoint-url {url!r}: not an http(s) URL with a host, e.g. http://127.0.0.1:5000; nothing was audited"
        )


def run_audit(options: AuditOptions) -> AuditResult:
    started = time.monotonic()
    _endpoint(options.endpoint_url)
    try:
        session = options.session or make_session(options.profile, options.region)
    except BotoCoreError as exc:
        raise AuditError(f"cannot open an AWS session: {error_text(exc)}") from None
    region = options.region or session.region_name or options.stack_region
    if not region:
        raise AuditError("no AWS region: pass --region, set AWS_REGION (or a profile's region), or give --stack")
    catalog: Catalog = load_catalog(options.pack_dir, options.pack_config, options.pack_config_source)
    unknown = sorted(c for c in options.skip if c not in catalog.controls)
    if unknown:
        raise AuditError(f"--skip {', '.join(unknown)}: no such control in the pack's catalog")
    result = AuditResult(account="unknown", region=region, stack=options.stack)
    reader = Reader(session, result, options.endpoint_url, options.workers)
    try:
        identity = reader.probe("sts").get_caller_identity()
        result.account = identity["Account"]
    except NoCredentialsError:
        raise AuditError(
            "no AWS credentials found (set AWS_PROFILE / --profile, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY); nothing was audited"
        ) from None
    except EndpointConnectionError as exc:
        raise AuditError(f"cannot reach AWS: {exc}; nothing was audited") from None
    except ClientError as exc:
        code = error_code(exc)
        if not code or code == "Unknown" or code.isdigit():  # no AWS error code, or a bare HTTP status: not AWS
            raise AuditError(
                f"{options.endpoint_url or 'AWS'} answered sts:GetCallerIdentity with {error_text(exc)}, not an "
                "AWS error; nothing was audited"
            ) from None
        result.add_incomplete(Incomplete("account identity", f"sts:GetCallerIdentity: {error_text(exc)}"))
    except BotoCoreError as exc:
        raise AuditError(f"cannot reach AWS: {error_text(exc)}; nothing was audited") from None
    except Exception as exc:  # an answer that is not AWS's (random bytes, another service's XML or JSON)
        where = options.endpoint_url or "AWS"
        raise AuditError(
            f"{where} did not answer sts:GetCallerIdentity as AWS does ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:200]}); nothing was audited"
        ) from None
    if not result.incomplete and not (isinstance(result.account, str) and result.account.isdigit()):
        raise AuditError(
            f"{options.endpoint_url or 'AWS'} answered sts:GetCallerIdentity without an account id "
            f"({result.account!r}); nothing was audited"
        )
    if options.stack_account is not None and result.account != options.stack_account:
        raise AuditError(
            f"--stack {options.stack} deploys into account {options.stack_account} (its account_id), but these "
            f"credentials are of account {result.account}: use the auditor role of account {options.stack_account}, "
            "or leave out --stack to audit this account without comparing it with the stack; nothing was audited"
        )
    ctx = Context(
        reader,
        catalog,
        result,
        Thresholds.from_catalog(catalog),
        tags=options.stack is not None,
        progress=options.progress,
        skip=options.skip,
    )
    with ThreadPoolExecutor(max_workers=len(PHASE_ONE)) as pool:
        list(pool.map(lambda step: _guarded(ctx, step[0], step[1]), PHASE_ONE))
    _guarded(ctx, "S3 buckets", s3.read)
    _guarded(ctx, "CloudWatch subscription filters", log_copies.read_subscriptions)
    for label, fn in CHECKS:
        _guarded(ctx, label, fn)
    if options.stack is not None:
        from .drift import drift

        _guarded(ctx, f"drift of stack {options.stack}", lambda c: drift(c, options))
    result.skipped = sorted(options.skip)
    # a control the pack config disables is not reported, as the pack reports nothing for a disabled policy
    result.findings = [f for f in result.findings if f.control not in options.skip and f.level != "disabled"]
    result.drift = [d for d in result.drift if d.control not in options.skip]
    result.seconds = time.monotonic() - started
    result.sort()
    return result
