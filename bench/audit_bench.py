"""`enclave audit` benchmark: wall time of a full audit of a moto server seeded with 300+ resources.

    .venv/bin/python bench/audit_bench.py [--repeat 3] [--extra 80]

Seeds the prod stack's resources (tests/enclave/audit/seed.py) plus `--extra` each of IAM roles, KMS keys,
S3 buckets and log groups, then runs `enclave audit --endpoint-url ... --format json` in a subprocess per
repeat (interpreter start and imports included) and prints median / min / max wall seconds and the counts.
moto runs in this process on 127.0.0.1 (its answers, not AWS's latencies: a real account adds network time,
which the bounded per-service concurrency overlaps). Figures: bench/audit.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--extra", type=int, default=80)
    parser.add_argument("--workers", type=int, nargs="+", default=[16, 1], help="detail reads in flight per service")
    args = parser.parse_args()
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    from enclave.synth import synth
    from tests.enclave.audit.conftest import TEST_ENV, free_port
    from tests.enclave.audit.seed import ACCOUNT, clients, seed_stack

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        seed_stack(synth("prod", account_id=ACCOUNT), endpoint)
        c = clients(endpoint)
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        )
        for i in range(args.extra):
            c["iam"].create_role(RoleName=f"bench-{i:03d}", AssumeRolePolicyDocument=trust)
            c["kms"].create_key(Description=f"bench {i}")
            c["s3"].create_bucket(Bucket=f"bench-{i:03d}")
            c["logs"].create_log_group(logGroupName=f"/bench/{i:03d}")
        base = [sys.executable, "-m", "enclave.cli", "audit", "--endpoint-url", endpoint, "--format", "json"]
        for workers in args.workers:
            cmd = [*base, "--workers", str(workers)]
            times, report = [], {}
            for _ in range(args.repeat):
                start = time.perf_counter()
                proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **TEST_ENV}, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                report = json.loads(proc.stdout)
            summary = report["summary"]
            total = sum(summary["resources"].values())
            print(f"command: enclave audit --endpoint-url URL --format json --workers {workers}")
            print(f"  resources read: {total} ({', '.join(f'{n} {k}' for k, n in summary['resources'].items())})")
            print(
                f"  findings: {summary['findings']} under {summary['controls']} controls; "
                f"incomplete: {summary['incomplete']}"
            )
            print(
                f"  wall seconds over {args.repeat} runs: median {statistics.median(times):.2f}, min {min(times):.2f}, "
                f"max {max(times):.2f}; the audit's own timer (last run): {summary['seconds']:.2f}"
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
