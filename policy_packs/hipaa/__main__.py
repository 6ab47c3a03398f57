"""GPU Enclave's HIPAA policy pack: `pulumi preview --policy-pack policy_packs/hipaa` (the engine runs it as
`python -m pulumi.policy <engine> policy_packs/hipaa`, which puts this directory first on sys.path)."""

from catalog import CONTROLS
from framework.rules import load_all
from framework.server import serve

serve(
    "gpu-enclave-hipaa",
    load_all("rules"),
    CONTROLS,
    "HIPAA Security Rule controls for GPU clusters on EKS: keys, buckets, cluster, nodes, identity, logging, "
    "network perimeter, trust zones and service mesh.",
)
