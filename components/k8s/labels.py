"""Label and annotation keys shared by every Kubernetes object GPU Enclave creates."""

ZONE_LABEL = "enclave.dev/zone"
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
