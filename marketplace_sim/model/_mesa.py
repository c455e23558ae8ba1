"""Mesa, imported without the parts this model never uses until they are used.

``import mesa`` imports its grids and networks (``mesa.discrete_space``, ``mesa.space``) and
continuous space (``mesa.experimental.continuous_space``), which pull in ``scipy.spatial`` and
``networkx``: about 0.3 s of every process's start-up (0.6 s on a busy machine), more than a
small world's whole run. The model uses ``Model``, ``Agent`` and ``DataCollector`` only. So,
if Mesa is not imported yet, those three subpackages are put in ``sys.modules`` as stand-ins
that import the real subpackage on first use of any of its names (``mesa.discrete_space.
OrthogonalMooreGrid`` works as ever, a moment later). Anything unexpected (Mesa already
imported, a subpackage missing or moved) and Mesa is imported as usual.

Two more costs of ``import mesa`` are avoided the same way:

- ``mesa.batchrunner`` (``mesa.batch_run``) imports ``tqdm.auto``, which imports ``asyncio``,
  ``ssl`` and ``importlib.metadata``: 40-70 ms. Its stand-in carries a ``batch_run`` that
  imports the real module when called (``mesa.batch_run(...)`` works as ever).
- ``mesa.model`` names its logger with ``inspect.stack()``, which reads the source lines of
  every frame on the stack (about 50 ms at start-up, 150 ms on a busy machine); while Mesa is
  imported, ``inspect.stack`` and ``inspect.getmodule`` take the shortcut of
  :func:`_import_mesa`, which gives the same frames, module and logger name.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import sys
import types
from typing import Any

DEFERRED = (
    "mesa.discrete_space",
    "mesa.space",
    "mesa.experimental.continuous_space",
    "mesa.batchrunner",
)


class _Deferred(types.ModuleType):
    """A stand-in for a module: imports the real one when one of its names is first read."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # introspection (inspect, pickle, hasattr(m, "__file__"))
            raise AttributeError(attr)
        return getattr(_load(self.__name__, self), attr)


def _load(name: str, stub: types.ModuleType) -> types.ModuleType:
    if sys.modules.get(name) is stub:
        del sys.modules[name]
    real = importlib.import_module(name)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, real)
    return real


def _defer() -> None:
    """Put the stand-ins in place, if Mesa is not imported yet and they are where expected."""
    if "mesa" in sys.modules:
        return
    spec = importlib.util.find_spec("mesa")  # locates Mesa without importing it
    if spec is None or not spec.submodule_search_locations:
        return
    root = list(spec.submodule_search_locations)
    for name in DEFERRED:
        parts = name.split(".")[1:]
        paths = [f"{r}/{'/'.join(parts)}" for r in root]
        if not any(os.path.exists(p) for p in (*paths, *(p + ".py" for p in paths))):
            return  # Mesa's layout changed: import it as usual
    for name in DEFERRED:
        stub = _Deferred(name)
        stub.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = stub
    # `from mesa.batchrunner import batch_run` (in mesa/__init__) takes this, not the module
    sys.modules["mesa.batchrunner"].__dict__["batch_run"] = _batch_run


def _batch_run(*args: Any, **kwargs: Any) -> Any:
    """``mesa.batch_run``: imports ``mesa.batchrunner`` on first use, then calls it."""
    name = "mesa.batchrunner"
    real = _load(name, sys.modules[name]) if isinstance(sys.modules.get(name), _Deferred) else None
    return (real or importlib.import_module(name)).batch_run(*args, **kwargs)


def _import_mesa() -> None:
    """``import mesa``, with ``inspect.stack`` and ``inspect.getmodule`` kept cheap meanwhile.

    ``mesa.model`` runs ``inspect.getmodule(inspect.stack()[1][0]).__name__`` to name its
    logger: the stack with the source lines of every frame (each a file lookup and a walk of
    ``sys.modules``). Meanwhile the stack comes without source lines and a frame's module is
    the one its globals name: the same frames, module and logger name, for microseconds.
    """
    stack, getmodule = inspect.stack, inspect.getmodule

    def frames_only(context: int = 1) -> list[inspect.FrameInfo]:
        f: types.FrameType | None = sys._getframe(1)
        out = []
        while f is not None:
            out.append(
                inspect.FrameInfo(f, f.f_code.co_filename, f.f_lineno, f.f_code.co_name, None, None)
            )
            f = f.f_back
        return out

    # `object`: inspect.getmodule's own parameter name (a stand-in must accept the same)
    def module_of(object: object, _filename: str | None = None) -> types.ModuleType | None:
        if isinstance(object, types.FrameType):
            mod = sys.modules.get(object.f_globals.get("__name__", ""))
            if mod is not None:
                return mod
        return getmodule(object, _filename)

    inspect.stack, inspect.getmodule = frames_only, module_of
    try:
        import mesa  # noqa: F401
    finally:
        inspect.stack, inspect.getmodule = stack, getmodule


_defer()
_import_mesa()
import mesa  # noqa: E402  (imported just above)

__all__ = ["mesa"]
