"""EC2 accelerated instance types: accelerator and EFA facts used by config validation and node pools.

Where the numbers come from (AWS documentation, read for this table):

* EFA-capable instance types ("Supported instance types" tables, grouped by Nitro/EFA version):
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html#efa-instance-types
* How many EFAs an instance can have ("EFA limitations"): "Instance types that support multiple
  network cards can be configured with one EFA per network card. All other supported instance types
  support only one EFA per instance."
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html#efa-limits
* Network-card counts (the table of instance types with more than one network card; a type that is
  not in it has one network card). That page also says that EFA and EFA-only interfaces count as
  network interfaces, that each network card takes at most one EFA or EFA-only interface, and that
  the primary interface can't be EFA-only:
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html#network-cards
* Recommended multi-card layout and the per-family special cases (P5/P5e, P6-B200, P6-B300):
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html

Recommended layout (efa-acc-inst-types, current version):

1. Primary interface: network card 0, device index 0, ENA (``InterfaceType=interface``).
2. If network card 0 supports EFA: an EFA-only interface on network card 0, device index 1.
3. Every further network card N: an EFA-only interface at device index 0, and optionally an ENA
   interface at device index 1 if more IP bandwidth or IP addresses are needed.

So the number of EFA interfaces this layout attaches is ``network_cards`` when ``efa_on_card0``,
otherwise ``network_cards - 1``. Either way it equals ``max_efa_interfaces`` for every entry below.

Note: an older version of the same AWS page (still served at
https://docs.amazonaws.cn/en_us/AWSEC2/latest/UserGuide/efa-acc-inst-types.html) recommended a
different layout: the primary interface on card 0 / device 0 as "EFA with ENA" (``InterfaceType=efa``),
and every further card on device index 1. Code written against that version (for example dstack's
P5 branch) uses device index 1 on the secondary cards. The current page uses device index 0 for
EFA-only interfaces, and this module follows the current page.

EFA configuration for P5 and P5e (``p5.48xlarge``, ``p5e.48xlarge``), from
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html#efa-for-p5 :
32 network cards and 3,200 Gbps in total, of which at most 800 Gbps can be IP (ENA) traffic. EFA and
IP traffic share the same resources. AWS describes two use cases:

* Use case 1 (save IP addresses and avoid multi-interface Linux IP issues): ENA primary on 0/0,
  EFA-only on 0/1, EFA-only on cards 1-31 at device 0. This gives up to 3,200 Gbps EFA and 100 Gbps IP
  with one private IP. This is the same as the generic layout above.
* Use case 2 (maximum EFA and IP bandwidth): the use case 1 interfaces, plus an ENA interface at
  device index 1 on one card of each group [4-7], [8-11], ..., [28-31]. The AWS example uses cards
  4, 8, 12, 16, 20, 24 and 28. This gives up to 3,200 Gbps EFA and 800 Gbps IP with 8 private IPs.
  Public IPs can't be auto-assigned in this layout; attach an Elastic IP to the primary interface
  after launch.

So for EFA the P5/P5e layout is the generic one. The only P5-specific part is the optional
extra-ENA pattern in use case 2.

Other special layouts on the same page:

* P6-B200: 8 GPUs and 8 network cards; each card supports up to 400 Gbps EFA and 200 Gbps ENA.
  Use case 1 is the generic layout: 0/0 ENA, 0/1 EFA-only, cards 1-7 EFA-only at device 0.
  Use case 2 adds an ENA interface at device 1 on cards 1-7, for up to 1,600 Gbps ENA.
* P6-B300: 8 GPUs and 17 network cards. The primary card (0) supports only an ENA interface, up to
  350 Gbps. Cards 1-16 support up to 400 Gbps EFA and 220 Gbps ENA each. Layout: 0/0 ENA, then
  cards 1-16 EFA-only at device 0, with an optional ENA at device 1 on cards 1-16. That makes 16 EFA
  interfaces, not 17.

Also from efa.md: EFA traffic between P4d/P4de/DL1 instances and other instance types is not
supported. Don't mix them in one EFA placement/communication group.

Accelerator counts: P6-B200/P6-B300 "8 GPUs" come from efa-acc-inst-types. The Trainium counts come
from the AWS Neuron architecture docs (cited per entry). For the NVIDIA P4/P5/G families no AWS spec
table could be read verbatim during this research. Those counts point to the AWS instance-type
specification page (``_AC_SPECS``) and agree with several independent copies of it. Check them with
``aws ec2 describe-instance-types`` (``GpuInfo`` / ``NeuronInfo``) before relying on them for billing
or quota math.
"""

from dataclasses import dataclass

# --- Source URLs ----------------------------------------------------------------------------------
_EFA_TYPES = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html#efa-instance-types"
_EFA_LIMITS = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html#efa-limits"
_NET_CARDS = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html#network-cards"
_EFA_MULTI = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html"
_EFA_P5 = _EFA_MULTI + "#efa-for-p5"
_AC_SPECS = "https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html"
_TRN1_ARCH = "https://awsdocs-neuron.readthedocs-hosted.com/en/v2.9.1/general/arch/neuron-hardware/trn1-arch.html"
_TRN1_EFA = (
    "https://awsdocs-neuron.readthedocs-hosted.com/en/v2.29.1/frameworks/torch/torch-neuronx/"
    "setup-trn1-multi-node-execution.html"
)
_TRN2_ARCH = "https://awsdocs-neuron.readthedocs-hosted.com/en/v2.29.0/about-neuron/arch/neuron-hardware/trn2-arch.html"


