"""Training and using recurrent language models: clipping, prediction, perplexity, the training loop."""
import math
import os
import random

import mxnet as mx
import numpy as onp
from d2l import mxnet as d2l
from mxnet import autograd, gluon, np

from .data import env_cap
from .optim import Updater, check_positive, init_params

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
    cap = env_cap(ENV_MAX_EPOCHS)
    return num_epochs if cap is None else min(num_epochs, cap)


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
    """A copy of the state cut from its computation graph (arrays, or
    tuples/lists of arrays).

    Defined in chapter 4.
    """
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


def check_prefix(prefix, num_preds, vocab):
    """Refuse (ValueError) an empty prefix, characters not in the vocabulary,
    or a bad num_preds.

    Unknown characters are refused rather than read as '<unk>', which the
    model never saw in training.

    Defined in chapter 4.
    """
    if not prefix:
        raise ValueError('prefix is empty: give at least one character to '
                         'start from, e.g. "time traveller"')
    unknown = sorted({char for char in prefix
                      if char not in vocab.token_to_idx})
    if unknown:
        known = ''.join(sorted(token for token in vocab.idx_to_token
                               if len(token) == 1))
        raise ValueError(f'prefix {prefix!r} has characters that are not in '
                         f'the vocabulary: {unknown}. Use only characters '
                         f'the model was trained on: {known!r} (for text '
                         'cleaned to letters only, try prefix.lower() '
                         'without punctuation).')
    if not isinstance(num_preds, int) or num_preds < 0:
        raise ValueError(
            f'num_preds must be a non-negative int, got {num_preds!r}')


def predict_ch8(prefix, num_preds, net, vocab, device):
    """Feed ``prefix`` through the net to warm up its state, then append
    ``num_preds`` greedy characters.

    Defined in chapter 4.
    """
    check_prefix(prefix, num_preds, vocab)
    outputs = vocab[list(prefix)]
    state = net.begin_state(batch_size=1, ctx=device)
    # Warm-up: run over the prefix, ignoring the predictions
    if len(outputs) > 1:
        _, state = net(np.array([outputs[:-1]], ctx=device), state)
    # Predict: feed the last token, append the most likely next one
    for _ in range(num_preds):
        y, state = net(np.array([[outputs[-1]]], ctx=device), state)
        outputs.append(int(y.argmax(axis=1)[0]))
    return ''.join(vocab.to_tokens(outputs))


def grad_clipping(net, theta):
    """Rescale the gradients so that their global L2 norm is at most
    ``theta``; return that norm.

    ``net`` is a Gluon block or a scratch model with a ``params`` list.

    Defined in chapter 4.
    """
    if isinstance(net, gluon.Block):
        params = [p.data() for p in net.collect_params().values()
                  if p.grad_req != 'null']
    else:
        params = net.params
    norm = np.sqrt(sum((p.grad ** 2).sum() for p in params))
    # g <- g * min(1, theta / ||g||), computed on the device without a round
    # trip to Python
    scale = np.minimum(1, theta / norm)
    for param in params:
        grad = param.grad
        grad *= scale  # in place: no temporary array
    return norm  # the norm before clipping, still on the device


def train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter,
                    theta=1, grad_norms=None):
    """Train one epoch, clipping gradients to norm ``theta``; return
    (perplexity, tokens per second).

    If ``grad_norms`` is a list, each step's gradient norm (before clipping)
    is appended to it.

    Defined in chapter 4.
    """
    state, timer = None, d2l.Timer()
    # Summed on the device, read once at the end
    total_loss, num_tokens = np.zeros(1, ctx=device), 0
    for X, Y in train_iter:
        if state is None or use_random_iter:
            # A fresh state at the first batch, and for every batch of
            # random samples
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        else:
            # Keep the values but cut the graph: backpropagation stops at
            # this batch
            state = detach_state(state)
        y = Y.T.reshape(-1)  # time-major, to match the outputs
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, y).mean()
        l.backward()
        norm = grad_clipping(net, theta)
        if grad_norms is not None:
            grad_norms.append(norm)
        updater(batch_size=1)  # the loss is already a mean
        total_loss += l * y.size
        num_tokens += y.size
    perplexity = math.exp(total_loss.item() / num_tokens)
    return perplexity, num_tokens / timer.stop()


