"""Chapter 13's tools: Updater (optimizer, weight decay, schedules), dropout, early stopping,
keep-best, the gradient-norm record, over_seeds, and the three-slice Time Machine split."""
import math

import numpy as onp
import pytest
from mxnet import autograd, gluon, init, np, npx

import d2lmini

VOCAB = d2lmini.Vocab(list('abcdefgh '))


def toy_corpus(length, seed):
    """A token sequence with some structure to learn: a repeated phrase with random slips."""
    rng = onp.random.default_rng(seed)
    phrase = VOCAB[list('abc defg hab ')]
    corpus = [phrase[i % len(phrase)] for i in range(length)]
    for i in rng.choice(length, size=length // 10, replace=False):
        corpus[i] = int(rng.integers(1, len(VOCAB)))
    return corpus


@pytest.fixture
def data():
    """(train_iter, select_iter): minibatches of 4 x 8 tokens."""
    return (d2lmini.SeqDataLoader(toy_corpus(600, 0), 4, 8),
            d2lmini.SeqDataLoader(toy_corpus(200, 1), 4, 8, offset=0))


def gluon_net(dropout=0.0, hiddens=16):
    return d2lmini.RNNModel(d2lmini.get_rnn_layer('gru', hiddens), len(VOCAB), dropout=dropout)


def train(net, data, device, num_epochs=4, **options):
    d2lmini.set_seed(0)
    train_iter, select_iter = data
    options.setdefault('show', False)
    return d2lmini.train_ch8(net, train_iter, VOCAB, options.pop('lr', 0.01), num_epochs, device,
                             select_iter=select_iter, **options)


# ---- Updater: bad input ----

@pytest.mark.parametrize('options, message', [
    (dict(optimizer='rmsprop'), "unknown optimizer 'rmsprop'"),
    (dict(schedule='linear'), "unknown schedule 'linear'"),
    (dict(weight_decay=-1e-4), 'weight_decay must be a number >= 0'),
    (dict(weight_decay='1e-4'), 'weight_decay must be a number >= 0'),
    (dict(factor=1.5), 'factor'),
    (dict(step_epochs=0), 'step_epochs must be a positive integer'),
    (dict(lr_patience=0.5), 'lr_patience must be a positive integer'),
    (dict(schedule='cosine'), 'num_epochs (for the cosine schedule)'),
    (dict(schedule='cosine', num_epochs=5, final_lr=2.0), 'final_lr must be >= 0 and below'),
])
def test_updater_refuses_bad_options(device, options, message):
    net = gluon_net()
    d2lmini.init_params(net, device)
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        d2lmini.Updater(net, 0.1, **options)


@pytest.mark.parametrize('lr', [0, -1, True, '0.1'])
def test_updater_refuses_bad_lr(device, lr):
    with pytest.raises(ValueError, match='lr must be a positive number'):
        d2lmini.Updater(gluon_net(), lr)


def test_scratch_models_train_with_sgd_only(scratch_model):
    net = scratch_model(vocab_size=len(VOCAB))
    for options in (dict(optimizer='adam'), dict(weight_decay=1e-4)):
        with pytest.raises(ValueError, match='plain SGD only'):
            d2lmini.Updater(net, 0.1, **options)
    assert d2lmini.Updater(net, 0.1).trainer is None


# ---- schedules ----

def learning_rates(updater, num_epochs, val_ppls=None):
    rates = []
    for epoch in range(1, num_epochs + 1):
        updater.start_epoch(epoch)
        rates.append(updater.lr)
        if val_ppls is not None:
            updater.end_epoch(val_ppls[epoch - 1])
    return rates


def test_step_schedule_multiplies_after_every_step_epochs(device):
    net = gluon_net()
    d2lmini.init_params(net, device)
    updater = d2lmini.Updater(net, 0.8, schedule='step', step_epochs=3, factor=0.5)
    assert learning_rates(updater, 8) == pytest.approx([0.8] * 3 + [0.4] * 3 + [0.2] * 2)
    assert updater.trainer.learning_rate == pytest.approx(0.2)  # the trainer follows


def test_cosine_schedule_goes_from_lr_to_final_lr(device):
    net = gluon_net()
    d2lmini.init_params(net, device)
    updater = d2lmini.Updater(net, 1.0, schedule='cosine', num_epochs=5, final_lr=0.1)
    rates = learning_rates(updater, 5)
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)]
    assert rates == pytest.approx(expected)
    assert rates[0] == pytest.approx(1.0) and all(a > b for a, b in zip(rates, rates[1:]))


