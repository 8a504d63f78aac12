"""The optimizer and its learning-rate schedule (chapter 13), in one place.

``train_ch8``, the command-line trainer (``python -m d2lmini.train``) and
the benchmarks all build their updater here: ``init_params`` draws a Gluon
model's weights, ``Updater`` steps them.
"""
import math

import mxnet as mx
from d2l import mxnet as d2l
from mxnet import gluon, init

OPTIMIZERS = ('sgd', 'adam')
SCHEDULES = ('constant', 'step', 'cosine', 'plateau')


def init_params(net, device):
    """Draw a Gluon model's weights afresh from N(0, 0.01^2), the book's way."""
    net.initialize(ctx=device, force_reinit=True, init=init.Normal(0.01))


def check_positive(name, value, integer=False):
    """Refuse (ValueError) a value that is not a positive number (or int)."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        kind = 'a positive integer' if integer else 'a positive number'
        raise ValueError(f'{name} must be {kind}, got {value!r}')


class Updater:
    """Updates the parameters after each minibatch: ``updater(batch_size)``.

    A Gluon model gets a ``gluon.Trainer`` with ``optimizer`` ('sgd' or
    'adam') and L2 ``weight_decay``; a scratch model (a ``params`` list)
    gets plain minibatch SGD. The learning rate starts at ``lr`` and
    follows ``schedule``, set once per epoch:

    - 'constant': ``lr`` throughout;
    - 'step': times ``factor`` after every ``step_epochs`` epochs;
    - 'cosine': from ``lr`` down to ``final_lr`` over ``num_epochs``;
    - 'plateau': times ``factor`` whenever ``lr_patience`` epochs pass
      without a new lowest validation perplexity.

    'step' and 'cosine' are Gluon's FactorScheduler and CosineScheduler,
    counted in epochs. Call ``start_epoch(epoch)`` (1 for the first)
    before each epoch and ``end_epoch(val_ppl)`` after it.

    Defined in chapter 13.
    """
    def __init__(self, net, lr, optimizer='sgd', weight_decay=0.0,
                 schedule='constant', num_epochs=None, step_epochs=10,
                 factor=0.5, final_lr=0.0, lr_patience=2):
        check_positive('lr', lr)
        if optimizer not in OPTIMIZERS:
            raise ValueError(f'unknown optimizer {optimizer!r}: choose one '
                             f'of {", ".join(OPTIMIZERS)}')
        if schedule not in SCHEDULES:
            raise ValueError(f'unknown schedule {schedule!r}: choose one '
                             f'of {", ".join(SCHEDULES)}')
        if (isinstance(weight_decay, bool)
                or not isinstance(weight_decay, (int, float))
                or weight_decay < 0):
            raise ValueError(f'weight_decay must be a number >= 0, '
                             f'got {weight_decay!r}')
        if not 0 < factor < 1:
            raise ValueError(f'factor (the schedule multiplies the learning '
                             f'rate by it) must be in (0, 1), got {factor!r}')
        check_positive('step_epochs', step_epochs, integer=True)
        check_positive('lr_patience', lr_patience, integer=True)
        if isinstance(net, gluon.Block):
            self.trainer = gluon.Trainer(
                net.collect_params(), optimizer,
                {'learning_rate': lr, 'wd': weight_decay})
        elif optimizer != 'sgd' or weight_decay:
            raise ValueError('a scratch model (a params list) trains with '
                             'plain SGD only; use a Gluon model (e.g. '
                             'd2lmini.RNNModel) for adam or weight_decay')
        else:
            self.trainer, self.params = None, net.params
        self.lr, self.schedule = lr, schedule
        self.factor, self.lr_patience = factor, lr_patience
        self.scheduler = None
        if schedule == 'step':
            self.scheduler = mx.lr_scheduler.FactorScheduler(
                step=step_epochs, factor=factor, base_lr=lr)
        elif schedule == 'cosine':
            check_positive('num_epochs (for the cosine schedule)',
                           num_epochs, integer=True)
            if not 0 <= final_lr < lr:
                raise ValueError(f'final_lr must be >= 0 and below lr={lr}, '
                                 f'got {final_lr!r}')
            self.scheduler = mx.lr_scheduler.CosineScheduler(
                max_update=num_epochs, base_lr=lr, final_lr=final_lr)
        self.best_ppl, self.bad_epochs = math.inf, 0

    def set_learning_rate(self, lr):
        self.lr = lr
        if self.trainer is not None:
            self.trainer.set_learning_rate(lr)

    def start_epoch(self, epoch):
        """Set the learning rate of epoch number ``epoch`` (1, 2, ...)."""
        if self.schedule == 'step':  # decayed once epoch > step_epochs, ...
            self.set_learning_rate(self.scheduler(epoch))
        elif self.schedule == 'cosine':  # lr first, near final_lr last
            self.set_learning_rate(self.scheduler(epoch - 1))

    def end_epoch(self, val_ppl):
        """Take the epoch's validation perplexity; True if it is the lowest yet.

        With 'plateau', ``lr_patience`` epochs in a row without a new lowest
        one multiply the learning rate by ``factor``.
        """
        if val_ppl < self.best_ppl:
            self.best_ppl, self.bad_epochs = val_ppl, 0
            return True
        self.bad_epochs += 1
        if self.schedule == 'plateau' and self.bad_epochs >= self.lr_patience:
            self.set_learning_rate(self.lr * self.factor)
            self.bad_epochs = 0
        return False

    def __call__(self, batch_size):
        """One update with the last backward pass's gradients / batch_size."""
        if self.trainer is not None:
            self.trainer.step(batch_size)
        else:
            d2l.sgd(self.params, self.lr, batch_size)
