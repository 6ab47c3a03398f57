"""EFA interface layouts: AWS's current recommended layout per instance type, counts from the catalog."""

from __future__ import annotations

import pytest

from components.aws.efa import EFA_ONLY, ENA, PRIMARY, Interface, interface_layout
from components.instance_types import INSTANCE_TYPES, efa_instance_types


def efa_interfaces(layout: list[Interface]) -> list[Interface]:
    return [i for i in layout if i.interface_type == EFA_ONLY]


def test_p5_layout() -> None:
    layout = interface_layout("p5.48xlarge")
    assert len(layout) == 33
    assert len(efa_interfaces(layout)) == 32
    assert layout[0] == Interface(0, 0, ENA)
    assert layout[1] == Interface(0, 1, EFA_ONLY)
    assert layout[2:] == [Interface(card, 0, EFA_ONLY) for card in range(1, 32)]


def test_p5e_matches_p5() -> None:
    assert interface_layout("p5e.48xlarge") == interface_layout("p5.48xlarge")


def test_p4d_layout() -> None:
    layout = interface_layout("p4d.24xlarge")
    assert len(efa_interfaces(layout)) == 4
    assert layout == [
        Interface(0, 0, ENA),
        Interface(0, 1, EFA_ONLY),
        Interface(1, 0, EFA_ONLY),
        Interface(2, 0, EFA_ONLY),
        Interface(3, 0, EFA_ONLY),
    ]


def test_p5en_layout() -> None:
    layout = interface_layout("p5en.48xlarge")
    assert len(layout) == 17
    assert len(efa_interfaces(layout)) == 16
    assert {i.network_card_index for i in efa_interfaces(layout)} == set(range(16))


def test_p6_b200_layout() -> None:
    layout = interface_layout("p6-b200.48xlarge")
    assert len(efa_interfaces(layout)) == 8
    assert layout[1] == Interface(0, 1, EFA_ONLY)


def test_p6_b300_card0_is_ena_only() -> None:
    layout = interface_layout("p6-b300.48xlarge")
    assert len(layout) == 17
    efa = efa_interfaces(layout)
    assert len(efa) == 16
    assert all(i.network_card_index != 0 for i in efa), efa
    assert [i for i in layout if i.network_card_index == 0] == [PRIMARY]
    assert efa == [Interface(card, 0, EFA_ONLY) for card in range(1, 17)]


def test_single_card_type_gets_efa_only_on_card0_device1() -> None:
    assert interface_layout("g5.48xlarge") == [PRIMARY, Interface(0, 1, EFA_ONLY)]


@pytest.mark.parametrize("instance_type", efa_instance_types())
def test_layout_rules_for_every_efa_type(instance_type: str) -> None:
    facts = INSTANCE_TYPES[instance_type]
    layout = interface_layout(instance_type)
    # The primary is ENA on card 0 / device 0 (AWS refuses an EFA-only primary).
    assert layout[0] == PRIMARY and layout[0].interface_type == ENA
    assert [i for i in layout if i.interface_type == ENA] == [PRIMARY]
    # One EFA per network card at most, and every card index exists on the type.
    efa = efa_interfaces(layout)
    assert len(efa) == facts.max_efa_interfaces
    assert len({i.network_card_index for i in efa}) == len(efa)
    assert all(0 <= i.network_card_index < facts.network_cards for i in layout)
    assert len({(i.network_card_index, i.device_index) for i in layout}) == len(layout)
    # Card 0 carries an EFA-only interface (at device 1) exactly when the catalog says it supports EFA.
    assert (Interface(0, 1, EFA_ONLY) in layout) is facts.efa_on_card0
    assert all(i.device_index == 0 for i in efa if i.network_card_index > 0)


@pytest.mark.parametrize("instance_type", ["g5.xlarge", "m7i.xlarge"])
def test_non_efa_type_is_refused_with_the_supported_list(instance_type: str) -> None:
    with pytest.raises(ValueError) as err:
        interface_layout(instance_type)
    message = str(err.value)
    assert instance_type in message
    assert "p5.48xlarge" in message and "p4d.24xlarge" in message
    assert "g5.xlarge, " not in message  # only EFA-capable types are listed
