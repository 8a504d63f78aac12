"""d2lmini.decoding: sampling with a temperature and top-k."""
import collections

import numpy as onp
import pytest
from mxnet import np

import d2lmini
from d2lmini.decoding import predict_sample


@pytest.fixture
def sharp_model(scratch_model):
    """``make(vocab, seed=0)``: a random scratch RNN whose weights are scaled up, so that its logits
    are far apart (no near-ties)."""
    def make(vocab, seed=0):
        net = scratch_model(len(vocab), 16, seed)
        for param in net.params:
            param[:] = param * 300
        net.params[-1][0] = -1000  # like a trained model, which never sees '<unk>' in its text
        return net
    return make


class FixedLogits:
    """A fake language model: whatever it reads, its next-token scores are always ``logits``."""
    def __init__(self, logits):
        self.logits = onp.asarray(logits, dtype=onp.float32)

    def begin_state(self, batch_size, ctx):
        return ()

    def __call__(self, X, state):
        rows = X.shape[0] * X.shape[1]
        return np.array(onp.tile(self.logits, (rows, 1))), state


def softmax(z):
    e = onp.exp(z - z.max())
    return e / e.sum()


def greedy_margins(prefix, num_preds, net, vocab, device):
    """Gap between the best and the second-best score at each greedy step (to rule out near-ties)."""
    text = d2lmini.predict_ch8(prefix, num_preds, net, vocab, device)
    y, _ = net(np.array([vocab[list(text[:-1])]]), net.begin_state(1, device))
    scores = onp.sort(y.asnumpy()[len(prefix) - 1:], axis=1)
    return scores[:, -1] - scores[:, -2], text


def test_sharp_model_has_clear_winners_and_never_prefers_unk(toy_vocab, device, sharp_model):
    vocab = toy_vocab
    margins, text = greedy_margins('ab', 30, sharp_model(vocab), vocab, device)
    assert margins.min() > 0.05  # so exp(-margin / 1e-3) is negligible below
    assert '<unk>' not in text


def test_small_temperature_is_greedy(device, toy_vocab, sharp_model):
    vocab = toy_vocab
    net = sharp_model(vocab)
    greedy = d2lmini.predict_ch8('ab', 30, net, vocab, device)
    d2lmini.set_seed(1)
    assert predict_sample('ab', 30, net, vocab, device, temperature=1e-3) == greedy
    # A temperature so small that logits / T would overflow still works
    assert predict_sample('ab', 30, net, vocab, device, temperature=1e-300) == greedy


def test_top_1_is_greedy_at_any_temperature(device, toy_vocab, sharp_model):
    vocab = toy_vocab
    net = sharp_model(vocab)
    greedy = d2lmini.predict_ch8('ab', 30, net, vocab, device)
    d2lmini.set_seed(1)
    for temperature in (0.5, 1.0, 5.0):
        assert predict_sample('ab', 30, net, vocab, device, temperature=temperature, top_k=1) == greedy


def test_seeded_sampling_repeats_and_different_seeds_differ(device, toy_vocab, sharp_model):
    vocab = toy_vocab
    net = sharp_model(vocab)
    runs = []
    for seed in (7, 7, 8):
        d2lmini.set_seed(seed)
        runs.append(predict_sample('ab', 60, net, vocab, device, temperature=100.0))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert all(run.startswith('ab') and len(run) == 62 for run in runs)


def test_zero_predictions_returns_the_prefix(device, toy_vocab, sharp_model):
    vocab = toy_vocab
    assert predict_sample('abc', 0, sharp_model(vocab), vocab, device) == 'abc'


@pytest.mark.parametrize('temperature, top_k', [(1.0, None), (0.5, None), (2.0, None), (1.0, 2)])
def test_frequencies_match_softmax_over_temperature(temperature, top_k, device, toy_vocab):
    vocab = toy_vocab
    logits = onp.array([0.0, 1.0, 0.5, -0.5, 0.2, -1.0])  # <unk>, a, b, c, d, ' '
    net, num = FixedLogits(logits), 4000
    d2lmini.set_seed(0)
    text = predict_sample('a', num, net, vocab, device, temperature=temperature, top_k=top_k)
    counts = collections.Counter(vocab[list(text[1:])])
    expected = logits / temperature
    expected[0] = -onp.inf  # <unk> is never drawn
    if top_k is not None:
        expected[onp.argsort(expected)[:-top_k]] = -onp.inf
    expected = softmax(expected)
    observed = onp.array([counts[i] / num for i in range(len(vocab))])
    # binomial standard error is at most 0.008 for 4000 draws; allow 4 of them
    assert onp.abs(observed - expected).max() < 0.032, (observed, expected)
    assert all(observed[i] == 0 for i in range(len(vocab)) if expected[i] == 0)


def test_never_emits_unk_even_when_the_model_prefers_it(device, toy_vocab):
    vocab = toy_vocab
    net = FixedLogits([10.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # <unk> by far the most likely
    assert d2lmini.predict_ch8('a', 3, net, vocab, device) == 'a<unk><unk><unk>'  # greedy does emit it
    d2lmini.set_seed(0)
    for temperature, top_k in [(1.0, None), (0.01, None), (1.0, 1), (5.0, len(vocab))]:
        text = predict_sample('a', 200, net, vocab, device, temperature=temperature, top_k=top_k)
        assert '<' not in text and len(text) == 201


def test_refuses_bad_arguments(device, toy_vocab):
    vocab = toy_vocab
    net = FixedLogits([0.0] * len(vocab))
    with pytest.raises(ValueError, match='prefix is empty'):
        predict_sample('', 5, net, vocab, device)
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['!', 'A'\]"):
        predict_sample('Ab!', 5, net, vocab, device)
    with pytest.raises(ValueError, match='num_preds must be a non-negative int'):
        predict_sample('ab', -1, net, vocab, device)
    for bad in (0, -1.0, 0.0, float('inf'), float('nan'), '1', None, True):
        with pytest.raises(ValueError, match='temperature must be a positive finite number'):
            predict_sample('ab', 5, net, vocab, device, temperature=bad)
    for bad in (0, -2, 2.0, len(vocab) + 1, True, '3'):
        with pytest.raises(ValueError, match='top_k must be None or an int from 1 to the vocabulary size 6'):
            predict_sample('ab', 5, net, vocab, device, top_k=bad)


def test_accepts_numpy_scalars(device, toy_vocab):
    vocab = toy_vocab
    net = FixedLogits([0.0] * len(vocab))
    d2lmini.set_seed(0)
    text = predict_sample('ab', 5, net, vocab, device, temperature=onp.float32(0.5), top_k=onp.int64(2))
    assert len(text) == 7
