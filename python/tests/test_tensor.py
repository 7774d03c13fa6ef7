# gatgrad.Tensor, the ops and the tape from Python: values against NumPy, gradients against
# central differences in float64 through a randomly weighted sum, and errors as exceptions.
import numpy as np
import pytest

import gatgrad as gg


def test_numpy_round_trip_keeps_values_and_dtype_and_numpy_is_a_view():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = gg.Tensor(a)
    assert t.shape == (2, 3) and t.dtype == "float64"
    np.testing.assert_array_equal(t.numpy(), a)
    a[0, 0] = 100  # the tensor holds a copy
    assert t.numpy()[0, 0] == 0
    view = t.numpy()
    view[1, 2] = 7.5  # numpy() is the tensor's own memory
    assert t.numpy()[1, 2] == 7.5
    assert gg.Tensor(np.ones((2, 2), dtype=np.int32)).dtype == "float32"
    assert gg.Tensor(np.ones(3), dtype="float32").dtype == "float32"


def test_ops_match_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    ta, tb = gg.Tensor(a), gg.Tensor(b)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose((ta * 2.0 + 1.0).numpy(), a * 2 + 1)
    np.testing.assert_allclose((1.0 - ta).numpy(), 1 - a)
    np.testing.assert_allclose(gg.relu(ta).numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(gg.softmax(ta).numpy(), np.exp(a) / np.exp(a).sum(-1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(ta.sum(axis=0).numpy(), a.sum(0), rtol=1e-12)
    np.testing.assert_allclose(ta.reshape(4, 3).numpy(), a.reshape(4, 3))
    np.testing.assert_allclose(gg.index_select(ta, np.array([2, 0])).numpy(), a[[2, 0]])


def _loss(x, w, weights):
    """A randomly weighted sum of log_softmax(tanh(x @ w)): its gradient is not zero by symmetry."""
    return (gg.log_softmax(gg.tanh(x @ w)) * weights).sum()


def test_backward_matches_central_differences_in_float64():
    rng = np.random.default_rng(2)
    x, w, weights = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), gg.Tensor(rng.standard_normal((5, 4)))
    tw = gg.Tensor(w, requires_grad=True)
    loss = _loss(gg.Tensor(x), tw, weights)
    loss.backward()
    analytic = tw.grad.numpy().copy()
    numeric = np.zeros_like(w)
    h = 1e-6
    for i in np.ndindex(w.shape):
        up, down = w.copy(), w.copy()
        up[i] += h
        down[i] -= h
        numeric[i] = (_loss(gg.Tensor(x), gg.Tensor(up), weights).item() -
                      _loss(gg.Tensor(x), gg.Tensor(down), weights).item()) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    assert np.abs(analytic).max() > 1e-3


def test_no_grad_records_nothing_and_a_tensor_used_twice_gets_the_sum():
    gg.tape_clear()
    w = gg.Tensor(np.array([2.0]), requires_grad=True)
    with gg.no_grad():
        (w * w).sum()
        assert gg.tape_size() == 0 and not gg.grad_enabled()
    assert gg.grad_enabled()
    (w * w + w).sum().backward()  # d/dw (w² + w) = 2w + 1
    assert w.grad.numpy()[0] == 5.0


def test_errors_raise_exceptions_and_leave_the_interpreter_running():
    a, b = gg.Tensor(np.ones((2, 3))), gg.Tensor(np.ones((2, 3)))
    with pytest.raises(RuntimeError, match="matmul"):
        gg.matmul(a, b)
    with pytest.raises(RuntimeError):
        gg.backward(gg.Tensor(np.ones(1)).sum())  # nothing requires a gradient
    with pytest.raises(ValueError, match="dtype"):
        gg.Tensor(np.ones(2), dtype="int8")
    with pytest.raises(RuntimeError, match="dropout"):
        gg.dropout(a, 1.5, 0)
    assert (a + b).numpy().sum() == 12  # still working
