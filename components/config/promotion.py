"""The promotion path: what notebooks read is written only by a promotion identity, which never reads datasets.

Notebooks reach the internet through their egress proxy, so anything a notebook identity can read can leave the
enclave. Trainers read datasets (ePHI) and write candidates; if a notebook could read a prefix a trainer writes,
a Job could copy a dataset there and a notebook upload it. So: notebooks never read datasets; every prefix a
notebook identity can read is written by promotion identities only (the gate where a candidate is checked and
copied to, e.g., `promoted/`), and a promotion identity reads no dataset and runs where no data scientist can
start its pods.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from .buckets import Bucket
from .errors import Loc, Problem
from .identities import Grant, Identity
from .zones import Zone


def overlaps(a: Grant, b: Grant) -> bool:
    """Whether two grants reach a common object: the same bucket, one prefix inside the other."""
    if a.bucket != b.bucket:
        return False
    return a.prefix == b.prefix or a.prefix.startswith(f"{b.prefix}/") or b.prefix.startswith(f"{a.prefix}/")


def covers(outer: Grant, inner: Grant) -> bool:
    return outer.bucket == inner.bucket and (
        inner.prefix == outer.prefix or inner.prefix.startswith(f"{outer.prefix}/")
    )


def _where(grant: Grant) -> str:
    return f"{grant.bucket}/{grant.prefix}"


def check_promotion(
    zones: Mapping[str, Zone], buckets: Mapping[str, Bucket], identities: Sequence[Identity], root: Loc = ()
) -> Iterator[Problem]:
    """Every break of the promotion path, at the grant or identity that makes it (paths under `root`)."""
    classes = {name: zone.zone_class for name, zone in zones.items()}
    writes = [(i, ident, g) for i, ident in enumerate(identities) for g in ident.grants if g.access == "write"]
    for i, ident in enumerate(identities):
        at: Loc = (*root, i)
        zone_class = classes.get(ident.zone)
        if ident.promotion:
            yield from _check_promoter(at, ident, zones.get(ident.zone), buckets)
        if zone_class != "notebooks":
            continue
        for j, grant in enumerate(ident.grants):
            loc: Loc = (*at, "grants", j)
            bucket = buckets.get(grant.bucket)
            if bucket is not None and bucket.purpose == "datasets":
                yield Problem(
                    (*loc, "bucket"),
                    f"notebook identities never read datasets (notebooks reach the internet through their proxy); "
                    f"bucket {grant.bucket!r} holds datasets. Grant the prefix a promotion identity writes instead, "
                    "e.g. {bucket: models-staging, prefix: promoted, access: read}",
                    grant.bucket,
                )
                continue
            others = [(k, w, g) for k, w, g in writes if k != i and overlaps(g, grant)]
            for _, writer, written in others:
                if not writer.promotion:
                    yield Problem(
                        (*loc, "prefix"),
                        f"identity {writer.name!r} (zone {writer.zone}) writes {_where(written)}, which notebook "
                        f"identity {ident.name!r} reads: only a promotion identity writes what notebooks read. Let "
                        "the trainer write candidates, a promotion identity copy checked ones to a prefix of its "
                        "own (e.g. promoted), and grant the notebook that prefix",
                        grant.prefix,
                    )
            promoted = [g for _, w, g in writes if w.promotion and covers(g, grant)]
            if grant.access == "read" and not promoted:
                yield Problem(
                    (*loc, "prefix"),
                    f"notebook identities read only what a promotion identity writes; no identity with promotion: "
                    f"true writes {_where(grant)}. Declare one (in a zone without data scientists, e.g. the platform "
                    f"zone) with {{bucket: {grant.bucket}, prefix: {grant.prefix}, access: write}}",
                    grant.prefix,
                )


def _check_promoter(at: Loc, ident: Identity, zone: Zone | None, buckets: Mapping[str, Bucket]) -> Iterator[Problem]:
    if not any(g.access == "write" for g in ident.grants):
        yield Problem(
            (*at, "grants"),
            "a promotion identity writes the promoted prefix notebooks read: give it a write grant (e.g. {bucket: "
            "models-staging, prefix: promoted, access: write})",
        )
    for j, grant in enumerate(ident.grants):
        bucket = buckets.get(grant.bucket)
        if bucket is not None and bucket.purpose == "datasets":
            yield Problem(
                (*at, "grants", j, "bucket"),
                f"a promotion identity never reads datasets: it writes what notebooks read, so it would carry "
                f"bucket {grant.bucket!r}'s data out. Give it the candidates it promotes only",
                grant.bucket,
            )
    if zone is None:
        return
    if zone.zone_class == "notebooks":
        yield Problem(
            (*at, "promotion"),
            f"zone {zone.name!r} is a notebooks zone: its pods would promote what they read themselves. Put the "
            "promotion identity in the platform zone",
            True,
        )
    elif zone.access.data_scientist_groups:
        yield Problem(
            (*at, "zone"),
            f"data scientists of zone {zone.name!r} ({', '.join(zone.access.data_scientist_groups)}) can start "
            "pods there and so run as the promotion identity; put it in a zone without data_scientist_groups "
            "(e.g. the platform zone)",
            ident.zone,
        )
