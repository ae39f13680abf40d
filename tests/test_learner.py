"""The learner proxy: calls cross to a worker and back as plain data, in-place changes are
found however deep the argument nests, and layouts and aliasing survive the trip."""

import textwrap

import numpy as np
import pytest

from graders.engine.learner import KataFailure, Learner, LearnerRaised, NotStarted
from graders.engine.protocol import Opaque


@pytest.fixture
def learner(tmp_path):
    """learner(source) -> a Learner on a kata file holding `source` (closed afterwards)."""
    made = []

    def make(source: str) -> Learner:
        path = tmp_path / "exercises" / "00_test" / f"kata{len(made)}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("import numpy as np\n" + textwrap.dedent(source))
        made.append(Learner(path))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_a_pure_function_passes_with_nested_arguments(learner):
    fn = learner(
        """
        def pure(params):
            return sum(float(W.sum() + b.sum()) for W, b in params["layers"])
        """
    ).fn("pure")
    assert fn({"layers": [(np.ones((2, 2)), np.zeros(2))]}) == 4.0


@pytest.mark.parametrize(
    ("edit", "label"),
    [
        ('p["layers"][0][1].__iadd__(1)', "params['layers'][0][1]"),
        ('p["layers"][0][0].__setitem__((0, 0), 5.0)', "params['layers'][0][0]"),
        ('p.__setitem__("scale", np.ones(1))', None),
        ('p["layers"].append((np.ones(1), np.ones(1)))', None),
    ],
)
def test_in_place_changes_anywhere_in_the_argument_fail(learner, edit, label):
    fn = learner(f"def mutates(params):\n    p = params\n    {edit}\n").fn("mutates")
    params = {"layers": [(np.ones((2, 2)), np.zeros(2))]}
    with pytest.raises(KataFailure) as failure:
        fn(params)
    expected = f"modified its argument {label!r} in place" if label else "changed the contents"
    assert expected in str(failure.value)
    assert params["layers"][0][1].sum() == 0 and len(params) == 1  # the grader's copy is intact


def test_a_number_changed_in_a_list_fails_and_a_number_alone_is_fine(learner):
    fn = learner(
        """
        def overwrite_tail(losses, patience):
            losses[2] = float("inf")
            patience += 1  # rebinding a local: the caller's number cannot change
        """
    ).fn("overwrite_tail")
    with pytest.raises(KataFailure) as failure:
        fn([0.5, 0.4, 0.45], 2)
    assert "modified its argument 'losses[2]' in place (0.45 became inf)" in str(failure.value)
    assert "copy the list" in str(failure.value)


def test_layout_and_aliasing_cross_the_boundary(learner):
    """A transposed or strided view arrives as a view (same strides); what comes back as
    (a view of) an argument shares the caller's memory; arrays returned twice stay one."""
    one = learner(
        """
        def layout(x):
            return x.strides, x.flags.c_contiguous, x.base is not None

        def same(x):
            return x, x[1:], x.copy()

        def twice(x):
            y = x * 2
            return [y, y]
        """
    )
    x = np.arange(12.0).reshape(3, 4)
    assert one.fn("layout")(x.T) == ((8, 32), False, True)
    assert one.fn("layout")(x[:, ::2]) == ((32, 16), False, True)
    alias, view, copy = one.fn("same")(x)
    assert np.shares_memory(alias, x) and np.shares_memory(view, x)
    assert not np.shares_memory(copy, x) and np.array_equal(copy, x)
    first, second = one.fn("twice")(x)
    assert np.shares_memory(first, second)


def test_types_are_kept_and_objects_stay_behind(learner):
    one = learner(
        """
        def kinds():
            return (1, 2.5, True, None, "s", np.float32(1.5), [1], {"k": (2,)}, 1 + 2j)

        def objects():
            return {1, 2}, np.array(["a"]), (x for x in range(2))

        def cache_roundtrip(cache):
            return len(cache)

        class Box:
            def __len__(self):
                return 7

        def make():
            return Box()
        """
    )
    got = one.fn("kinds")()
    assert got == (1, 2.5, True, None, "s", np.float32(1.5), [1], {"k": (2,)}, 1 + 2j)
    assert [type(v) for v in got[:6]] == [int, float, bool, type(None), str, np.float32]
    objects = one.fn("objects")()
    assert [o.type_name for o in objects] == ["set", "ndarray of dtype <U1", "generator"]
    box = one.fn("make")()
    assert isinstance(box, Opaque) and one.fn("cache_roundtrip")(box) == 7


