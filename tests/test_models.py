"""d2lmini.models: the scratch RNN against a NumPy reference, and the Gluon wrapper's shapes."""
import numpy as onp
import pytest
from mxnet import init, np, npx
from mxnet.gluon import rnn

import d2lmini


def test_rnn_params_shapes_and_init(device):
    d2lmini.set_seed(0)
    W_xh, W_hh, b_h, W_hq, b_q = d2lmini.get_rnn_params(28, 256, device)
    assert [W_xh.shape, W_hh.shape, b_h.shape, W_hq.shape, b_q.shape] == [
        (28, 256), (256, 256), (256,), (256, 28), (28,)]
    assert float(np.abs(b_h).sum()) == 0 and float(np.abs(b_q).sum()) == 0
    assert 0.009 < float(W_hh.std()) < 0.011
    assert W_hh.grad is not None


def test_scratch_rnn_matches_a_numpy_reference(device, scratch_model):
    net = scratch_model()
    X = np.array([[1, 2, 3], [4, 5, 6]], dtype='int32')  # (batch 2, steps 3)
    state = net.begin_state(batch_size=2, ctx=device)
    assert isinstance(state, tuple) and state[0].shape == (2, 16)
    outputs, (H,) = net(X, state)
    assert outputs.shape == (3 * 2, 7) and H.shape == (2, 16)

    W_xh, W_hh, b_h, W_hq, b_q = [p.asnumpy().astype('float64') for p in net.params]
    h = onp.zeros((2, 16))
    expected = []
    for t in range(3):  # time-major: step t holds column t of X
        x = onp.eye(7)[X.asnumpy()[:, t]]
        h = onp.tanh(x @ W_xh + h @ W_hh + b_h)
        expected.append(h @ W_hq + b_q)
    onp.testing.assert_allclose(outputs.asnumpy(), onp.concatenate(expected), rtol=1e-5, atol=1e-7)
    onp.testing.assert_allclose(H.asnumpy(), h, rtol=1e-5, atol=1e-7)


def test_scratch_model_refuses_one_dimensional_input(device, scratch_model):
    net = scratch_model()
    with pytest.raises(ValueError, match=r'\(batch_size, num_steps\)'):
        net(np.array([1, 2, 3], dtype='int32'), net.begin_state(1, device))


@pytest.mark.parametrize('layer, num_layers, num_states', [
    (lambda: rnn.RNN(16, activation='tanh'), 1, 1), (lambda: rnn.GRU(16), 1, 1), (lambda: rnn.LSTM(16), 1, 2),
    (lambda: rnn.LSTM(16, num_layers=2), 2, 2)])
def test_gluon_model_shapes(layer, num_layers, num_states, device):
    net = d2lmini.RNNModel(layer(), vocab_size=7)
    net.initialize(ctx=device)
    state = net.begin_state(batch_size=2, ctx=device)
    assert len(state) == num_states
    assert state[0].shape == (num_layers, 2, 16)
    Y, new_state = net(np.array([[1, 2, 3], [4, 5, 6]], dtype='int32'), state)
    assert Y.shape == (3 * 2, 7)
    assert [s.shape for s in new_state] == [s.shape for s in state]


def test_gluon_model_output_is_time_major(device):
    """Row t * batch_size + b of the output belongs to step t of sequence b, as in the scratch model."""
    net = d2lmini.RNNModel(rnn.RNN(8, activation='tanh'), vocab_size=5)
    d2lmini.set_seed(0)
    net.initialize(ctx=device)
    X = np.array([[1, 2, 3], [4, 0, 2]], dtype='int32')
    Y, _ = net(X, net.begin_state(batch_size=2, ctx=device))
    Y_second, _ = net(X[1:], net.begin_state(batch_size=1, ctx=device))
    onp.testing.assert_allclose(Y.asnumpy()[1::2], Y_second.asnumpy(), rtol=1e-5, atol=1e-6)


def test_try_gpu_falls_back_to_cpu(device):
    device = d2lmini.try_gpu()
    assert device == (npx.gpu(0) if npx.num_gpus() > 0 else npx.cpu())


def sigmoid(x):
    return 1 / (1 + onp.exp(-x))


def test_scratch_gru_matches_a_numpy_reference(device):
    d2lmini.set_seed(0)
    net = d2lmini.RNNModelScratch(7, 16, device, d2lmini.get_gru_params, d2lmini.init_rnn_state, d2lmini.gru)
    assert len(net.params) == 11 and net.params[0].shape == (7, 16) and net.params[-2].shape == (16, 7)
    for p in net.params:  # non-zero biases too, so that a wrong bias would show
        p[:] = np.random.normal(scale=0.3, size=p.shape)
    X = np.array([[1, 2, 3], [4, 5, 6]], dtype='int32')
    outputs, (H,) = net(X, net.begin_state(2, device))
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = [p.asnumpy().astype('float64')
                                                                   for p in net.params]
    h, expected = onp.zeros((2, 16)), []
    for t in range(3):
        x = onp.eye(7)[X.asnumpy()[:, t]]
        z = sigmoid(x @ W_xz + h @ W_hz + b_z)
        r = sigmoid(x @ W_xr + h @ W_hr + b_r)
        h = z * h + (1 - z) * onp.tanh(x @ W_xh + (r * h) @ W_hh + b_h)
        expected.append(h @ W_hq + b_q)
    onp.testing.assert_allclose(outputs.asnumpy(), onp.concatenate(expected), rtol=1e-4, atol=1e-6)
    onp.testing.assert_allclose(H.asnumpy(), h, rtol=1e-4, atol=1e-6)


def test_scratch_lstm_from_gluon_computes_what_gluon_computes(device):
    """d2lmini.scratch_lstm_from_gluon (chapter 12) maps Gluon's stacked LSTM weights onto chapter 7's lstm."""
    d2lmini.set_seed(0)
    net_gluon = d2lmini.RNNModel(rnn.LSTM(16), 7)
    net_gluon.initialize(init.Normal(0.3), ctx=device)
    X = np.array([[1, 2, 3, 0], [4, 5, 6, 6]], dtype='int32')
    state = net_gluon.begin_state(batch_size=2, ctx=device)
    net_gluon(X, state)  # completes the deferred input shapes
    for p in net_gluon.collect_params().values():  # large weights, both biases non-zero (as after training)
        p.set_data(np.random.normal(scale=0.3, size=p.shape))
    Y_gluon, (h, c) = net_gluon(X, state)
    net = d2lmini.scratch_lstm_from_gluon(net_gluon, device)
    assert len(net.params) == 14 and net.num_hiddens == 16
    Y, (H, C) = net(X, net.begin_state(2, device))
    onp.testing.assert_allclose(Y.asnumpy(), Y_gluon.asnumpy(), rtol=1e-4, atol=1e-5)
    onp.testing.assert_allclose(H.asnumpy(), h[0].asnumpy(), rtol=1e-4, atol=1e-6)
    onp.testing.assert_allclose(C.asnumpy(), c[0].asnumpy(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('layer', [rnn.GRU(16), rnn.LSTM(16, num_layers=2), rnn.LSTM(16, bidirectional=True)])
def test_scratch_lstm_from_gluon_refuses_other_layers(layer, device):
    net_gluon = d2lmini.RNNModel(layer, 7)
    net_gluon.initialize(ctx=device)
    with pytest.raises(ValueError, match='one-layer, one-direction'):
        d2lmini.scratch_lstm_from_gluon(net_gluon, device)
