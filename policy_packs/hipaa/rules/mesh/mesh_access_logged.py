"""DETECT-02: the mesh writes access logs (who called whom), for every sidecar istiod configures."""

from collections.abc import Iterator

from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.values import UNKNOWN

from .helm import releases, value_at, values


@stack_rule("mesh-access-logged", "DETECT-02", "Mesh access logs are written")
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for istiod in releases(stack, "istiod"):
        data = values(istiod)
        if data is UNKNOWN:
            yield Finding(istiod.urn, f"{istiod.label()}: its values are not known yet", True)
        elif not value_at(data, "meshConfig.accessLogFile"):
            yield Finding(
                istiod.urn, f"{istiod.label()}: meshConfig.accessLogFile is not set; the mesh records no access log"
            )
