"""Training and using recurrent language models: clipping, prediction, perplexity, the training loop."""
import math
import os
import random

import mxnet as mx
import numpy as onp
from d2l import mxnet as d2l
from mxnet import autograd, gluon, init, np

ENV_MAX_EPOCHS = 'D2LMINI_MAX_EPOCHS'
ENV_OUTPUT = 'D2LMINI_OUTPUT'


def set_seed(seed):
    """Seed Python's, NumPy's and MXNet's random generators (all devices)."""
    random.seed(seed)
    onp.random.seed(seed)
    mx.random.seed(seed)


def max_epochs(num_epochs):
    """``num_epochs``, or the cap in $D2LMINI_MAX_EPOCHS if that is set and smaller.

    The test suite sets the cap so that every notebook cell runs in seconds; real runs leave it unset.
    """
    cap = os.environ.get(ENV_MAX_EPOCHS)
    if not cap:
        return num_epochs
    if not cap.isdigit() or int(cap) < 1:
        raise ValueError(f'{ENV_MAX_EPOCHS} must be a positive integer, got {cap!r}; unset it for full runs')
    return min(num_epochs, int(cap))


def output_dir(name):
    """The folder where notebook ``name`` may write files (created if missing).

    It is ``_output/<name>`` under the current directory (a notebook's own folder when run from
    Jupyter), or ``$D2LMINI_OUTPUT/<name>`` if that is set. Notebooks write nowhere else.
    """
    if not name or os.sep in name or name in ('.', '..'):
        raise ValueError(f'output_dir needs a plain folder name such as the notebook\'s, got {name!r}')
    path = os.path.join(os.environ.get(ENV_OUTPUT) or '_output', name)
    os.makedirs(path, exist_ok=True)
    return path


def detach_state(state):
    """A copy of the state cut from its computation graph (arrays, or tuples/lists of arrays)."""
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


def check_prefix(prefix, num_preds, vocab):
    """Refuse (ValueError) an empty prefix, characters not in the vocabulary, or a bad num_preds.

    Unknown characters are refused rather than read as '<unk>', which the model never saw in training.
    """
    if not prefix:
        raise ValueError('prefix is empty: give at least one character to start from, e.g. "time traveller"')
    unknown = sorted({char for char in prefix if char not in vocab.token_to_idx})
    if unknown:
        known = ''.join(sorted(token for token in vocab.idx_to_token if len(token) == 1))
        raise ValueError(f'prefix {prefix!r} has characters that are not in the vocabulary: {unknown}. '
                         f'Use only characters the model was trained on: {known!r} (for text cleaned '
                         'to letters only, try prefix.lower() without punctuation).')
    if not isinstance(num_preds, int) or num_preds < 0:
        raise ValueError(f'num_preds must be a non-negative int, got {num_preds!r}')


def predict_ch8(prefix, num_preds, net, vocab, device):
    """Feed ``prefix`` through the net to warm up its state, then append ``num_preds`` greedy characters."""
    check_prefix(prefix, num_preds, vocab)
    outputs = vocab[list(prefix)]
    state = net.begin_state(batch_size=1, ctx=device)
    if len(outputs) > 1:  # warm-up: run over the prefix, ignoring the predictions
        _, state = net(np.array([outputs[:-1]], ctx=device), state)
    for _ in range(num_preds):  # predict: feed the last token, append the most likely next one
        y, state = net(np.array([[outputs[-1]]], ctx=device), state)
        outputs.append(int(y.argmax(axis=1)[0]))
    return ''.join(vocab.to_tokens(outputs))


def grad_clipping(net, theta):
    """Rescale the gradients so that their global L2 norm is at most ``theta``.

    ``net`` is a Gluon block or a scratch model with a ``params`` list.
    """
    if isinstance(net, gluon.Block):
        params = [p.data() for p in net.collect_params().values() if p.grad_req != 'null']
    else:
        params = net.params
    norm = np.sqrt(sum((p.grad ** 2).sum() for p in params))
    # g <- g * min(1, theta / ||g||), computed on the device without a round trip to Python
    scale = np.minimum(1, theta / norm)
    for param in params:
        grad = param.grad
        grad *= scale  # in place: no temporary array


def train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter, theta=1):
    """Train one epoch, clipping gradients to norm ``theta``; return (perplexity, tokens per second)."""
    state, timer = None, d2l.Timer()
    total_loss, num_tokens = np.zeros(1, ctx=device), 0  # summed on the device, read once at the end
    for X, Y in train_iter:
        if state is None or use_random_iter:
            # A fresh state at the first batch, and for every batch of random samples
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        else:
            # Keep the values but cut the graph: backpropagation stops at this batch
            state = detach_state(state)
        y = Y.T.reshape(-1)  # time-major, to match the outputs
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, y).mean()
        l.backward()
        grad_clipping(net, theta)
        updater(batch_size=1)  # the loss is already a mean
        total_loss += l * y.size
        num_tokens += y.size
    perplexity = math.exp(total_loss.item() / num_tokens)
    return perplexity, num_tokens / timer.stop()