def test_plateau_schedule_halves_after_lr_patience_epochs_without_a_new_best(device):
    net = gluon_net()
    d2lmini.init_params(net, device)
    updater = d2lmini.Updater(net, 1.0, schedule='plateau', lr_patience=2, factor=0.5)
    val = [5.0, 4.0, 4.5, 4.2, 3.9, 4.0, 4.0, 4.0, 4.0]
    # epochs 3 and 4 bring no new best -> halved from epoch 5; 6, 7 -> from 8; 8, 9 -> after 9
    assert learning_rates(updater, 9, val) == [1.0] * 4 + [0.5] * 3 + [0.25] * 2
    assert updater.lr == 0.125


def test_constant_schedule_ignores_validation(device):
    net = gluon_net()
    d2lmini.init_params(net, device)
    updater = d2lmini.Updater(net, 0.3)
    assert learning_rates(updater, 4, [4, 5, 6, 7]) == [0.3] * 4


# ---- train_ch8: defaults, selection, clipping record ----

def test_defaults_train_as_a_plain_sgd_loop(device, data):
    """train_ch8's defaults = init N(0, 0.01^2) + gluon 'sgd' Trainer, clipping at theta=1."""
    train_iter, _ = data
    history = train(gluon_net(), data, device, num_epochs=1, lr=1)
    d2lmini.set_seed(0)
    net = gluon_net()
    net.initialize(ctx=device, force_reinit=True, init=init.Normal(0.01))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1})
    loss, total, count, state = gluon.loss.SoftmaxCrossEntropyLoss(), 0.0, 0, None
    for X, Y in train_iter:
        state = net.begin_state(batch_size=X.shape[0], ctx=device) if state is None \
            else d2lmini.detach_state(state)
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, Y.T.reshape(-1)).mean()
        l.backward()
        d2lmini.grad_clipping(net, 1)
        trainer.step(1)
        total, count = total + l.item() * Y.size, count + Y.size
    assert history['train_ppl'][0] == pytest.approx(math.exp(total / count), rel=1e-6)


def test_adam_and_weight_decay_change_the_training(device, data):
    sgd = train(gluon_net(), data, device, num_epochs=2, lr=0.01)['train_ppl']
    adam = train(gluon_net(), data, device, num_epochs=2, lr=0.01, optimizer='adam')['train_ppl']
    decayed = train(gluon_net(), data, device, num_epochs=2, lr=0.01, optimizer='adam',
                    weight_decay=0.1)['train_ppl']
    assert adam[-1] < sgd[-1]  # lr 0.01 is far too small for SGD, not for Adam
    assert decayed != adam


def test_keep_best_ends_with_the_weights_of_the_best_epoch(device, data):
    # A learning rate so large that validation gets worse after the first epochs
    net = gluon_net()
    history = train(net, data, device, num_epochs=6, lr=0.05, optimizer='adam', keep_best=True)
    best = history['best_epoch']
    assert history['select_ppl'][best - 1] == min(history['select_ppl'])
    assert best < 6, 'the test needs a run whose last epoch is not its best'
    assert d2lmini.evaluate_ppl(net, data[1], device) == pytest.approx(min(history['select_ppl']))


def test_without_keep_best_the_last_weights_stay(device, data):
    net = gluon_net()
    history = train(net, data, device, num_epochs=6, lr=0.05, optimizer='adam')
    assert history['best_epoch'] < 6
    assert d2lmini.evaluate_ppl(net, data[1], device) == pytest.approx(history['select_ppl'][-1])


