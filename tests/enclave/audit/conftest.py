"""A real moto HTTP server for the audit tests (one per session), the prod stack's synth, and the CLI run as a
user runs it: a subprocess pointed at the server with --endpoint-url."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from enclave.synth import synth

from .seed import ACCOUNT, PROD_ACCOUNT, REGION

ROOT = Path(__file__).resolve().parents[3]
# what moto 5.2.1's server cannot answer: the add-on and access-entry APIs, DescribeCluster's accessConfig (all
# three reported incomplete; DETECT-06 reads the VPC CNI add-on's configuration), and an encryption rule's
# BlockedEncryptionTypes, which it drops (so S3-02 would find every bucket accepting SSE-C)
MOTO_SKIP = ("--skip", "EKS-04", "--skip", "EKS-05", "--skip", "EKS-06", "--skip", "DETECT-06", "--skip", "S3-02")
TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


def faithful_replication() -> None:
    """moto 5.2.1's GetBucketReplication answers every rule with `Filter: {Prefix: ""}` and drops its
    SourceSelectionCriteria and DeleteMarkerReplication (moto/s3/responses.py): the server in this process answers
    the rules as they were put, as S3 does, so RECOVER-04 is judged on what was configured."""
    from moto.core.responses import ActionResult
    from moto.s3.exceptions import ReplicationConfigurationNotFoundError
    from moto.s3.responses import S3Response

    def blank(value: Any) -> Any:  # xmltodict reads an empty element as None
        if isinstance(value, dict):
            return {k: blank(v) for k, v in value.items()}
        return "" if value is None else value

    def get_bucket_replication(self: Any) -> Any:
        self.data["Action"] = "GetBucketReplication"
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            raise ReplicationConfigurationNotFoundError(bucket_name=self.bucket_name)
        config = {"Role": replication["Role"], "Rules": [blank(rule) for rule in replication["Rule"]]}
        return self.serialized(ActionResult({"ReplicationConfiguration": config}))

    S3Response.get_bucket_replication = get_bucket_replication


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def endpoint() -> Iterator[str]:
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS-managed policies the stack attaches
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    faithful_replication()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def reset(endpoint: str) -> None:
    """A fresh account: moto forgets everything (scenarios never mix)."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).read()


def set_auth(endpoint: str, enforce: bool) -> None:
    """moto's IAM enforcement in server mode: on, every request is authorized against the caller's policies."""
    body = b"0" if enforce else b"inf"
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth", data=body, method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request, timeout=30).read()


@pytest.fixture(scope="session")
def prod() -> Any:
    return synth("prod", account_id=ACCOUNT)


@pytest.fixture(scope="session")
def moto_prod(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """`--stack prod` as the seeded account's stack: the prod stack file and pack config with moto's account in
    place of prod's (an audit with --stack of another account than the stack's account_id is refused)."""
    folder = tmp_path_factory.mktemp("moto-prod")
    stack = folder / "Pulumi.prod.yaml"
    stack.write_text((ROOT / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8").replace(PROD_ACCOUNT, ACCOUNT))
    pack = folder / "prod.json"
    source = ROOT / "policy_packs" / "hipaa" / "config" / "prod.json"
    pack.write_text(source.read_text(encoding="utf-8").replace(PROD_ACCOUNT, ACCOUNT), encoding="utf-8")
    return ("--stack", "prod", "--config-file", str(stack), "--pack-config", str(pack))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data


def audit(endpoint: str, *args: str, env: dict[str, str] | None = None, timeout: int = 120) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "enclave.cli", "audit", "--endpoint-url", endpoint, *args],
        cwd=ROOT,
        env={**os.environ, **TEST_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def pairs(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["control"], f["resource"]) for f in report["findings"]}
