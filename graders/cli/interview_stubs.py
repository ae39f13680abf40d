"""Interview stubs: a kata's stub as a candidate would be handed it, without the paragraphs
that give the tricky part away.

Made from the generated stub (the solution with its bodies stripped, as in exercises/).
Every docstring (module, functions, classes, methods) keeps its first line (what it
computes, and the PyTorch counterpart it must match) and its Args:, Returns: (Yields:,
Raises:, Shapes:) sections: the signature, the shapes and the conventions a candidate is
told. The prose paragraphs in between, which explain how and where the trap is, are dropped.
"""

from __future__ import annotations

import ast
import inspect
import re

SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns?|Yields|Raises|Shapes|Attributes):\s*$")


def contract_only(docstring: str) -> str:
    """The summary line and the Args/Returns-style sections of a (cleaned) docstring."""
    lines = docstring.strip("\n").split("\n")
    kept, inside = [lines[0]], False
    for line in lines[1:]:
        if SECTION.match(line):
            inside = True
            while kept and not kept[-1].strip():
                kept.pop()
            kept += ["", line]
        elif inside and (not line.strip() or line[:1].isspace()):
            kept.append(line)
        else:
            inside = False
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def _docstring_nodes(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    yield body[0]


def interview_stub(stub: str) -> str:
    """The stub with each docstring cut down to its contract."""
    lines = stub.split("\n")
    nodes = sorted(_docstring_nodes(ast.parse(stub)), key=lambda n: n.lineno, reverse=True)
    for node in nodes:
        first = lines[node.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        prefix = "r" if first.lstrip().startswith(("r", "R")) else ""
        text = contract_only(inspect.cleandoc(node.value.value))
        body = text.split("\n")
        rendered = [f'{indent}{prefix}"""{body[0]}']
        rendered += [f"{indent}{line}" if line else "" for line in body[1:]]
        if len(body) == 1:
            rendered = [f'{indent}{prefix}"""{body[0]}"""']
        else:
            rendered.append(f'{indent}"""')
        lines[node.lineno - 1 : node.end_lineno] = rendered
    return "\n".join(lines)
