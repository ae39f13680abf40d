"""The numpy side of graders/topics/optimizers.py, importable in the worker."""

from __future__ import annotations

import numpy as np


def inverses_called(module, w, grad, H) -> list[str]:
    """Call the learner's newton_step(w, grad, H) with np.linalg.inv and pinv spied on:
    the names of those it called, in order."""
    called = []
    real = {"inv": np.linalg.inv, "pinv": np.linalg.pinv}

    def spy(name):
        def inverse(*args, **kwargs):
            called.append(name)
            return real[name](*args, **kwargs)

        return inverse

    try:
        np.linalg.inv, np.linalg.pinv = spy("inv"), spy("pinv")
        module.newton_step(w, grad, H)
    finally:
        np.linalg.inv, np.linalg.pinv = real["inv"], real["pinv"]
    return called
