"""d2lmini.EmbeddingRNNModel: shapes, state handling, training, and equivalence with one-hot inputs."""
import numpy as onp
import pytest
from mxnet import autograd, init, np
from mxnet.gluon import rnn

import d2lmini

X = np.array([[1, 2, 3, 4], [5, 0, 6, 2]], dtype='int32')  # (batch 2, steps 4)


def embedding_model(layer, device, vocab_size=7, embed_size=5, seed=0):
    d2lmini.set_seed(seed)
    net = d2lmini.EmbeddingRNNModel(layer, vocab_size, embed_size)
    net.initialize(ctx=device, init=init.Normal(0.1))
    return net


@pytest.mark.parametrize('layer, num_layers, num_states', [
    (lambda: rnn.RNN(16, activation='tanh'), 1, 1), (lambda: rnn.GRU(16), 1, 1), (lambda: rnn.LSTM(16), 1, 2),
    (lambda: rnn.GRU(16, num_layers=2), 2, 1)], ids=['RNN', 'GRU', 'LSTM', 'GRU-2-layers'])
def test_output_and_state_shapes(layer, num_layers, num_states, device):
    net = embedding_model(layer(), device)
    state = net.begin_state(batch_size=2, ctx=device)
    assert len(state) == num_states
    assert state[0].shape == (num_layers, 2, 16)
    Y, new_state = net(X, state)
    assert Y.shape == (4 * 2, 7)  # (num_steps * batch_size, vocab_size)
    assert [s.shape for s in new_state] == [s.shape for s in state]
    assert net.embedding.weight.shape == (7, 5)
    assert net.rnn.l0_i2h_weight.shape[1] == 5  # the recurrent layer reads embed_size numbers per step


def test_embedding_keeps_its_own_initializer(device):
    """train_ch8 initializes with N(0, 0.01^2); the embedding table must still get N(0, 1)."""
    d2lmini.set_seed(0)
    net = d2lmini.EmbeddingRNNModel(rnn.GRU(16), vocab_size=50, embed_size=40)
    net.initialize(ctx=device, init=init.Normal(0.01))
    net(X, net.begin_state(batch_size=2, ctx=device))
    assert 0.9 < float(net.embedding.weight.data().std()) < 1.1
    assert float(net.dense.weight.data().std()) < 0.02


@pytest.mark.parametrize('make_layer', [lambda: rnn.GRU(16), lambda: rnn.LSTM(16)], ids=['GRU', 'LSTM'])
def test_state_carries_over_between_calls(make_layer, device):
    """Two calls on halves of the sequences, passing the state on, equal one call on the whole."""
    net = embedding_model(make_layer(), device)
    Y_whole, state_whole = net(X, net.begin_state(batch_size=2, ctx=device))
    Y_first, state = net(X[:, :2], net.begin_state(batch_size=2, ctx=device))
    Y_second, state = net(X[:, 2:], state)
    # Outputs are time-major: the first 2 steps are the first 2 * batch_size rows
    onp.testing.assert_allclose(onp.concatenate([Y_first.asnumpy(), Y_second.asnumpy()]),
                                Y_whole.asnumpy(), rtol=1e-5, atol=1e-6)
    for s, s_whole in zip(state, state_whole):
        onp.testing.assert_allclose(s.asnumpy(), s_whole.asnumpy(), rtol=1e-5, atol=1e-6)
    # A fresh state is not the carried one (the state really matters)
    Y_fresh, _ = net(X[:, 2:], net.begin_state(batch_size=2, ctx=device))
    assert not onp.allclose(Y_fresh.asnumpy(), Y_second.asnumpy(), atol=1e-6)


@pytest.mark.parametrize('make_layer', [lambda: rnn.GRU(8), lambda: rnn.LSTM(8)], ids=['GRU', 'LSTM'])
def test_identity_embedding_equals_one_hot_model(make_layer, device):
    """With the identity as embedding table (embed_size == vocab_size), the two models are the same."""
    vocab_size = 6
    onehot = d2lmini.RNNModel(make_layer(), vocab_size)
    embedded = d2lmini.EmbeddingRNNModel(make_layer(), vocab_size, embed_size=vocab_size)
    for net in (onehot, embedded):
        net.initialize(ctx=device, init=init.Normal(0.3))
        net(X[:, :1] % vocab_size, net.begin_state(batch_size=2, ctx=device))  # finish deferred shapes
    embedded.embedding.weight.set_data(np.eye(vocab_size))
    for source, target in [(onehot.rnn, embedded.rnn), (onehot.dense, embedded.dense)]:
        for (name, p), (name_t, p_t) in zip(sorted(source.collect_params().items()),
                                          sorted(target.collect_params().items())):
            assert name[len(source.prefix):] == name_t[len(target.prefix):]
            p_t.set_data(p.data())
    tokens = X % vocab_size
    Y1, state1 = onehot(tokens, onehot.begin_state(batch_size=2, ctx=device))
    Y2, state2 = embedded(tokens, embedded.begin_state(batch_size=2, ctx=device))
    assert onp.array_equal(Y1.asnumpy(), Y2.asnumpy())
    for s1, s2 in zip(state1, state2):
        assert onp.array_equal(s1.asnumpy(), s2.asnumpy())


def test_embedding_receives_gradients_only_for_seen_tokens(device):
    net = embedding_model(rnn.GRU(16), device, vocab_size=9)
    with autograd.record():
        Y, _ = net(X, net.begin_state(batch_size=2, ctx=device))
        loss = Y.sum()
    loss.backward()
    grad = net.embedding.weight.grad().asnumpy()
    seen = sorted(set(X.asnumpy().ravel().tolist()))
    assert all(onp.abs(grad[i]).sum() > 0 for i in seen)
    assert all(onp.abs(grad[i]).sum() == 0 for i in range(9) if i not in seen)


def test_trains_with_train_ch8_on_a_tiny_corpus(device):
    text = 'the cat sat on the mat ' * 40
    vocab = d2lmini.Vocab(list(text))
    train_iter = d2lmini.SeqDataLoader(vocab[list(text)], batch_size=4, num_steps=8)
    val_iter = d2lmini.SeqDataLoader(vocab[list(text[:200])], batch_size=2, num_steps=8, offset=0)
    d2lmini.set_seed(0)
    net = d2lmini.EmbeddingRNNModel(rnn.GRU(32), len(vocab), embed_size=8)
    history = d2lmini.train_ch8(net, train_iter, vocab, lr=1, num_epochs=8, device=device,
                                val_iter=val_iter, prefixes=('the',))
    assert len(history['train_ppl']) == len(history['val_ppl']) == 8
    assert history['train_ppl'][-1] < history['train_ppl'][0] / 2
    assert history['val_ppl'][-1] < 3  # the text is one short sentence repeated: easy to predict
    assert len(d2lmini.predict_ch8('the', 5, net, vocab, device)) == 8
