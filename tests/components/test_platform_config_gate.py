"""A PlatformConfig that skipped the cross-field rules cannot reach Platform: it is refused with the same
problems the loader reports, before anything is registered."""

from __future__ import annotations

import pytest

from components.config import ConfigError, PlatformConfig, validate_platform
from components.platform import Platform
from tests.components.harness import capture
from tests.conftest import stack_data


def without_platform_zone() -> PlatformConfig:
    data = stack_data("prod")
    data["zones"] = [z for z in data["zones"] if z["class"] != "platform"]
    # model_validate checks each field; only the cross-field rules know a platform zone is required.
    return PlatformConfig.model_validate(data)


def test_model_validate_alone_accepts_what_the_rules_refuse() -> None:
    cfg = without_platform_zone()
    with pytest.raises(ConfigError):
        validate_platform(cfg.model_dump(mode="json", by_alias=True, exclude_unset=True))


def test_platform_refuses_a_config_that_skipped_the_rules_and_registers_nothing() -> None:
    cfg = without_platform_zone()
    with pytest.raises(ConfigError) as caught:
        capture(lambda: Platform(cfg))
    text = str(caught.value)
    assert "the PlatformConfig given to Platform" in text
    assert "platform" in text and "zones" in text
    assert caught.value.registered == []


def test_platform_refuses_an_edited_copy_of_a_valid_config() -> None:
    cfg = validate_platform(stack_data("prod"))
    # A pool moved to a zone that does not exist: only the cross-field rules see it.
    pools = [p.model_copy(update={"zone": "nowhere"}) for p in cfg.node_pools]
    broken = cfg.model_copy(update={"node_pools": pools})
    with pytest.raises(ConfigError) as caught:
        capture(lambda: Platform(broken))
    assert "node_pools[0].zone" in str(caught.value) and "'nowhere'" in str(caught.value)


def test_platform_accepts_the_validated_config() -> None:
    cfg = validate_platform(stack_data("dev"))
    captured = capture(lambda: Platform(cfg))
    assert captured.of_type("enclave:index:Platform")