def test_patience_stops_after_that_many_epochs_without_a_new_best(device, data):
    history = train(gluon_net(), data, device, num_epochs=30, lr=0.05, optimizer='adam',
                    patience=2)
    ran, best = len(history['train_ppl']), history['best_epoch']
    assert ran < 30 and ran == best + 2
    assert all(ppl >= history['select_ppl'][best - 1] for ppl in history['select_ppl'][best:])


def test_report_names_the_kept_epoch(device, data, capsys):
    history = train(gluon_net(), data, device, num_epochs=30, lr=0.05, optimizer='adam',
                    patience=2, keep_best=True, show=True, prefixes=('ab',))
    out = capsys.readouterr().out
    best, ran = history['best_epoch'], len(history['train_ppl'])
    assert f'epoch {best} of {ran} (lowest validation, kept)' in out
    assert 'stopped early after 2 without a new lowest' in out
    assert f'validation {history["select_ppl"][best - 1]:.2f}' in out


@pytest.mark.parametrize('options, message', [
    (dict(keep_best=True), 'keep_best choose by validation perplexity: pass select_iter'),
    (dict(patience=3), 'patience choose by validation'),
    (dict(schedule='plateau'), "schedule='plateau' choose by validation"),
])
def test_choosing_without_validation_data_is_refused(device, data, options, message):
    with pytest.raises(ValueError, match=message):
        d2lmini.train_ch8(gluon_net(), data[0], VOCAB, 0.1, 2, device, show=False, **options)


@pytest.mark.parametrize('patience', [0, -1, 1.5, True])
def test_bad_patience_is_refused(device, data, patience):
    with pytest.raises(ValueError, match='patience .* must be a positive integer'):
        train(gluon_net(), data, device, patience=patience)


def test_clipping_record(device, data):
    tight = train(gluon_net(), data, device, num_epochs=1, theta=1e-6)
    loose = train(gluon_net(), data, device, num_epochs=1, theta=1e6)
    assert tight['clipped'] == [1.0] and loose['clipped'] == [0.0]
    assert loose['grad_norm'][0] > 0
    assert tight['lr'] == [0.01]


def test_grad_norms_are_the_norms_before_clipping(device, data):
    net = gluon_net()
    d2lmini.init_params(net, device)
    norms = []
    d2lmini.train_epoch_ch8(net, data[0], gluon.loss.SoftmaxCrossEntropyLoss(),
                            d2lmini.Updater(net, 0.1), device, False, 1e-6, norms)
    values = [n.item() for n in norms]
    assert len(values) == sum(1 for _ in data[0]) and min(values) > 1e-6


def test_grad_clipping_returns_the_norm_before_clipping(scratch_model):
    net = scratch_model()
    for p in net.params:
        p.grad[:] = 3
    size = sum(p.size for p in net.params)
    assert d2lmini.grad_clipping(net, 1).item() == pytest.approx(3 * math.sqrt(size), rel=1e-5)


# ---- dropout ----

@pytest.mark.parametrize('dropout', [-0.1, 1, 1.5, '0.3', True])
def test_dropout_outside_0_1_is_refused(dropout):
    for make in (lambda: d2lmini.RNNModel(d2lmini.get_rnn_layer('gru', 4), 5, dropout=dropout),
                 lambda: d2lmini.EmbeddingRNNModel(d2lmini.get_rnn_layer('gru', 4), 5, 3,
                                                   dropout=dropout),
                 lambda: d2lmini.get_rnn_layer('lstm', 4, num_layers=2, dropout=dropout)):
        with pytest.raises(ValueError, match=r'dropout .* must be in \[0, 1\)'):
            make()


