"""Held-out perplexity on Tiny Shakespeare after a fixed budget of training time.

The split is the homework's (d2lmini.load_data_shakespeare: 90% training, 5% validation, 5% test, in
that order). With ``letters_only=False`` the text keeps case, punctuation and line breaks (65
characters), which is what published character-level results on Tiny Shakespeare use.
"""
import math
import time

from mxnet import gluon, npx

import d2lmini

from . import BATCH_SIZE, LR, NUM_HIDDENS, NUM_STEPS, THETA, specs


class Until:
    """The minibatches of an endless stream, until ``seconds`` of training have passed.

    Every ``sync_every`` minibatches it waits for the queued work, so the clock is not fooled by
    MXNet running behind Python.
    """
    def __init__(self, stream, seconds, sync_every=8):
        self.stream, self.seconds, self.sync_every = stream, seconds, sync_every
        self.num_batches = 0

    def __iter__(self):
        start = time.perf_counter()
        for i, batch in enumerate(self.stream):
            if i and i % self.sync_every == 0:
                npx.waitall()
            if i and time.perf_counter() - start >= self.seconds:
                return
            self.num_batches += 1
            yield batch


def endless(data_iter):
    """Epoch after epoch of ``data_iter`` (each pass draws a new random offset)."""
    while True:
        yield from data_iter


def train_for(model, seconds, data, device, checkpoints=4, num_hiddens=NUM_HIDDENS, lr=LR):
    """Train ``model`` for ``seconds`` of wall-clock time with d2lmini.train_epoch_ch8.

    ``data`` is (train_iter, val_iter, test_iter, vocab). The validation perplexity is measured at
    ``checkpoints`` evenly spaced times (evaluation is not counted in the budget); whenever it is the
    lowest so far, the test perplexity is measured too, so the result also holds the best checkpoint
    (the model one would keep) and its test perplexity.
    Returns a dict with the final and best validation perplexity and the curve
    [(seconds, tokens, train ppl, val ppl)].
    """
    train_iter, val_iter, test_iter, vocab = data
    d2lmini.set_seed(0)
    epoch_tokens = sum(1 for _ in train_iter) * BATCH_SIZE * NUM_STEPS
    net = specs.build(model, len(vocab), num_hiddens, device)
    if isinstance(net, gluon.Block):  # as train_ch8 does
        d2lmini.init_params(net, device)
    updater = d2lmini.Updater(net, lr)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    stream = endless(train_iter)
    trained, tokens, curve, best = 0.0, 0, [], None
    cpu_start = time.process_time()
    for k in range(1, checkpoints + 1):
        part = Until(stream, seconds * k / checkpoints - trained)
        start = time.perf_counter()
        train_ppl, _ = d2lmini.train_epoch_ch8(net, part, loss, updater, device, False, THETA)
        trained += time.perf_counter() - start
        tokens += part.num_batches * BATCH_SIZE * NUM_STEPS
        curve.append((trained, tokens, train_ppl, d2lmini.evaluate_ppl(net, val_iter, device)))
        if best is None or curve[-1][3] < best['best_val_ppl']:
            best = {'best_val_ppl': curve[-1][3], 'best_at_seconds': trained, 'best_at_epochs': tokens / epoch_tokens,
                    'test_ppl_at_best': d2lmini.evaluate_ppl(net, test_iter, device)}
    val_ppl = curve[-1][3]
    return {**best, 'val_ppl': val_ppl, 'val_loss': math.log(val_ppl), 'train_ppl': curve[-1][2],
            'trained_seconds': trained, 'cpu_seconds': time.process_time() - cpu_start,
            'tokens': tokens, 'epochs_done': tokens / epoch_tokens, 'curve': curve, 'vocab_size': len(vocab)}


def shakespeare(letters_only):
    """(train_iter, val_iter, test_iter, vocab) of the homework split."""
    return d2lmini.load_data_shakespeare(BATCH_SIZE, NUM_STEPS, letters_only=letters_only)
