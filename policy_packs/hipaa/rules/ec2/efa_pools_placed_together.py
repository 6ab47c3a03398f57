"""EFA-03: an EFA pool's instances share one network segment: a cluster placement group or a reservation."""

from collections.abc import Iterator

from framework.model import Finding, Resource
from framework.rules import Config, resource_rule
from framework.types import LAUNCH_TEMPLATE
from framework.values import MISSING

from .efa_security_group_self_only import efa_interfaces


@resource_rule("efa-pools-placed-together", "EFA-03", "EFA pools are placed on one network segment", LAUNCH_TEMPLATE)
def check(r: Resource, _config: Config) -> Iterator[Finding]:
    if not efa_interfaces(r):
        return
    placed = r.get("placement.groupName") not in (MISSING, None, "")
    reserved = r.get("capacityReservationSpecification.capacityReservationTarget") is not MISSING
    block = r.get("instanceMarketOptions.marketType") == "capacity-block"
    if not (placed or reserved or block):
        yield Finding(r.urn, f"{r.label()} has EFA interfaces but no cluster placement group or capacity reservation")