def evaluate_ppl(net, data_iter, device):
    """Perplexity on data read in order, carrying the state from batch to
    batch; no training.

    Defined in chapter 4.
    """
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    state, total_loss, num_tokens = None, np.zeros(1, ctx=device), 0
    for X, Y in data_iter:
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        y_hat, state = net(X.as_in_ctx(device), state)
        total_loss += loss(y_hat, Y.T.reshape(-1).as_in_ctx(device)).sum()
        num_tokens += Y.size
    if num_tokens == 0:
        raise ValueError(
            'data_iter yielded no minibatches: nothing to evaluate')
    return math.exp(total_loss.item() / num_tokens)


def in_notebook():
    """True inside a Jupyter kernel (where a live plot can be shown)."""
    try:
        return get_ipython().__class__.__name__ == 'ZMQInteractiveShell'  # noqa: F821
    except NameError:
        return False


def train_ch8(net, train_iter, vocab, lr, num_epochs, device,
              use_random_iter=False, val_iter=None,
              prefixes=('time traveller', 'traveller'), theta=1,
              yardstick=None, select_iter=None, optimizer='sgd',
              weight_decay=0.0, schedule='constant', schedule_options=None,
              patience=None, keep_best=False, show=True):
    """Train a model (a Gluon block is first initialized afresh).

    ``val_iter``: held-out text; its perplexity is measured after each
    epoch and reported, and chooses nothing. ``select_iter``: a validation
    slice carved out of the training text, which does choose:
    ``keep_best`` ends with the weights of the epoch of lowest validation
    perplexity, ``patience`` stops after that many epochs without a new
    lowest one, and ``schedule='plateau'`` follows it. ``optimizer``,
    ``weight_decay``, ``schedule`` and ``schedule_options`` (a dict) go to
    ``Updater`` (chapter 13). ``yardstick`` (an ``NGramYardstick``) adds its
    held-out perplexity to the plot as a flat line, and to the report.
    Gradients are clipped to norm ``theta``. With ``show``, plots
    perplexity by epoch and ends with a report (of the kept epoch) and 50
    characters predicted after each of ``prefixes``.
    Returns per-epoch lists: 'train_ppl', 'tokens_per_sec', 'lr',
    'clipped' (fraction of steps with gradient norm above theta),
    'grad_norm' (median norm before clipping), 'val_ppl' (with val_iter),
    'select_ppl' (with select_iter); and 'best_epoch' (with select_iter:
    the epoch of lowest validation perplexity, 1 for the first).

    Defined in chapter 13.
    """
    check_selection(select_iter, patience, keep_best, schedule)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    if isinstance(net, gluon.Block):
        init_params(net, device)
    updater = Updater(net, lr, optimizer, weight_decay, schedule,
                      num_epochs, **(schedule_options or {}))
    history = {key: [] for key in
               ('train_ppl', 'tokens_per_sec', 'lr', 'clipped', 'grad_norm')}
    legend = ['train']
    if select_iter is not None:
        history['select_ppl'] = []
        legend.append('validation')
    if val_iter is not None:
        history['val_ppl'] = []
        legend.append('held-out')
    references = []
    if yardstick is not None:
        legend.append(f'{yardstick.n}-gram, held-out')
        references.append(yardstick.ngram_ppl)
    progress = LiveProgress(num_epochs, legend, references) if show else None
    best_epoch, best_params = None, None
    for epoch in range(1, num_epochs + 1):
        updater.start_epoch(epoch)
        norms = []
        ppl, speed = train_epoch_ch8(net, train_iter, loss, updater, device,
                                     use_random_iter, theta, norms)
        norms = np.stack(norms).asnumpy()  # one read from the device
        history['train_ppl'].append(ppl)
        history['tokens_per_sec'].append(speed)
        history['lr'].append(updater.lr)
        history['clipped'].append(float((norms > theta).mean()))
        history['grad_norm'].append(float(onp.median(norms)))
        if select_iter is not None:
            select_ppl = evaluate_ppl(net, select_iter, device)
            history['select_ppl'].append(select_ppl)
            if updater.end_epoch(select_ppl):  # a new lowest one
                best_epoch = epoch
                if keep_best:
                    best_params = copy_params(net)
        if val_iter is not None:
            history['val_ppl'].append(evaluate_ppl(net, val_iter, device))
        if show:
            progress.update(epoch, {k: v[-1] for k, v in history.items()})
        if patience is not None and epoch - best_epoch >= patience:
            break
    if select_iter is not None:
        history['best_epoch'] = best_epoch
        if keep_best:
            restore_params(net, best_params)
    if show:
        progress.close()
        print(training_report(history, num_epochs, keep_best, patience,
                              yardstick))
        for prefix in prefixes:
            print(predict_ch8(prefix, 50, net, vocab, device))
    return history


