"""Trusted code that runs inside the worker, beside the learner's module: drivers for
katas whose contract is a class or a protocol (05_backprop's autograd Value), and the
vectorised references speed checks time. They return plain data; the judging stays in
the grading process. numpy and the standard library only (tests/test_boundary.py)."""
