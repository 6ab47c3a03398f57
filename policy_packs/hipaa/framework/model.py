"""What rules see (a resource, the stack graph) and what they return (findings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .values import MISSING, UNKNOWN, get, plain


@dataclass(frozen=True)
class Finding:
    """One way a resource misses a control. `unverifiable`: what the control depends on is not known yet (a
    first preview), so it could be decided neither way."""

    urn: str
    message: str
    unverifiable: bool = False


@dataclass
class Resource:
    """A resource as the engine describes it: type, URN, inputs (plain, unknowns as UNKNOWN) and, in a stack
    check, its parent and what it depends on (per property, too)."""

    type: str
    urn: str
    name: str
    props: dict[str, Any]
    parent: str | None = None
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # The provider instance that manages it (its URN and inputs): which cluster a Kubernetes object goes to, and
    # the namespace the provider gives objects that name none.
    provider: str | None = None
    provider_props: dict[str, Any] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        return get(self.props, path)

    def label(self) -> str:
        """How messages name the resource: its type's short name and its logical name."""
        return f"{self.type.rsplit(':', 1)[-1]} {self.name!r}"

    def depends_on(self, urn: str, prop: str | None = None) -> bool:
        if prop is None:
            return urn in self.dependencies or any(urn in deps for deps in self.property_dependencies.values())
        return urn in self.property_dependencies.get(prop, [])

    def tag(self, key: str) -> Any:
        tags = self.get("tags")
        value = tags.get(key, MISSING) if isinstance(tags, Mapping) else MISSING
        return value if isinstance(value, str) or value is UNKNOWN else MISSING  # AWS tags are strings

    @staticmethod
    def from_policy_args(args: Any) -> Resource:
        """From pulumi-policy's ResourceValidationArgs (no graph: resource policies see one resource)."""
        opts = getattr(args, "opts", None)
        return Resource(
            type=args.resource_type,
            urn=args.urn,
            name=args.name,
            props=_props(args.props),
            parent=getattr(opts, "parent", None) or None,
            **_provider(getattr(args, "provider", None)),
        )

    @staticmethod
    def from_policy_resource(r: Any) -> Resource:
        """From pulumi-policy's PolicyResource (a stack policy's view, with the graph)."""
        return Resource(
            type=r.resource_type,
            urn=r.urn,
            name=r.name,
            props=_props(r.props),
            parent=r.parent.urn if r.parent is not None else None,
            dependencies=[d.urn for d in r.dependencies],
            property_dependencies={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
            **_provider(getattr(r, "provider", None)),
        )


def _provider(provider: Any) -> dict[str, Any]:
    """pulumi-policy's PolicyProviderResource as the `provider` / `provider_props` fields."""
    if provider is None or not getattr(provider, "urn", None):
        return {}
    return {"provider": provider.urn, "provider_props": _props(getattr(provider, "props", None))}


def _props(value: Any) -> dict[str, Any]:
    out = plain(value)
    return out if isinstance(out, dict) else {}


class Stack:
    """Every resource of the stack, indexed for the correlations stack rules make (never through ids, which a
    first preview does not know: through parents and property dependencies)."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._users: dict[str, list[tuple[Resource, str]]] = {}
        for r in self.resources:
            for prop, urns in r.property_dependencies.items():
                for urn in urns:
                    self._users.setdefault(urn, []).append((r, prop))

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def users(self, urn: str, *types: str, prop: str | None = None) -> list[Resource]:
        """Resources of `types` whose property `prop` (any property when None) depends on `urn`."""
        seen: dict[str, Resource] = {}
        for r, p in self._users.get(urn, []):
            if (not types or r.type in types) and (prop is None or p == prop):
                seen[r.urn] = r
        return list(seen.values())

    def sources(self, r: Resource, prop: str, *types: str) -> list[Resource]:
        """Resources of `types` that `r`'s property `prop` depends on."""
        found = [self.by_urn[u] for u in r.property_dependencies.get(prop, []) if u in self.by_urn]
        return [s for s in found if not types or s.type in types]

    def children(self, parent: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == parent]


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN
