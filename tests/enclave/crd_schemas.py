"""JSON Schemas of the published field sets of the CRDs GPU Enclave renders (Istio security.istio.io/v1 and
networking.istio.io/v1, Cilium cilium.io/v2, Kyverno kyverno.io/v1, Multus k8s.cni.cncf.io/v1, the Secrets Store CSI
driver's secrets-store.csi.x-k8s.io/v1).

kubernetes-validate knows only built-in kinds; these schemas close the gap. Every object level that
GPU Enclave writes is `additionalProperties: false`, so a misspelt field fails the test."""

from __future__ import annotations

from typing import Any

S: dict[str, Any] = {"type": "string"}
STRS: dict[str, Any] = {"type": "array", "items": S}
ANY_OBJ: dict[str, Any] = {"type": "object"}


def obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


STRING_MATCH = obj({"exact": S, "prefix": S, "regex": S})
ISTIO_CLIENT_TLS = obj(
    {
        "mode": {"enum": ["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]},
        **{k: S for k in ("clientCertificate", "privateKey", "caCertificates", "credentialName", "sni", "caCrl")},
        "subjectAltNames": STRS,
        "insecureSkipVerify": {"type": "boolean"},
    }
)
LABEL_SELECTOR = obj({"matchLabels": ANY_OBJ, "matchExpressions": {"type": "array"}})
META = {"type": "object", "required": ["name"], "properties": {"name": S, "namespace": S}}

ISTIO_SOURCE = obj(
    {
        k: STRS
        for k in (
            "principals",
            "notPrincipals",
            "requestPrincipals",
            "notRequestPrincipals",
            "namespaces",
            "notNamespaces",
            "ipBlocks",
            "notIpBlocks",
            "remoteIpBlocks",
            "notRemoteIpBlocks",
        )
    }
)
ISTIO_OPERATION = obj(
    {k: STRS for k in ("hosts", "notHosts", "ports", "notPorts", "methods", "notMethods", "paths", "notPaths")}
)

SPECS: dict[tuple[str, str], dict[str, Any]] = {
    ("security.istio.io/v1", "PeerAuthentication"): obj(
        {
            "selector": LABEL_SELECTOR,
            "mtls": obj({"mode": {"enum": ["UNSET", "DISABLE", "PERMISSIVE", "STRICT"]}}),
            "portLevelMtls": ANY_OBJ,
        }
    ),
    ("security.istio.io/v1", "AuthorizationPolicy"): obj(
        {
            "selector": LABEL_SELECTOR,
            "targetRef": ANY_OBJ,
            "targetRefs": {"type": "array"},
            "action": {"enum": ["ALLOW", "DENY", "AUDIT", "CUSTOM"]},
            "provider": ANY_OBJ,
            "rules": {
                "type": "array",
                "items": obj(
                    {
                        "from": {"type": "array", "items": obj({"source": ISTIO_SOURCE})},
                        "to": {"type": "array", "items": obj({"operation": ISTIO_OPERATION})},
                        "when": {"type": "array"},
                    }
                ),
            },
        }
    ),
    ("networking.istio.io/v1", "Sidecar"): obj(
        {
            "workloadSelector": ANY_OBJ,
            "ingress": {"type": "array"},
            "egress": {
                "type": "array",
                "items": obj({"port": ANY_OBJ, "bind": S, "captureMode": S, "hosts": STRS}, ("hosts",)),
            },
            "outboundTrafficPolicy": obj({"mode": {"enum": ["REGISTRY_ONLY", "ALLOW_ANY"]}, "egressProxy": ANY_OBJ}),
            "inboundConnectionPool": ANY_OBJ,
        }
    ),
    ("networking.istio.io/v1", "ServiceEntry"): obj(
        {
            "hosts": STRS,
            "addresses": STRS,
            "ports": {
                "type": "array",
                "items": obj(
                    {"number": {"type": "integer"}, "protocol": S, "name": S, "targetPort": {"type": "integer"}},
                    ("number", "name"),
                ),
            },
            "location": {"enum": ["MESH_EXTERNAL", "MESH_INTERNAL"]},
            "resolution": {"enum": ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"]},
            "endpoints": {"type": "array"},
            "workloadSelector": ANY_OBJ,
            "exportTo": STRS,
            "subjectAltNames": STRS,
        },
        ("hosts",),
    ),
    ("networking.istio.io/v1", "DestinationRule"): obj(
        {
            "host": S,
            "trafficPolicy": obj(
                {
                    **{
                        k: ANY_OBJ
                        for k in ("loadBalancer", "connectionPool", "outlierDetection", "tunnel", "proxyProtocol")
                    },
                    "tls": ISTIO_CLIENT_TLS,
                    "portLevelSettings": {
                        "type": "array",
                        "items": obj(
                            {
                                "port": obj({"number": {"type": "integer"}}),
                                **{k: ANY_OBJ for k in ("loadBalancer", "connectionPool", "outlierDetection")},
                                "tls": ISTIO_CLIENT_TLS,
                            }
                        ),
                    },
                }
            ),
            "subsets": {"type": "array"},
            "exportTo": STRS,
            "workloadSelector": ANY_OBJ,
        },
        ("host",),
    ),
    ("networking.istio.io/v1", "VirtualService"): obj(
        {
            "hosts": STRS,
            "gateways": STRS,
            "exportTo": STRS,
            "tls": {"type": "array"},
            "tcp": {"type": "array"},
            "http": {
                "type": "array",
                "items": obj(
                    {
                        "name": S,
                        "match": {
                            "type": "array",
                            "items": obj(
                                {
                                    k: ANY_OBJ
                                    for k in ("uri", "scheme", "authority", "headers", "queryParams", "withoutHeaders")
                                }
                                | {
                                    "name": S,
                                    "method": STRING_MATCH,
                                    "port": {"type": "integer"},
                                    "sourceLabels": ANY_OBJ,
                                    "gateways": STRS,
                                    "ignoreUriCase": {"type": "boolean"},
                                    "sourceNamespace": S,
                                    "statPrefix": S,
                                }
                            ),
                        },
                        "route": {
                            "type": "array",
                            "items": obj(
                                {
                                    "destination": obj(
                                        {"host": S, "subset": S, "port": obj({"number": {"type": "integer"}})},
                                        ("host",),
                                    ),
                                    "weight": {"type": "integer"},
                                    "headers": ANY_OBJ,
                                }
                            ),
                        },
                        "fault": obj(
                            {
                                "delay": ANY_OBJ,
                                "abort": obj(
                                    {
                                        "httpStatus": {"type": "integer"},
                                        "grpcStatus": S,
                                        "http2Error": S,
                                        "percentage": obj({"value": {"type": "number"}}),
                                    }
                                ),
                            }
                        ),
                        **{
                            k: ANY_OBJ
                            for k in (
                                "redirect",
                                "directResponse",
                                "delegate",
                                "rewrite",
                                "retries",
                                "mirror",
                                "mirrorPercentage",
                                "corsPolicy",
                                "headers",
                            )
                        },
                        "timeout": S,
                        "mirrors": {"type": "array"},
                    }
                ),
            },
        },
    ),
    ("cilium.io/v2", "CiliumNetworkPolicy"): obj(
        {
            "endpointSelector": ANY_OBJ,
            "nodeSelector": ANY_OBJ,
            "ingress": {"type": "array"},
            "ingressDeny": {"type": "array"},
            "egressDeny": {"type": "array"},
            "labels": {"type": "array"},
            "description": S,
            "enableDefaultDeny": ANY_OBJ,
            "egress": {
                "type": "array",
                "items": obj(
                    {
                        "toEndpoints": {"type": "array"},
                        "toFQDNs": {"type": "array", "items": obj({"matchName": S, "matchPattern": S})},
                        "toPorts": {
                            "type": "array",
                            "items": obj(
                                {
                                    "ports": {
                                        "type": "array",
                                        "items": obj(
                                            {
                                                "port": S,
                                                "endPort": {"type": "integer"},
                                                "protocol": {"enum": ["TCP", "UDP", "SCTP", "ICMP", "ICMPv6", "ANY"]},
                                            }
                                        ),
                                    },
                                    "rules": obj(
                                        {
                                            "dns": {"type": "array", "items": obj({"matchName": S, "matchPattern": S})},
                                            "http": {"type": "array"},
                                            "kafka": {"type": "array"},
                                            "l7proto": S,
                                            "l7": {"type": "array"},
                                        }
                                    ),
                                    "terminatingTLS": ANY_OBJ,
                                    "originatingTLS": ANY_OBJ,
                                    "serverNames": STRS,
                                    "listener": ANY_OBJ,
                                }
                            ),
                        },
                        "toCIDR": STRS,
                        "toCIDRSet": {"type": "array"},
                        "toEntities": STRS,
                        "toServices": {"type": "array"},
                        "toGroups": {"type": "array"},
                        "toRequires": {"type": "array"},
                        "toNodes": {"type": "array"},
                        "icmps": {"type": "array"},
                        "authentication": ANY_OBJ,
                    }
                ),
            },
        }
    ),
    ("kyverno.io/v1", "ClusterPolicy"): obj(
        {
            "background": {"type": "boolean"},
            "admission": {"type": "boolean"},
            "applyRules": S,
            "emitWarning": {"type": "boolean"},
            "failurePolicy": S,
            "validationFailureAction": S,
            "validationFailureActionOverrides": {"type": "array"},
            "webhookTimeoutSeconds": {"type": "integer"},
            "webhookConfiguration": ANY_OBJ,
            "useServerSideApply": {"type": "boolean"},
            "schemaValidation": {"type": "boolean"},
            "generateExisting": {"type": "boolean"},
            "mutateExistingOnPolicyUpdate": {"type": "boolean"},
            "evaluation": ANY_OBJ,
            "rules": {
                "type": "array",
                "items": obj(
                    {
                        "name": S,
                        "match": ANY_OBJ,
                        "exclude": ANY_OBJ,
                        "context": {"type": "array"},
                        "preconditions": ANY_OBJ,
                        "celPreconditions": {"type": "array"},
                        "mutate": ANY_OBJ,
                        "generate": ANY_OBJ,
                        "verifyImages": {"type": "array"},
                        "skipBackgroundRequests": {"type": "boolean"},
                        "reportProperties": ANY_OBJ,
                        "validate": obj(
                            {
                                "failureAction": {"enum": ["Audit", "Enforce"]},
                                "message": S,
                                "pattern": ANY_OBJ,
                                "anyPattern": {"type": "array"},
                                "deny": ANY_OBJ,
                                "foreach": {"type": "array"},
                                "podSecurity": ANY_OBJ,
                                "cel": ANY_OBJ,
                                "allowExistingViolations": {"type": "boolean"},
                                "failureActionOverrides": {"type": "array"},
                                "manifests": ANY_OBJ,
                            }
                        ),
                    },
                    ("name",),
                ),
            },
        },
        ("rules",),
    ),
    ("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition"): obj({"config": S}),
    # The Secrets Store CSI driver's CRD (v1.4): parameters is a map of strings (the provider's own grammar).
    ("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"): obj(
        {
            "provider": S,
            "parameters": {"type": "object", "additionalProperties": S},
            "secretObjects": {"type": "array"},
        },
        ("provider",),
    ),
}


def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    spec = SPECS.get((api_version, kind))
    if spec is None:
        return None
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": META, "spec": spec},
    }
