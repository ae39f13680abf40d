"""Loading kata files by path, and letting one kata file use another of the same tree.

    from graders.kata_files import sibling
    two_layer_net = sibling(__file__, "05_backprop", "two_layer_net").two_layer_net

In exercises/ this loads the learner's own file; in solutions/ the reference one. Kata
files are only ever loaded inside a worker process (graders/engine/worker.py): this
module imports nothing but the standard library.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
from pathlib import Path
from types import ModuleType

_module_counter = itertools.count()
SIBLING_CALL = re.compile(r'sibling\(__file__, "([^"]+)", "([^"]+)"\)')


def load_module(path: Path) -> ModuleType:
    """Import a kata file by path under a fresh, unique module name (errors propagate)."""
    path = Path(path)
    name = f"_kata_{path.parent.parent.name}_{path.parent.name}_{path.stem}_{next(_module_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def sibling(this_file: str, topic: str, kata: str) -> ModuleType:
    """The module of <tree>/<topic>/<kata>.py, where <tree> is this_file's exercises/ or solutions/."""
    tree = Path(this_file).resolve().parent.parent
    return load_module(tree / topic / f"{kata}.py")


def siblings_of(source: str) -> list[tuple[str, str]]:
    """(topic, kata) of every kata file a kata file's source loads through `sibling`."""
    return SIBLING_CALL.findall(source)
