"""The audit under hostile use (issue 19): an endpoint that answers junk or is not a URL is exit 2 in one line;
`--stack` against another account than the stack's is refused, and so is `report --audit` with another
account's findings or an audit file whose counts disagree with its lists."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import MOTO_SKIP, ROOT, TEST_ENV, audit, reset
from .seed import ACCOUNT, seed_stack

JUNK = {
    "random-bytes": (200, b"\xbb\x03\x89\t\x075\xe9\xbf{\x8a\x8c\xc9e\xce\xd8\xe9\xdd"),
    "foreign-json": (200, b'{"hello": "world"}'),
    "foreign-xml": (200, b"<html><body>hello</body></html>"),
    "xml-without-account": (
        200,
        b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>nobody</Account>"
        b"</GetCallerIdentityResult></GetCallerIdentityResponse>",
    ),
    "error-page": (500, b"<h1>Internal Server Error</h1>"),
}


@pytest.fixture
def junk_server(request: pytest.FixtureRequest) -> Iterator[str]:
    status, body = JUNK[request.param]

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _one_line_exit_2(run: object, *expected: str) -> None:
    code, stderr = getattr(run, "code"), getattr(run, "stderr")  # noqa: B009
    assert code == 2, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    for text in expected:
        assert text in stderr, stderr


@pytest.mark.parametrize("junk_server", list(JUNK), indirect=True)
def test_an_endpoint_answering_junk_is_exit_2_in_one_line(junk_server: str) -> None:
    run = audit(junk_server, "--region", "us-east-1", timeout=60)
    _one_line_exit_2(run, junk_server, "nothing was audited")


@pytest.mark.parametrize("url", ["not-a-url", "ftp://127.0.0.1:5000", "http://", "127.0.0.1:5000"])
def test_an_endpoint_that_is_not_a_url_is_exit_2_in_one_line(url: str) -> None:
    run = audit(url, "--region", "us-east-1")
    _one_line_exit_2(run, f"--endpoint-url {url!r}: not an http(s) URL with a host")


def test_audit_of_a_stack_in_another_account_is_refused(endpoint: str, prod: object) -> None:
    """stacks/Pulumi.prod.yaml deploys into 111122223333; moto's account is another one."""
    reset(endpoint)
    seed_stack(prod, endpoint)
    run = audit(endpoint, *MOTO_SKIP, "--stack", "prod")
    _one_line_exit_2(run, "--stack prod deploys into account 111122223333", f"of account {ACCOUNT}")


def test_report_refuses_another_accounts_audit_and_an_edited_one(
    endpoint: str, prod: object, moto_prod: tuple[str, ...], tmp_path: Path
) -> None:
    reset(endpoint)
    seed_stack(prod, endpoint)
    audit_file = tmp_path / "audit.json"
    run = audit(endpoint, "--format", "json", *MOTO_SKIP, *moto_prod, "--out", str(audit_file))
    assert run.code == 0, run.stderr
    data = json.loads(audit_file.read_text(encoding="utf-8"))
    assert data["account"] == ACCOUNT

    def report(path: Path, *stack: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "enclave", "report", *stack, "--out", str(tmp_path / "r"), "--audit", str(path)],
            cwd=ROOT, env={**os.environ, **TEST_ENV}, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    # the real prod stack (account 111122223333) with moto's account's audit: refused, nothing written
    other = report(audit_file, "--stack", "prod")
    assert other.returncode == 2 and "Traceback" not in other.stderr, other.stderr
    assert f"account = '{ACCOUNT}', but stack prod deploys into account '111122223333'" in other.stderr
    assert not (tmp_path / "r").exists()
    # counts kept while a finding is added by hand (or removed): refused
    added = {"control": "S3-05", "citations": [], "severity": "high", "resource": "x", "message": "m",
             "level": "mandatory"}  # fmt: skip
    edited = {**data, "findings": [*data["findings"], added]}
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited), encoding="utf-8")
    result = report(path, *moto_prod)
    assert result.returncode == 2 and "summary.findings: 0 but the file lists 1" in result.stderr, result.stderr
    negative = {**data, "summary": {**data["summary"], "mandatory": -1}}
    path.write_text(json.dumps(negative), encoding="utf-8")
    result = report(path, *moto_prod)
    assert result.returncode == 2 and "summary.mandatory: -1 is not a count" in result.stderr, result.stderr
    # the same account's audit is taken
    result = report(audit_file, *moto_prod)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "r" / "report.json").read_text())["facts"]["auditAccount"] == ACCOUNT