def evaluate_ppl(net, data_iter, device):
    """Perplexity on data read in order, carrying the state from batch to batch; no training."""
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    state, total_loss, num_tokens = None, np.zeros(1, ctx=device), 0
    for X, Y in data_iter:
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        y_hat, state = net(X.as_in_ctx(device), state)
        total_loss += loss(y_hat, Y.T.reshape(-1).as_in_ctx(device)).sum()
        num_tokens += Y.size
    if num_tokens == 0:
        raise ValueError('data_iter yielded no minibatches: nothing to evaluate')
    return math.exp(total_loss.item() / num_tokens)


def in_notebook():
    """True inside a Jupyter kernel (where a live plot can be shown)."""
    try:
        return get_ipython().__class__.__name__ == 'ZMQInteractiveShell'  # noqa: F821
    except NameError:
        return False


def train_ch8(net, train_iter, vocab, lr, num_epochs, device, use_random_iter=False, val_iter=None,
              prefixes=('time traveller', 'traveller'), theta=1, yardstick=None):
    """Train a model (a Gluon block is first initialized afresh); plot perplexity by epoch.

    With ``val_iter``, the held-out perplexity is measured after each epoch as well.
    ``yardstick`` (a ``d2lmini.NGramYardstick``) adds its n-gram's held-out perplexity to the plot,
    as a flat line, and to the report. Gradients are clipped to norm ``theta``. At the end, prints
    the perplexities and 50 characters predicted after each of ``prefixes``.
    Returns a dict of per-epoch lists: 'train_ppl', 'val_ppl' (if any) and 'tokens_per_sec'.
    """
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    if isinstance(net, gluon.Block):
        net.initialize(ctx=device, force_reinit=True, init=init.Normal(0.01))
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
        updater = lambda batch_size: trainer.step(batch_size)
    else:
        updater = lambda batch_size: d2l.sgd(net.params, lr, batch_size)
    history = {'train_ppl': [], 'tokens_per_sec': []}
    legend = ['train']
    if val_iter is not None:
        history['val_ppl'] = []
        legend.append('held-out')
    references = []
    if yardstick is not None:
        legend.append(f'{yardstick.n}-gram, held-out')
        references.append(yardstick.ngram_ppl)
    progress = LiveProgress(num_epochs, legend, references)
    for epoch in range(num_epochs):
        ppl, speed = train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter, theta)
        history['train_ppl'].append(ppl)
        history['tokens_per_sec'].append(speed)
        if val_iter is not None:
            history['val_ppl'].append(evaluate_ppl(net, val_iter, device))
        progress.update(epoch + 1, {key: values[-1] for key, values in history.items()})
    progress.close()
    report = f'perplexity {ppl:.2f}'
    if val_iter is not None:
        report += f', held-out perplexity {history["val_ppl"][-1]:.2f}'
    if yardstick is not None:
        report += f' ({yardstick.n}-gram: {yardstick.ngram_ppl:.2f})'
    print(f'{report}, {speed:.0f} tokens/sec')
    for prefix in prefixes:
        print(predict_ch8(prefix, 50, net, vocab, device))
    return history


class LiveProgress:
    """Perplexity by epoch: a live plot (d2l.Animator) in a notebook, a tqdm bar elsewhere.

    ``references`` are constant perplexities drawn as flat lines (the last names of ``legend``).
    """
    def __init__(self, num_epochs, legend, references=()):
        self.legend, self.references = legend, list(references)
        if in_notebook():
            self.animator = d2l.Animator(xlabel='epoch', ylabel='perplexity', legend=legend,
                                         xlim=[1, max(num_epochs, 2)])
            self.bar = None
        else:
            from tqdm import tqdm
            self.animator, self.bar = None, tqdm(total=num_epochs, unit='epoch')

    def update(self, epoch, latest):
        """latest: the newest values of 'train_ppl', maybe 'val_ppl', and 'tokens_per_sec'."""
        ppls = [latest['train_ppl']] + ([latest['val_ppl']] if 'val_ppl' in latest else [])
        if self.animator is not None:
            self.animator.add(epoch, ppls + self.references)
        else:
            self.bar.set_postfix({name: f'{p:.2f}' for name, p in zip(self.legend, ppls)}
                                 | {'tokens/s': f"{latest['tokens_per_sec']:.0f}"})
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
