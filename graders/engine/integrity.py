"""Guard the graders against learner code that patches the libraries they rely on.

A snapshot of the public attributes of numpy, torch and the graders' own modules is
taken after the graders are imported and before any learner file loads. After a
learner file loads and after every check, anything replaced is put back and reported:
a kata that patches np.allclose or torch.optim.adam.adam fails instead of grading
itself green.
"""

from __future__ import annotations

import importlib
import sys

WATCHED = [
    "math",
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "numpy._core.numeric",
    "numpy._core.fromnumeric",
    "torch",
    "torch.nn.functional",
    "torch.linalg",
    "torch.autograd",
    "torch.autograd.functional",
    "torch.nn.init",
    "torch.nn.utils",
    "torch.distributions",
    "torch.optim.adam",
    "torch.optim.sgd",
    "torch.optim.adagrad",
    "torch.optim.rmsprop",
]

_snapshot: dict[tuple[str, str], object] = {}


def _modules():
    for name in WATCHED:
        try:
            yield name, importlib.import_module(name)
        except ImportError:
            continue
    for name, module in list(sys.modules.items()):
        if name.startswith("graders.") and module is not None:
            yield name, module


def take_snapshot() -> None:
    _snapshot.clear()
    for name, module in _modules():
        for attribute, value in list(vars(module).items()):
            if not attribute.startswith("__"):
                _snapshot[(name, attribute)] = value


def restore_changes() -> list[str]:
    """Put back every watched attribute that changed since the snapshot; their names."""
    changed = []
    for (name, attribute), value in _snapshot.items():
        module = sys.modules.get(name)
        if module is not None and vars(module).get(attribute, value) is not value:
            setattr(module, attribute, value)
            changed.append(f"{name}.{attribute}")
    return changed
