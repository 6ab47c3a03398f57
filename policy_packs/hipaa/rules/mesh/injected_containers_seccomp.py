"""MESH-07: istiod injects its containers (istio-validation, istio-proxy) with a seccomp profile: 1.28's
global.proxy.seccompProfile, or a default injection template that sets RuntimeDefault/Localhost on both. Without
it, restricted Pod Security refuses every pod that sets seccomp per container instead of per pod."""

from collections.abc import Iterator, Mapping

from framework.model import Finding, Stack
from framework.rules import Config, stack_rule
from framework.types import HELM_RELEASE
from framework.values import UNKNOWN, as_list

from .helm import releases, value_at, values

PROFILES = ("RuntimeDefault", "Localhost")


def _template_sets_it(text: object) -> bool:
    body = str(text)
    return all(t in body for t in ("istio-proxy", "istio-validation", "seccompProfile")) and any(
        p in body for p in PROFILES
    )


@stack_rule(
    "mesh-injected-containers-seccomp",
    "MESH-07",
    "Injected mesh containers carry a seccomp profile",
    subjects=HELM_RELEASE,
)
def check(stack: Stack, _config: Config) -> Iterator[Finding]:
    for istiod in releases(stack, "istiod"):
        data = values(istiod)
        if data is UNKNOWN:
            yield Finding(istiod.urn, f"{istiod.label()}: its values are not known yet", True)
            continue
        if value_at(data, "global.proxy.seccompProfile.type") in PROFILES:
            continue
        templates = value_at(data, "sidecarInjectorWebhook.templates")
        names = [str(n) for n in as_list(value_at(data, "sidecarInjectorWebhook.defaultTemplates"))]
        if isinstance(templates, Mapping) and any(_template_sets_it(templates.get(n)) for n in names):
            continue
        yield Finding(
            istiod.urn,
            f"{istiod.label()}: the injected istio-validation and istio-proxy carry no seccomp "
            "profile (global.proxy.seccompProfile from Istio 1.28, or a default injection "
            "template setting RuntimeDefault)",
        )
