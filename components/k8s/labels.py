"""Label and annotation keys shared by every Kubernetes object GPU Enclave creates."""

# The zone label names nodes (scheduling) and namespaces alike.
from ..scheduling import ZONE_LABEL as ZONE_LABEL

CLASS_LABEL = "enclave.dev/zone-class"
STAGE_LABEL = "enclave.dev/stage"
MANAGED_BY = {"app.kubernetes.io/managed-by": "gpu-enclave"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
PSA_WARN = "pod-security.kubernetes.io/warn"
PSA_AUDIT = "pod-security.kubernetes.io/audit"
ISTIO_INJECTION = "istio-injection"

# Pod Security Admission profile enforced per zone class (DESIGN: trust-zone table); warn and audit
# are `restricted` everywhere, so baseline zones still report what would break under restricted.
PSA_BY_CLASS = {"platform": "baseline", "training": "baseline", "inference": "restricted", "notebooks": "restricted"}
# Why each class enforces what it does, written onto the namespace for whoever reviews the cluster. The
# workload pod template (components.k8s.pod_spec) meets restricted in every zone.
PSA_REASON_ANNOTATION = "enclave.dev/pod-security-reason"
PSA_REASON_BY_CLASS = {
    "platform": "baseline: platform services include third-party charts (ingress gateway, monitoring agents) that "
    "do not all drop every capability or set a seccomp profile; restricted is warned and audited",
    "training": "baseline: framework and NGC training images commonly run as root, which restricted refuses "
    "(runAsNonRoot); the workload pod template meets restricted, and restricted is warned and audited",
    "inference": "restricted: serving production traffic, the zone's pods run hardened only",
    "notebooks": "restricted: notebooks execute arbitrary code, so their pods run hardened only",
}
