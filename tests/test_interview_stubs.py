"""Interview stubs keep the contract a candidate is told and drop the giveaway prose."""

import ast

from graders.catalog import all_katas, find_kata
from graders.cli.interview_stubs import contract_only, interview_stub
from graders.cli.stubs import stub_for


def signatures(source):
    tree = ast.parse(source)
    return [
        (node.name, ast.unparse(node.args))
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and hasattr(node, "args")
    ]


def test_every_kata_s_interview_stub_keeps_its_signatures_and_stub_bodies():
    for kata in all_katas():
        stub = stub_for(kata)
        mine = interview_stub(stub)
        assert signatures(mine) == signatures(stub), kata.key
        assert mine.count("raise NotImplementedError()") == stub.count(
            "raise NotImplementedError()"
        )
        assert len(mine) <= len(stub)


def test_adam_keeps_args_and_returns_but_not_where_eps_goes():
    mine = interview_stub(stub_for(find_kata("03_optimizers", "adam")))
    assert "One Adam step, as torch.optim.Adam computes it." in mine
    assert "Args:" in mine and "Returns:" in mine and "beta1, beta2, eps" in mine
    assert "eps\n    outside the square root" not in mine and "bias-corrected: divided" not in mine
    assert "Momentum on the gradient" not in mine  # the module docstring's paragraph


def test_contract_only_keeps_the_summary_and_the_sections():
    doc = "Do it.\n\nHow: the trick.\n\nArgs:\n    x: a thing.\n\n        more on x.\nNote well.\n\nReturns:\n    y."
    assert (
        contract_only(doc)
        == "Do it.\n\nArgs:\n    x: a thing.\n\n        more on x.\n\nReturns:\n    y."
    )
