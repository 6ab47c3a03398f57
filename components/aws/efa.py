"""EFA network-interface layouts per instance type (AWS's current recommended layout; pure, no Pulumi)."""

from __future__ import annotations

from dataclasses import dataclass

from ..instance_types import efa_instance_types, lookup

ENA = "interface"  # EC2 InterfaceType of an ENA-only interface (the default when the type is omitted)
EFA_ONLY = "efa-only"


@dataclass(frozen=True)
class Interface:
    """One network interface of a launch template: where it sits and what kind it is."""

    network_card_index: int
    device_index: int
    interface_type: str

    @property
    def efa(self) -> bool:
        return self.interface_type != ENA


# Every instance's primary interface: card 0, device 0, ENA. AWS refuses an EFA-only primary interface.
PRIMARY = Interface(network_card_index=0, device_index=0, interface_type=ENA)


def interface_layout(instance_type: str) -> list[Interface]:
    """The interfaces AWS currently recommends for EFA on `instance_type`, primary first.

    ENA primary on card 0 / device 0; an EFA-only interface on card 0 / device 1 when card 0 supports
    EFA; an EFA-only interface at device 0 on every further card. See the ``instance_types`` module
    docstring for the AWS pages this follows (efa-acc-inst-types, current version).
    """
    facts = lookup(instance_type)
    if facts is None or not facts.efa_supported:
        raise ValueError(
            f"{instance_type!r} has no EFA support in the instance-type catalog; "
            f"EFA instance types: {', '.join(efa_instance_types())}"
        )
    layout = [PRIMARY]
    if facts.efa_on_card0:
        layout.append(Interface(network_card_index=0, device_index=1, interface_type=EFA_ONLY))
    layout += [
        Interface(network_card_index=card, device_index=0, interface_type=EFA_ONLY)
        for card in range(1, facts.network_cards)
    ]
    efa_count = sum(1 for i in layout if i.efa)
    if efa_count != facts.max_efa_interfaces:
        # The catalog and the layout disagree: a wrong entry would attach too few or too many EFAs.
        raise ValueError(
            f"{instance_type}: layout gives {efa_count} EFA interfaces but the catalog says "
            f"{facts.max_efa_interfaces}; fix components/instance_types.py"
        )
    return layout
