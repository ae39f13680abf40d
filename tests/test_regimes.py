"""Every kata's checks visit every input regime its contract allows (registry.REGIMES),
or its graders say why the regime does not apply; and the claims hold where they can be
measured: a check that says it visits non-contiguous layouts sends some."""

import zlib

import pytest
from numpy.random import default_rng

from graders.engine.learner import Learner
from graders.engine.registry import REGIMES, checks_for, regimes_covered, regimes_ruled_out
from tests.conftest import available_katas

KATAS = available_katas()


@pytest.mark.parametrize("kata", KATAS, ids=[k.key for k in KATAS])
def test_every_regime_is_covered_or_ruled_out_with_a_reason(kata):
    covered, ruled_out = regimes_covered(kata.key), regimes_ruled_out(kata.key)
    assert not covered & set(ruled_out), f"{kata.key}: both covered and ruled out"
    missing = set(REGIMES) - covered - set(ruled_out)
    assert not missing, f"{kata.key} visits no {sorted(missing)} and says nothing of why"


@pytest.mark.parametrize("kata", KATAS, ids=[k.key for k in KATAS])
def test_a_check_that_claims_layouts_sends_non_contiguous_arrays(kata):
    claims = [c for c in checks_for(kata.key) if "layout" in c.regimes]
    if not claims:
        return
    learner = Learner(kata.path("solutions"))
    try:
        for check in claims:
            learner.begin_check(60)
            check.run(learner, default_rng([1, zlib.crc32(check.name.encode())]))
            assert learner.views_sent, f"{kata.key}: {check.name!r} sent no view"
    finally:
        learner.close()