def training_report(history, num_epochs, keep_best, patience, yardstick):
    """The line train_ch8 prints at the end: the perplexities it kept.

    Defined in chapter 13.
    """
    ran = len(history['train_ppl'])
    kept = history['best_epoch'] if keep_best else ran
    report = f'perplexity {history["train_ppl"][kept - 1]:.2f}'
    if 'select_ppl' in history:
        report += f', validation {history["select_ppl"][kept - 1]:.2f}'
    if 'val_ppl' in history:
        report += f', held-out perplexity {history["val_ppl"][kept - 1]:.2f}'
    if yardstick is not None:
        report += f' ({yardstick.n}-gram: {yardstick.ngram_ppl:.2f})'
    if 'select_ppl' in history:
        if keep_best:
            head = f'epoch {kept} of {ran} (lowest validation, kept)'
        else:
            head = f'epoch {ran} (lowest validation: {history["best_epoch"]})'
        if ran < num_epochs:
            head += f', stopped early after {patience} without a new lowest'
        report = f'{head}: {report}'
    return f'{report}, {history["tokens_per_sec"][-1]:.0f} tokens/sec'


def check_selection(select_iter, patience, keep_best, schedule):
    """Refuse (ValueError) choosing by validation without validation data.

    Defined in chapter 13.
    """
    wanted = [name for name, on in (
        ('keep_best', keep_best), ('patience', patience is not None),
        ("schedule='plateau'", schedule == 'plateau')) if on]
    if wanted and select_iter is None:
        raise ValueError(
            f'{" and ".join(wanted)} choose by validation perplexity: pass '
            'select_iter, a validation slice carved out of the training text '
            '(d2lmini.load_data_time_machine_val gives one), never the '
            'held-out text')
    if patience is not None:
        check_positive('patience (epochs without a new lowest validation '
                       'perplexity)', patience, integer=True)


def copy_params(net):
    """Copies of a model's parameter values (Gluon block or scratch model).

    Defined in chapter 13.
    """
    if isinstance(net, gluon.Block):
        return {name: p.data().copy()
                for name, p in net.collect_params().items()}
    return [p.copy() for p in net.params]


def restore_params(net, values):
    """Put back the values that ``copy_params`` took.

    Defined in chapter 13.
    """
    if isinstance(net, gluon.Block):
        for name, p in net.collect_params().items():
            p.set_data(values[name])
    else:
        for p, value in zip(net.params, values):
            p[:] = value


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
        """latest: the newest 'train_ppl', 'tokens_per_sec', maybe 'select_ppl' and 'val_ppl'."""
        ppls = [latest[key] for key in ('train_ppl', 'select_ppl', 'val_ppl') if key in latest]
        if self.animator is not None:
            self.animator.add(epoch, ppls + self.references)
        else:
            self.bar.set_postfix({name: f'{p:.2f}' for name, p in zip(self.legend, ppls)}
                                 | {'tokens/s': f"{latest['tokens_per_sec']:.0f}"})
            self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
