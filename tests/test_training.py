"""d2lmini.training: seeding, epoch caps, detaching, clipping, prediction, perplexity and training."""
import math
import os
import random

import numpy as onp
import pytest
from mxnet import autograd, np
from mxnet.gluon import rnn

import d2lmini


def test_set_seed_makes_all_generators_repeat():
    def draws():
        return random.random(), onp.random.rand(), float(np.random.normal(size=1)[0])
    d2lmini.set_seed(3)
    first = draws()
    d2lmini.set_seed(3)
    assert draws() == first


def test_max_epochs(monkeypatch):
    monkeypatch.delenv('D2LMINI_MAX_EPOCHS', raising=False)
    assert d2lmini.max_epochs(50) == 50
    monkeypatch.setenv('D2LMINI_MAX_EPOCHS', '2')
    assert d2lmini.max_epochs(50) == 2 and d2lmini.max_epochs(1) == 1
    for bad in ('0', 'two', '-1'):
        monkeypatch.setenv('D2LMINI_MAX_EPOCHS', bad)
        with pytest.raises(ValueError, match='D2LMINI_MAX_EPOCHS must be a positive integer'):
            d2lmini.max_epochs(50)


def test_output_dir(monkeypatch, tmp_path):
    monkeypatch.delenv('D2LMINI_OUTPUT', raising=False)
    monkeypatch.chdir(tmp_path)
    path = d2lmini.output_dir('homework')
    assert path == os.path.join('_output', 'homework') and os.path.isdir(tmp_path / '_output' / 'homework')
    monkeypatch.setenv('D2LMINI_OUTPUT', str(tmp_path / 'elsewhere'))
    assert d2lmini.output_dir('ch7') == str(tmp_path / 'elsewhere' / 'ch7')
    for bad in ('', '..', os.path.join('a', 'b')):
        with pytest.raises(ValueError, match='plain folder name'):
            d2lmini.output_dir(bad)


def test_detach_state_keeps_structure_and_values_but_cuts_gradients():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        h = x * 3
        state = (h, [h * 2])
        detached = d2lmini.detach_state(state)
        out = (detached[0] * x).sum() + (detached[1][0] * x).sum()
    out.backward()
    assert isinstance(detached, tuple) and isinstance(detached[1], list)
    assert detached[0].tolist() == [3.0, 6.0]
    # Had the state not been detached, d out / dx would be 2 * 3x + 2 * 6x = 18x, not 3x + 6x
    assert x.grad.tolist() == [9.0, 18.0]


def test_grad_clipping_scales_large_gradients_to_theta(scratch_model):
    net = scratch_model(5)
    for p in net.params:
        p.grad[:] = 3.0
    d2lmini.grad_clipping(net, 1)
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in net.params))
    assert norm == pytest.approx(1.0, rel=1e-5)
    # The direction is kept: every entry scaled by the same factor
    assert len({round(float(v), 6) for p in net.params for v in p.grad.reshape(-1)}) == 1


def test_grad_clipping_leaves_small_gradients_alone(scratch_model):
    net = scratch_model(5)
    for p in net.params:
        p.grad[:] = 1e-4
    d2lmini.grad_clipping(net, 1)
    assert all(onp.allclose(p.grad.asnumpy(), 1e-4) for p in net.params)


def test_grad_clipping_on_a_gluon_block(device):
    net = d2lmini.RNNModel(rnn.RNN(8, activation='tanh'), vocab_size=5)
    net.initialize(ctx=device)
    X = np.array([[1, 2, 3]], dtype='int32')
    with autograd.record():
        Y, _ = net(X, net.begin_state(batch_size=1, ctx=device))
        loss = (Y * 1000).sum()
    loss.backward()
    d2lmini.grad_clipping(net, 0.5)
    params = [p.data() for p in net.collect_params().values()]
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    assert norm == pytest.approx(0.5, rel=1e-4)


def test_predict_refuses_bad_prefixes_and_counts(device, toy_vocab, scratch_model):
    vocab, net = toy_vocab, scratch_model(6)
    with pytest.raises(ValueError, match='prefix is empty'):
        d2lmini.predict_ch8('', 5, net, vocab, device)
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['!', 'A'\]. Use only characters "
                                         r"the model was trained on: ' abcd'"):
        d2lmini.predict_ch8('Ab!', 5, net, vocab, device)
    with pytest.raises(ValueError, match='num_preds'):
        d2lmini.predict_ch8('ab', -1, net, vocab, device)


