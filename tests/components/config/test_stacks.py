"""The shipped stacks validate and say what a platform team expects of them."""

from __future__ import annotations

import pytest

from components.config import PlatformConfig, validate_platform
from components.instance_types import lookup
from tests.conftest import STACKS, stack_data


@pytest.fixture(params=STACKS)
def cfg(request: pytest.FixtureRequest) -> PlatformConfig:
    return validate_platform(stack_data(request.param))


def test_every_stack_validates(cfg: PlatformConfig) -> None:
    assert cfg.environment in STACKS


def test_prod_has_every_zone_class_and_gpu_pools() -> None:
    cfg = validate_platform(stack_data("prod"))
    assert {z.zone_class for z in cfg.zones} == {"platform", "training", "inference", "notebooks"}
    efa = [p for p in cfg.node_pools if p.efa]
    assert any(p.instance_types == ["p5.48xlarge"] for p in efa), "prod needs a p5.48xlarge EFA pool"
    assert all(cfg.zone(p.zone).zone_class == "training" for p in efa)
    assert any(cfg.zone(p.zone).zone_class == "inference" for p in cfg.node_pools)
    assert {b.purpose for b in cfg.buckets} == {"datasets", "models", "checkpoints", "audit-logs"}
    classes = {cfg.zone(i.zone).zone_class for i in cfg.identities}
    assert {"training", "inference", "notebooks"} <= classes
    assert cfg.cluster.mode == "create" and not cfg.cluster.endpoint.public
    assert cfg.logging.audit_retention_days >= 2192, "six years of audit retention in prod"


def test_secure_defaults_when_fields_are_omitted() -> None:
    minimal = stack_data("dev")
    cfg = validate_platform(minimal)
    zone = cfg.zone("notebooks")
    assert zone.egress.allow_internet is False
    assert zone.egress.cidrs == []
    ident = cfg.identities[0]
    assert ident.automount_service_account_token is False
    assert ident.token_expiration_seconds == 3600
    assert all(b.force_destroy is False for b in cfg.buckets)
    pool = cfg.node_pools[0]
    assert pool.efa is False and pool.capacity_type == "ON_DEMAND"


def test_efa_catalog_covers_documented_types() -> None:
    for name, cards in (("p5.48xlarge", 32), ("p5e.48xlarge", 32), ("p4d.24xlarge", 4)):
        info = lookup(name)
        assert info is not None and info.network_cards == cards and info.efa_supported, name
    g = lookup("g6e.2xlarge")
    assert g is not None and not g.efa_supported


@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_instance_type_is_in_the_catalog(stack: str) -> None:
    """Otherwise its nodes carry `enclave.dev/accelerator=unknown` and workloads cannot select them."""
    cfg = validate_platform(stack_data(stack))
    missing = {(p.name, t) for p in cfg.node_pools for t in p.instance_types if lookup(t) is None}
    assert not missing, f"{stack}: instance types missing from components/instance_types.py: {sorted(missing)}"
