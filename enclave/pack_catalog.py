"""The policy pack's control catalog (catalog.py), loaded by file path from the pack directory: the pack imports
nothing of this project and is not a package of it, so its catalog is read where the pack keeps it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


class PackCatalogError(Exception):
    """The pack has no usable catalog.py (exit status 2): the message names the file."""


def load_catalog(pack_dir: Path) -> ModuleType:
    """The pack's catalog module (CITATIONS, CONTROLS, FAMILIES, FRAMEWORK_REFERENCE ...), imported from
    <pack_dir>/catalog.py under a private module name, so it never shadows a `catalog` on sys.path."""
    path = (pack_dir / "catalog.py").resolve()
    if not path.is_file():
        raise PackCatalogError(f"--pack {pack_dir}: no catalog.py there (the HIPAA pack keeps its controls in it)")
    name = f"_enclave_pack_catalog_{abs(hash(str(path)))}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PackCatalogError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise PackCatalogError(f"{path}: does not load ({type(exc).__name__}: {exc})") from None
    for attr in ("CITATIONS", "CONTROLS"):
        if not isinstance(getattr(module, attr, None), dict):
            del sys.modules[name]
            raise PackCatalogError(f"{path}: has no {attr} dict (not the HIPAA pack's catalog?)")
    return module
