"""The policy pack's control catalog (catalog.py), loaded by file path from the pack directory: the pack imports
nothing of this project and is not a package of it, so its catalog is read where the pack keeps it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


class PackCatalogError(Exception):
    """The pack has no usable catalog.py (exit status 2): the message names the file."""


def load_pack_module(pack_dir: Path, relative: str) -> ModuleType | None:
    """A standard-library-only module of the pack (`catalog.py`, `framework/evaluator.py`, ...), imported from its
    file under a private module name, so it never shadows a module of the same name on sys.path; None when the
    pack has no such file."""
    path = (pack_dir / relative).resolve()
    if not path.is_file():
        return None
    name = f"_enclave_pack_{relative.removesuffix('.py').replace('/', '_')}_{abs(hash(str(path)))}"
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
    return module


def load_catalog(pack_dir: Path) -> ModuleType:
    """The pack's catalog module (CITATIONS, CONTROLS, FAMILIES, FRAMEWORK_REFERENCE ...)."""
    module = load_pack_module(pack_dir, "catalog.py")
    if module is None:
        raise PackCatalogError(f"--pack {pack_dir}: no catalog.py there (the HIPAA pack keeps its controls in it)")
    for attr in ("CITATIONS", "CONTROLS"):
        if not isinstance(getattr(module, attr, None), dict):
            raise PackCatalogError(f"{pack_dir / 'catalog.py'}: has no {attr} dict (not the HIPAA pack's catalog?)")
    return module