@dataclass(frozen=True)
class InstanceType:
    name: str
    accelerator: str  # e.g. "nvidia-h100"
    accelerator_count: int
    network_cards: int
    max_efa_interfaces: int  # 0 = no EFA
    efa_on_card0: bool  # whether network card 0 supports an EFA(-only) interface
    source: str  # AWS doc URL(s) the numbers come from

    @property
    def efa_supported(self) -> bool:
        return self.max_efa_interfaces > 0


def _t(
    name: str,
    accelerator: str,
    accelerator_count: int,
    network_cards: int,
    max_efa_interfaces: int,
    efa_on_card0: bool,
    *sources: str,
) -> tuple[str, InstanceType]:
    return name, InstanceType(
        name=name,
        accelerator=accelerator,
        accelerator_count=accelerator_count,
        network_cards=network_cards,
        max_efa_interfaces=max_efa_interfaces,
        efa_on_card0=efa_on_card0,
        source=" ".join(sources),
    )


# A type with efa_on_card0=True and N network cards gets N EFA interfaces with the recommended layout
# (0/1 plus cards 1..N-1 at device 0). With efa_on_card0=False it gets N-1 (cards 1..N-1 at device 0).
#
# efa_on_card0 for the multi-card types other than P5/P5e/P6-B200/P6-B300: the current AWS page only
# says "if network card index 0 supports EFA". The older version of that page told users to make the
# primary interface on card 0 an "EFA with ENA" interface for every multi-card EFA type. The
# one-EFA-per-network-card rule (efa.md limits) also gives max EFA == network cards. P6-B300 is the
# only listed type that AWS explicitly documents as having an ENA-only card 0 (P6e-GB200, not
# listed here, also uses ENA-only on NCI 0 in the AWS example).
INSTANCE_TYPES: dict[str, InstanceType] = dict(
    [
        # ---- NVIDIA A100 (Nitro v3 / EFA v1; RDMA read yes, RDMA write no) ----------------------
        # 4 network cards (using-eni table) -> 4 EFAs (one per card, efa.md limits).
        _t("p4d.24xlarge", "nvidia-a100", 8, 4, 4, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        _t("p4de.24xlarge", "nvidia-a100", 8, 4, 4, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # ---- NVIDIA H100 / H200 -------------------------------------------------------------------
        # p5/p5e: 32 network cards; the AWS examples put EFA-only on 0/1 and 1-31/0 -> 32 EFAs.
        _t("p5.48xlarge", "nvidia-h100", 8, 32, 32, True, _EFA_TYPES, _NET_CARDS, _EFA_P5, _AC_SPECS),
        _t("p5e.48xlarge", "nvidia-h200", 8, 32, 32, True, _EFA_TYPES, _NET_CARDS, _EFA_P5, _AC_SPECS),
        # p5en (Nitro v5 / EFA v3): 16 network cards -> 16 EFAs. The AWS page has no p5en-specific
        # section; efa_on_card0 follows the general rule (see the note above INSTANCE_TYPES).
        _t("p5en.48xlarge", "nvidia-h200", 8, 16, 16, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # p5.4xlarge: EFA-capable (Nitro v4 table). Not in the multi-card table -> 1 card -> 1 EFA.
        _t("p5.4xlarge", "nvidia-h100", 1, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # ---- NVIDIA Blackwell (Nitro v6 / EFA v4) -------------------------------------------------
        # P6-B200: "8 GPUs and 8 network cards"; AWS layout uses EFA-only on 0/1 and 1-7/0 -> 8 EFAs.
        _t("p6-b200.48xlarge", "nvidia-b200", 8, 8, 8, True, _EFA_TYPES, _NET_CARDS, _EFA_MULTI),
        # P6-B300: "8 GPUs and 17 network cards, where the primary network card supports only an ENA
        # network interface" -> card 0 has no EFA; EFA-only on cards 1-16 -> 16 EFAs.
        _t("p6-b300.48xlarge", "nvidia-b300", 8, 17, 16, False, _EFA_TYPES, _NET_CARDS, _EFA_MULTI),
        # ---- NVIDIA A10G / L4 / L40S ------------------------------------------------------------
        # g5.48xlarge: EFA (Nitro v3, no RDMA). 1 network card -> 1 EFA.
        _t("g5.48xlarge", "nvidia-a10g", 8, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # g6.48xlarge: EFA (Nitro v4). 1 network card -> 1 EFA.
        _t("g6.48xlarge", "nvidia-l4", 8, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # g6e.48xlarge: EFA (Nitro v4). 4 network cards -> 4 EFAs.
        _t("g6e.48xlarge", "nvidia-l40s", 8, 4, 4, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # ---- AWS Trainium (Nitro v4 / v5) --------------------------------------------------------
        # trn1: 8 network cards; the Neuron docs say "trn1.32xlarge has 8 EFA devices,
        # trn1n.32xlarge has 16 EFA devices", which matches one EFA per card.
        _t("trn1.32xlarge", "aws-trainium", 16, 8, 8, True, _EFA_TYPES, _NET_CARDS, _TRN1_EFA, _TRN1_ARCH),
        _t("trn1n.32xlarge", "aws-trainium", 16, 16, 16, True, _EFA_TYPES, _NET_CARDS, _TRN1_EFA, _TRN1_ARCH),
        # trn2: 16 network cards -> 16 EFAs; "Trn2 instances are powered by 16 Trainium2 chips".
        _t(
            "trn2.48xlarge",
            "aws-trainium2",
            16,
            16,
            16,
            True,
            _EFA_TYPES,
            _EFA_LIMITS,
            _NET_CARDS,
            _TRN2_ARCH,
        ),
        # ---- Smaller GPU types (inference / notebooks) -----------------------------------------------
        # Caution: AWS lists g5.12xlarge (Nitro v3), g6.12xlarge (Nitro v4) and g4dn.12xlarge (Nitro v3)
        # as EFA-capable, with 1 EFA each (single network card). They are recorded as EFA types here.
        _t("g5.12xlarge", "nvidia-a10g", 4, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        _t("g6.12xlarge", "nvidia-l4", 4, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        _t("g4dn.12xlarge", "nvidia-t4", 4, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # g6e.12xlarge (1 network card) and g6e.24xlarge (2 network cards) are in the Nitro v4 EFA list.
        _t("g6e.12xlarge", "nvidia-l40s", 4, 1, 1, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        _t("g6e.24xlarge", "nvidia-l40s", 4, 2, 2, True, _EFA_TYPES, _EFA_LIMITS, _NET_CARDS, _AC_SPECS),
        # Not in any EFA "Supported instance types" table -> no EFA. 1 network card.
        _t("g5.xlarge", "nvidia-a10g", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g5.2xlarge", "nvidia-a10g", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g6.xlarge", "nvidia-l4", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g6.2xlarge", "nvidia-l4", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g6.4xlarge", "nvidia-l4", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g6e.xlarge", "nvidia-l40s", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g6e.2xlarge", "nvidia-l40s", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
        _t("g4dn.xlarge", "nvidia-t4", 1, 1, 0, False, _EFA_TYPES, _NET_CARDS, _AC_SPECS),
    ]
)


def efa_instance_types() -> list[str]:
    """Sorted names of the instance types in INSTANCE_TYPES that support EFA."""
    return sorted(name for name, it in INSTANCE_TYPES.items() if it.efa_supported)


def lookup(name: str) -> InstanceType | None:
    """The facts for ``name`` (for example ``"p5.48xlarge"``), or None if the type isn't listed."""
    return INSTANCE_TYPES.get(name)


# NVIDIA GPU families the platform's pools run (the EKS AL2023 NVIDIA AMI and the NVIDIA device plugin), and
# the sizes AWS sells, from the accelerated-computing specifications (_AC_SPECS). EFA facts for the sizes
# that support it are in INSTANCE_TYPES above; every size here has an accelerator label.
GPU_FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "g4dn": ("nvidia-t4", ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "metal")),
    "g5": ("nvidia-a10g", ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "g6": ("nvidia-l4", ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "g6e": ("nvidia-l40s", ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")),
    "gr6": ("nvidia-l4", ("4xlarge", "8xlarge")),
    "p4d": ("nvidia-a100", ("24xlarge",)),
    "p4de": ("nvidia-a100", ("24xlarge",)),
    "p5": ("nvidia-h100", ("4xlarge", "48xlarge")),
    "p5e": ("nvidia-h200", ("48xlarge",)),
    "p5en": ("nvidia-h200", ("48xlarge",)),
    "p6-b200": ("nvidia-b200", ("48xlarge",)),
    "p6-b300": ("nvidia-b300", ("48xlarge",)),
}
# Accelerated families the platform does not run: they need another AMI and device plugin.
OTHER_ACCELERATORS = {
    "trn1": "AWS Trainium",
    "trn1n": "AWS Trainium",
    "trn2": "AWS Trainium2",
    "inf1": "AWS Inferentia",
    "inf2": "AWS Inferentia2",
    "g5g": "NVIDIA T4G on Graviton (arm64)",
    "dl1": "Habana Gaudi",
    "dl2q": "Qualcomm AI 100",
}


def gpu_instance_types() -> list[str]:
    """Every NVIDIA GPU instance type a pool may name."""
    return sorted(f"{family}.{size}" for family, (_, sizes) in GPU_FAMILIES.items() for size in sizes)


def gpu_accelerator(name: str) -> str | None:
    """The accelerator of an NVIDIA GPU instance type ("nvidia-h100"), None when ``name`` is not one."""
    family, _, size = name.partition(".")
    found = GPU_FAMILIES.get(family)
    return found[0] if found is not None and size in found[1] else None