@pytest.mark.parametrize('model', ['onehot', 'embedding'])
def test_dropout_acts_in_training_only(device, model):
    layer = d2lmini.get_rnn_layer('gru', 8)
    net = d2lmini.RNNModel(layer, 6, dropout=0.5) if model == 'onehot' else \
        d2lmini.EmbeddingRNNModel(layer, 6, 4, dropout=0.5)
    d2lmini.set_seed(0)
    d2lmini.init_params(net, device)
    X = np.array([[1, 2, 3, 4]], ctx=device)
    state = net.begin_state(batch_size=1, ctx=device)
    evaluated = [net(X, state)[0].asnumpy() for _ in range(2)]
    with autograd.record():
        trained = [net(X, state)[0].asnumpy() for _ in range(2)]
    assert (evaluated[0] == evaluated[1]).all()
    assert not (trained[0] == trained[1]).all()


def test_dropout_zero_changes_nothing(device, data):
    with_arg = train(gluon_net(dropout=0.0), data, device, num_epochs=1)
    d2lmini.set_seed(0)
    plain = d2lmini.RNNModel(d2lmini.get_rnn_layer('gru', 16), len(VOCAB))
    assert train(plain, data, device, num_epochs=1)['train_ppl'] == with_arg['train_ppl']


# ---- layers and devices ----

def test_get_rnn_layer_kinds():
    assert d2lmini.get_rnn_layer('rnn', 4)._mode == 'rnn_tanh'  # tanh, not Gluon's ReLU default
    assert d2lmini.get_rnn_layer('gru', 4)._mode == 'gru'
    assert d2lmini.get_rnn_layer('lstm', 4, num_layers=2)._num_layers == 2
    with pytest.raises(ValueError, match="unknown layer kind 'transformer'"):
        d2lmini.get_rnn_layer('transformer', 4)


def test_get_device_refuses_unknown_choices():
    assert d2lmini.get_device('cpu') == npx.cpu()
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        d2lmini.get_device('tpu')
    if npx.num_gpus() == 0:
        with pytest.raises(ValueError, match='MXNet sees no GPU'):
            d2lmini.get_device('gpu')


# ---- over_seeds ----

def test_over_seeds_reseeds_before_each_measurement(monkeypatch):
    monkeypatch.delenv(d2lmini.seeds.ENV_MAX_SEEDS, raising=False)
    runs = d2lmini.over_seeds(lambda: onp.random.uniform(), seeds=(0, 1, 0))
    assert runs.values[0] == runs.values[2] != runs.values[1]
    assert runs.mean == pytest.approx(sum(runs.values) / 3)
    assert (runs.low, runs.high) == (min(runs.values), max(runs.values))
    assert str(runs) == f'{runs.mean:.2f} (range {runs.low:.2f}-{runs.high:.2f}, 3 seeds)'


def test_max_seeds_caps_the_seeds(monkeypatch):
    monkeypatch.setenv(d2lmini.seeds.ENV_MAX_SEEDS, '1')
    runs = d2lmini.over_seeds(lambda: 1.5)
    assert runs.seeds == (0,) and str(runs) == '1.50 (one seed)'
    monkeypatch.setenv(d2lmini.seeds.ENV_MAX_SEEDS, 'zero')
    with pytest.raises(ValueError, match='D2LMINI_MAX_SEEDS must be a positive integer'):
        d2lmini.over_seeds(lambda: 1.5)
    with pytest.raises(ValueError, match='at least one seed'):
        d2lmini.over_seeds(lambda: 1.5, seeds=())


# ---- the three slices ----

def test_time_machine_val_split_is_the_book_split_with_a_validation_slice():
    train_iter, val_iter, held_out_iter, vocab = d2lmini.load_data_time_machine_val(32, 35)
    old_train, old_held_out, old_vocab = d2lmini.load_data_time_machine_split(32, 35)
    assert vocab.idx_to_token == old_vocab.idx_to_token
    assert list(held_out_iter.corpus) == list(old_held_out.corpus)
    assert list(train_iter.corpus) + list(val_iter.corpus) == list(old_train.corpus)
    assert len(val_iter.corpus) == int(len(old_train.corpus) * 0.1)
    # the validation slice is the one on which ngram_yardstick chooses n by default
    fit_part, val_part = d2lmini.split_corpus(list(old_train.corpus), 0.1)
    assert list(val_iter.corpus) == val_part and list(train_iter.corpus) == fit_part
