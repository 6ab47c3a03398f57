"""Component test harness: build components under mocks, look up captured registrations by type/name."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from enclave.fakes import FakeCloud
from enclave.synth import run_under_mocks

ACCOUNT = "111122223333"
REGION = "us-east-1"


@dataclass
class Captured:
    resources: list[dict[str, Any]]

    def of_type(self, typ: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == typ]

    def one(self, typ: str, name: str | None = None) -> dict[str, Any]:
        found = [r for r in self.of_type(typ) if name is None or r["name"] == name]
        assert len(found) == 1, f"expected one {typ} {name or ''}, found {[r['urn'] for r in found]}"
        return found[0]

    def urn(self, typ: str, name: str | None = None) -> str:
        return str(self.one(typ, name)["urn"])

    def doc(self, typ: str, name: str | None = None, key: str = "policy") -> Any:
        """A JSON-document input (policies) decoded."""
        return json.loads(self.one(typ, name)["inputs"][key])


def capture(
    build: Callable[[], object], *, preview: bool = False, region: str = REGION, cloud: FakeCloud | None = None
) -> Captured:
    """Run `build` (which constructs components) under mocks and capture every registration."""
    cloud = cloud or FakeCloud(region=region, account_id=ACCOUNT)

    def program() -> None:
        build()

    return Captured(run_under_mocks(program, preview=preview, cloud=cloud))
