"""Let one kata file use another of the same tree (a learner's own earlier katas).

    from graders.kata_files import sibling
    two_layer_net = sibling(__file__, "05_backprop", "two_layer_net").two_layer_net

In exercises/ this loads the learner's own file; in solutions/ the reference one.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from graders.engine.learner import load_module


def sibling(this_file: str, topic: str, kata: str) -> ModuleType:
    """The module of <tree>/<topic>/<kata>.py, where <tree> is this_file's exercises/ or solutions/."""
    tree = Path(this_file).resolve().parent.parent
    return load_module(tree / topic / f"{kata}.py")
