"""Import Great Expectations without paying for two libraries it loads at import and uses only inside
expectations mentorflow never runs.

Great Expectations' ``expectations.core`` package imports every core expectation at once; the KL-divergence
one imports ``scipy.stats`` (for ``entropy``) and ``altair`` (to draw its distributions) at its top, which is
about a third of the whole import (``python -X importtime -c "import great_expectations"``). Both are used
only inside that expectation's functions. While Great Expectations is imported, each of them is a stand-in
in ``sys.modules`` that imports the real module the first time anything reads a name from it, so code that
does use them (in this process, later) gets the real thing and only pays for it then.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import types

DEFERRED = ("scipy.stats", "altair")

_LOCK = threading.RLock()  # re-entrant: the real import may read the name through its parent package


class Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module until one of its names is read, then imports it for real.

    The import system reads ``__spec__`` of a module it finds in ``sys.modules`` (that is why
    ``importlib.util.LazyLoader`` loads at the next ``import`` statement on Python 3.11): here the spec is a
    plain attribute, and only a name the stand-in lacks reaches :meth:`__getattr__`.
    """

    def __init__(self, name: str, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(name)
        self.__spec__ = spec
        self.__file__ = spec.origin

    def __getattr__(self, attr: str):
        return getattr(real_module(self.__name__), attr)


def real_module(name: str) -> types.ModuleType:
    """The module ``name`` itself, imported now if only its stand-in was there."""
    with _LOCK:
        stand_in = sys.modules.get(name)
        if isinstance(stand_in, Deferred):
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent and getattr(sys.modules.get(parent), child, None) is stand_in:
                delattr(sys.modules[parent], child)
        return importlib.import_module(name)


def defer(name: str) -> None:
    """Put a stand-in for ``name`` in ``sys.modules`` unless the module is already imported or not installed."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)  # imports the parent package (``scipy``: a few milliseconds)
    if spec is None:
        return
    stand_in = Deferred(name, spec)
    sys.modules[name] = stand_in
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, stand_in)


def import_great_expectations() -> types.ModuleType:
    """``great_expectations``, imported with :data:`DEFERRED` left as stand-ins (analytics off)."""
    if "great_expectations" not in sys.modules:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        for name in DEFERRED:
            defer(name)
    import great_expectations

    return great_expectations