def test_predict_warm_up_equals_feeding_one_character_at_a_time(device, toy_vocab, scratch_model):
    vocab, net = toy_vocab, scratch_model(6)
    text = d2lmini.predict_ch8('abc d', 8, net, vocab, device)
    assert text.startswith('abc d')
    # Reference: step through the prefix and the predictions one token at a time
    state, tokens = net.begin_state(1, device), vocab[list('abc d')]
    for token in tokens[:-1]:
        _, state = net(np.array([[token]], dtype='int32'), state)
    for _ in range(8):
        y, state = net(np.array([[tokens[-1]]], dtype='int32'), state)
        tokens.append(int(y.argmax(axis=1)[0]))
    assert text == ''.join(vocab.to_tokens(tokens))


def test_evaluate_ppl_of_a_model_that_knows_nothing_is_the_vocabulary_size(device, toy_vocab, scratch_model):
    vocab = toy_vocab
    net = scratch_model(len(vocab))
    for p in net.params:
        p[:] = 0  # all logits zero: a uniform guess over the vocabulary
    data_iter = d2lmini.SeqDataLoader(vocab[list('abc d' * 40)], 4, 5, offset=0)
    assert d2lmini.evaluate_ppl(net, data_iter, device) == pytest.approx(len(vocab), rel=1e-5)
    with pytest.raises(ValueError, match='no minibatches'):
        d2lmini.evaluate_ppl(net, [], device)


@pytest.mark.parametrize('use_random_iter', [False, True])
def test_train_ch8_learns_a_repeating_text(use_random_iter, capsys, device, scratch_model):
    vocab = d2lmini.Vocab(list('time traveller '))
    corpus = vocab[list('time traveller ' * 60)]
    train_iter = d2lmini.SeqDataLoader(corpus, 4, 10, use_random_iter)
    val_iter = d2lmini.SeqDataLoader(corpus[:200], 4, 10, offset=0)
    net = scratch_model(len(vocab), num_hiddens=32)
    history = d2lmini.train_ch8(net, train_iter, vocab, 1, 25, device, use_random_iter, val_iter=val_iter)
    assert sorted(history) == ['clipped', 'grad_norm', 'lr', 'tokens_per_sec', 'train_ppl', 'val_ppl']
    assert history['lr'] == [1] * 25  # the default: a constant learning rate
    assert len(history['train_ppl']) == len(history['val_ppl']) == 25
    assert history['train_ppl'][0] > 5 and history['train_ppl'][-1] < 1.5
    assert history['val_ppl'][-1] < 1.5
    out = capsys.readouterr()
    assert 'held-out perplexity' in out.out and 'tokens/sec' in out.out
    assert 'time traveller time traveller' in out.out
    assert 'epoch' in out.err  # the progress bar, outside a notebook


def test_train_ch8_reinitializes_a_gluon_model(capsys, device):
    vocab = d2lmini.Vocab(list('abcd '))
    corpus = vocab[list('abcd ' * 100)]
    net = d2lmini.RNNModel(rnn.GRU(16), len(vocab))
    d2lmini.set_seed(0)
    history = d2lmini.train_ch8(net, d2lmini.SeqDataLoader(corpus, 4, 8), vocab, 1, 15, device,
                                prefixes=['abcd'])
    assert 'val_ppl' not in history
    assert history['train_ppl'][-1] < history['train_ppl'][0] / 2
    assert all(speed > 0 for speed in history['tokens_per_sec'])
    assert 'abcd abcd abcd' in capsys.readouterr().out


def test_in_notebook_is_false_under_pytest():
    assert d2lmini.training.in_notebook() is False


def test_train_ch8_reports_and_plots_the_yardstick(capsys, monkeypatch, device, toy_vocab, scratch_model):
    vocab = toy_vocab
    corpus = vocab[list('abc d' * 40)]
    yardstick = d2lmini.NGramYardstick(n=3, unigram_ppl=4.9, ngram_ppl=1.234, val_ppl={})
    added = []

    class FakeAnimator:  # what a notebook's live plot would be given
        def __init__(self, legend, **kwargs):
            self.legend = legend

        def add(self, x, ys):
            added.append((self.legend, ys))

    monkeypatch.setattr(d2lmini.training, 'in_notebook', lambda: True)
    monkeypatch.setattr(d2lmini.training.d2l, 'Animator', FakeAnimator)
    d2lmini.train_ch8(scratch_model(len(vocab)), d2lmini.SeqDataLoader(corpus, 2, 5), vocab,
                      1, 2, device, val_iter=d2lmini.SeqDataLoader(corpus, 2, 5, offset=0),
                      prefixes=['ab'], yardstick=yardstick)
    report = capsys.readouterr().out.splitlines()[0]
    assert 'held-out perplexity' in report and report.index('(3-gram: 1.23)') > report.index('held-out')
    assert [legend for legend, _ in added] == [['train', 'held-out', '3-gram, held-out']] * 2
    assert all(len(ys) == 3 and ys[2] == 1.234 for _, ys in added)
