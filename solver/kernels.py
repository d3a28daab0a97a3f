"""The compiled walks' kernels (solver/_sisr_kernel.py, _field_kernel.py, _span_kernel.py), loaded into a process.

numba compiles a kernel at its first call (15-40 s) and keeps the machine code in its cache (`__pycache__`
beside the source, or NUMBA_CACHE_DIR); a later process loads it from there in about a second. `make`
compiles them once at install (`dispatch compile`). A timed solve loads a kernel only from the cache, never
compiling against its clock; a solve bounded by solutions loads it whatever it takes. Either way the solving
process loads it before it forks a walk onto the other core, so that the child inherits the machine code and
never compiles: two processes compiling one kernel at once can corrupt numba's cache or fail (numba issues
#4807 and #10486), and a child that fails would change a bounded solve's plan. For the same reason the
processes of one machine (test workers, service workers) compile a kernel one at a time.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)

_loaded: set[str] = set()


def cached(kernel: ModuleType) -> bool:
    """Whether numba's cache holds fresh machine code (its source unchanged since) of every compiled function
    `kernel` defines."""
    functions = [f for f in vars(kernel).values()
                 if getattr(getattr(f, "py_func", None), "__module__", None) == kernel.__name__]
    if not functions:
        return False
    for f in functions:
        index = getattr(getattr(f, "_cache", None), "_cache_file", None)
        # numba's own check: an empty index is a missing or stale cache (another source stamp or numba)
        if index is None or not index._load_index():
            return False
    return True


@contextmanager
def _alone(kernel: ModuleType) -> Iterator[None]:
    """One process of this machine at a time compiles or loads `kernel` (say, two test workers): the next one
    then loads the first one's machine code from the cache."""
    source = str(Path(str(kernel.__file__)).resolve())
    path = Path(tempfile.gettempdir()) / f"dispatch-{hashlib.sha1(source.encode()).hexdigest()[:12]}.lock"
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@dataclass(frozen=True)
class Kernel:
    """A compiled walk's kernel module (`name`) and a walk of one step that loads all of it."""

    name: str
    tiny_walk: Callable[[], object]

    def warm(self, *, compile: bool = True) -> bool:
        """Load the kernel into this process by running its one-step walk, which compiles or loads every
        function it calls; with `compile` False, only if numba's cache holds it. Whether it is now loaded."""
        if self.name in _loaded:
            return True
        kernel = importlib.import_module(self.name)
        if not compile and not cached(kernel):
            log.info("%s is not in numba's cache (run `dispatch compile`): timed solves use the general walk",
                     self.name)
            return False
        with _alone(kernel):
            self.tiny_walk()
        _loaded.add(self.name)
        return True

    def warmed(self) -> bool:
        """Whether this process has loaded this kernel."""
        return self.name in _loaded


def compile_all() -> list[str]:
    """Compile (or load) every kernel into numba's cache; the names of the kernels."""
    from solver import fieldwalk, spanwalk, vrptw

    fieldwalk.warm()
    spanwalk.warm()
    vrptw.warm()
    return sorted(_loaded)


__all__ = ["Kernel", "cached", "compile_all"]