def test_a_generator_comes_back_advanced_and_callbacks_run_here(learner):
    one = learner(
        """
        def draw(rng):
            return rng.normal(size=3)

        def call_twice(f, x):
            x[0] += 1.0
            first = f(x)
            x[0] -= 1.0
            return first, f(x)
        """
    )
    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    assert np.array_equal(one.fn("draw")(rng), twin.normal(size=3))
    assert np.array_equal(one.fn("draw")(rng), twin.normal(size=3))  # advanced in step
    seen = []

    def f(x):
        seen.append(x.copy())
        return float(x.sum())

    assert one.fn("call_twice")(f, np.zeros(2)) == (1.0, 0.0)
    assert [s.tolist() for s in seen] == [[1.0, 0.0], [0.0, 0.0]]


def test_errors_keep_their_kind_and_frames(learner):
    one = learner(
        """
        def overflow(z):
            return np.exp(z)

        def stub():
            raise NotImplementedError()
        """
    )
    with np.errstate(over="raise"), pytest.raises(LearnerRaised) as raised:
        one.fn("overflow")(np.array([1000.0]))
    assert isinstance(raised.value.error, FloatingPointError)
    assert any(f.name == "overflow" for f in raised.value.error.learner_frames)
    assert one.fn("overflow")(np.array([1000.0])) == np.inf  # errstate is the caller's
    with pytest.raises(NotStarted) as stub:
        one.fn("stub")()
    assert stub.value.function == "stub"


def test_results_that_alias_an_argument_fail_when_the_check_ends(learner):
    one = learner(
        """
        def same(x):
            return x

        def view(x):
            return x.reshape(-1)

        def same_list(grads):
            return grads

        def layer_forward(x):
            return x * 2, (x,)
        """
    )
    x = np.ones((2, 2))
    for name, arg, text in [
        ("same", x, "returned its argument 'x'"),
        ("view", x, "returned a view of its argument 'x'"),
        ("same_list", [x], "returned its argument's own 'grads'"),
    ]:
        one.begin_check(5)
        one.fn(name)(arg)  # the check goes on: a wrong value would be told first
        with pytest.raises(KataFailure, match=text):
            one.end_check()
    one.begin_check(5)
    one.fn("layer_forward")(x)  # a layer's cache may hold its inputs
    one.end_check()


RNN = """
def rnn_forward(x, h0, Wx, Wh, b):
    h, h_prev = np.empty(x.shape[:2] + (Wh.shape[0],)), h0
    for t in range(x.shape[1]):
        h_prev = h[:, t] = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b)
    return h, None
"""
RNN_REFERENCE = "graders.drivers.sequences:rnn_forward"


def rnn_problem():
    rng = np.random.default_rng(0)
    return tuple(rng.normal(size=s) for s in ((2000, 5, 2), (2000, 3), (2, 3), (3, 3), (3,)))


def ratio_of(note: str) -> float:
    return float(note.rsplit(", ", 1)[-1].split("x")[0])


def test_speed_is_cpu_time_and_a_call_that_waits_is_not_free(learner):
    from graders.engine.checks import assert_fast_enough

    same = assert_fast_enough(learner(RNN), "rnn_forward", rnn_problem(), RNN_REFERENCE, "rnn",
                              compared=lambda r: r[0])  # fmt: skip
    assert ratio_of(same) < 5  # the same code: about 1x
    sleeper = learner(
        "import time\n" + RNN.replace("    h, h_prev", "    time.sleep(0.05)\n    h, h_prev")
    )
    with pytest.raises(KataFailure, match="too slow"):  # no CPU used, but half its wall time
        assert_fast_enough(sleeper, "rnn_forward", rnn_problem(), RNN_REFERENCE, "rnn",
                           compared=lambda r: r[0])  # fmt: skip


def test_a_file_that_slows_numpy_down_does_not_slow_the_reference(learner):
    from graders.engine.checks import assert_fast_enough

    patched = learner(
        "import time\n_tanh = np.tanh\n"
        "np.tanh = lambda *a, **k: (time.sleep(0.05), _tanh(*a, **k))[1]\n"
        + RNN.replace("np.tanh(", "_tanh(")
    )
    note = assert_fast_enough(patched, "rnn_forward", rnn_problem(), RNN_REFERENCE, "rnn",
                              compared=lambda r: r[0])  # fmt: skip
    assert ratio_of(note) < 5
