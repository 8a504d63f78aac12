"""Training throughput (tokens per second) of d2lmini.train_ch8 and of a bare Gluon loop on the same batches.

Every path times whole epochs the same way: the clock starts before the first minibatch is drawn and
stops after all queued work has finished; the first ``warmup`` epochs are not counted.
"""
import contextlib
import io
import statistics
import time

from mxnet import autograd, gluon, np, npx

import d2lmini

from . import BATCH_SIZE, LR, NUM_HIDDENS, NUM_STEPS, THETA, WARMUP_EPOCHS, specs
from .machine import peak_rss_mb


def time_machine_batches(max_batches=None, batch_size=BATCH_SIZE, num_steps=NUM_STEPS):
    """(train_iter, vocab): the training part of The Time Machine, as in the chapters.

    With ``max_batches``, the text is cut so that an epoch has that many minibatches (short runs).
    """
    train_iter, _, vocab = d2lmini.load_data_time_machine_split(batch_size, num_steps, held_out=0.1)
    if max_batches:
        text = train_iter.corpus[:max_batches * batch_size * num_steps + num_steps + 1]
        train_iter = d2lmini.SeqDataLoader(text, batch_size, num_steps)
    return train_iter, vocab


def summarize(speeds, warmup, cpu_speeds=None):
    """The result of one path: median tokens/s of the timed epochs (the warm-up ones are dropped).

    ``cpu_speeds``: tokens per second of process CPU time (all threads), per epoch. On a busy
    machine this varies much less than wall-clock speed, so its ratios are the ones to trust there.
    """
    timed = speeds[warmup:]
    result = {'tokens_per_sec': statistics.median(timed), 'epoch_tokens_per_sec': list(speeds),
              'warmup_epochs': warmup, 'timed_epochs': len(timed),
              'spread': (max(timed) - min(timed)) / statistics.median(timed) if len(timed) > 1 else 0.0}
    if cpu_speeds:
        result['cpu_tokens_per_sec'] = statistics.median(cpu_speeds[warmup:])
        result['epoch_cpu_tokens_per_sec'] = list(cpu_speeds)
    return result


def combine_rounds(runs, key='tokens_per_sec', cpu_key='cpu_tokens_per_sec'):
    """One result from the same measurement repeated in several processes: the median process.

    On a shared virtual machine one process can run tens of percent faster or slower than the next
    (cause unknown), while the epochs inside one process usually agree to a few percent; the median process
    (by ``key``) is robust to one odd process. Its own epochs are kept, with every process's ``key``
    in 'rounds_<key>'; ``cpu_key`` is the (lower) median over the processes, memory the largest.
    """
    if not runs:
        raise ValueError('combine_rounds needs at least one result')
    middle = statistics.median_low(r[key] for r in runs)
    result = dict(next(r for r in runs if r[key] == middle))
    result[f'rounds_{key}'] = [r[key] for r in runs]
    cpu = [r[cpu_key] for r in runs if cpu_key in r]
    if cpu:
        result[cpu_key] = statistics.median_low(cpu)
    for memory in ('peak_rss_mb', 'rss_increase_mb', 'bare_rss_increase_mb'):
        if memory in result:
            result[memory] = max(r[memory] for r in runs)
    return result


class EpochClock:
    """Wraps a data iterator; notes the process CPU time and the tokens at the start of each epoch."""
    def __init__(self, data_iter):
        self.data_iter, self.stamps, self.tokens = data_iter, [], []

    def __iter__(self):
        self.stamps.append(time.process_time())
        self.tokens.append(0)
        for X, Y in self.data_iter:
            self.tokens[-1] += Y.size
            yield X, Y

    def cpu_speeds(self, end):
        """Tokens per CPU-second of each epoch; ``end`` is the CPU time when the last one finished."""
        stamps = self.stamps + [end]
        return [n / (b - a) for n, a, b in zip(self.tokens, stamps, stamps[1:])]


def timed_train_ch8(net, train_iter, vocab, device, num_epochs):
    """d2lmini.train_ch8 as the chapters call it: (tokens/s, tokens per CPU-s), one per epoch.

    The tokens/s are train_ch8's own (from train_epoch_ch8); the clock only adds CPU-time stamps.
    """
    d2lmini.set_seed(0)
    clock = EpochClock(train_iter)
    # its final report and progress bar are not needed here
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        history = d2lmini.train_ch8(net, clock, vocab, LR, num_epochs, device, prefixes=(), theta=THETA)
    return history['tokens_per_sec'], clock.cpu_speeds(time.process_time())


def run_train_ch8(model, train_iter, vocab, device, epochs, warmup=WARMUP_EPOCHS, num_hiddens=NUM_HIDDENS):
    """train_ch8 on a new model for warm-up + timed epochs, summarized."""
    net = specs.build(model, len(vocab), num_hiddens, device)
    speeds, cpu_speeds = timed_train_ch8(net, train_iter, vocab, device, warmup + epochs)
    return summarize(speeds, warmup, cpu_speeds)


def bare_epoch(net, train_iter, loss, params, step, device, theta=THETA):
    """One epoch of the minimal loop: the same batches, state handling, loss, clipping math and update."""
    state, total, num_tokens = None, np.zeros(1, ctx=device), 0
    grads = [p.grad for p in params]  # the gradient buffers stay the same arrays from step to step
    for X, Y in train_iter:
        X, y = X.as_in_ctx(device), Y.T.reshape(-1).as_in_ctx(device)
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        else:
            state = [s.detach() for s in state]
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, y).mean()
        l.backward()
        scale = np.minimum(1, theta / np.sqrt(sum((g ** 2).sum() for g in grads)))
        for g in grads:
            g *= scale  # in place, the same arithmetic as d2lmini.grad_clipping
        step()
        total += l
        num_tokens += y.size
    total.item()  # the only read of the loss: waits for the epoch's work to finish
    return num_tokens


def bare_setup(model, vocab, device, num_hiddens=NUM_HIDDENS):
    """(net, params, step): the model, its parameter arrays and one SGD update, for ``bare_epoch``.

    Initialisation and update are train_ch8's own (``d2lmini.init_params``, ``d2lmini.Updater``
    with its defaults: plain SGD at learning rate LR, a ``gluon.Trainer`` for a Gluon model).
    """
    net = specs.build(model, len(vocab), num_hiddens, device)
    d2lmini.set_seed(0)
    if isinstance(net, gluon.Block):
        d2lmini.init_params(net, device)
        # A first forward pass completes the deferred shapes, so that the gradient buffers exist
        net(np.zeros((1, 1), ctx=device), net.begin_state(batch_size=1, ctx=device))
        params = [p.data(device) for p in net.collect_params().values() if p.grad_req != 'null']
    else:
        params = net.params
    updater = d2lmini.Updater(net, LR)
    return net, params, lambda: updater(batch_size=1)  # the loss is already a mean


def timed_bare_epoch(net, train_iter, params, step, device):
    """(tokens/s, tokens per CPU-s) of one bare epoch, the clock stopped when all its work is done."""
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    start, cpu_start = time.time(), time.process_time()
    num_tokens = bare_epoch(net, train_iter, loss, params, step, device)
    npx.waitall()
    return num_tokens / (time.time() - start), num_tokens / (time.process_time() - cpu_start)


def run_paired(model, train_iter, vocab, device, epochs, warmup=WARMUP_EPOCHS, num_hiddens=NUM_HIDDENS):
    """train_ch8 and the bare loop in ONE process, an epoch of each in turn; their speed ratio.

    Two processes running the same code can differ by tens of percent on a shared virtual machine,
    while the epochs inside one process usually agree to a few percent; here both paths share it.
    The order alternates (bare, ch8, ch8, bare, ...) so that a slow drift hits both alike.
    ``train_ch8`` is called for one epoch at a time, and it starts a Gluon model afresh at each
    call; the bare loop does the same (a new model, same seed), so that both paths compute with the
    same values. Scratch models keep training along both paths, as train_ch8 leaves them.
    Returns both paths' results (as ``summarize``) and 'ratio', the median over the timed rounds
    of train_ch8's tokens/s divided by the bare loop's in the same round; 'bare_rss_increase_mb'
    is the bare loop's own memory, read after its first epoch, before the train_ch8 model exists.
    """
    baseline = peak_rss_mb()
    bare_net = ch8_net = bare_rss = None
    ch8, bare = {'wall': [], 'cpu': []}, {'wall': [], 'cpu': []}
    for round_ in range(warmup + epochs):
        for path in (('bare', 'ch8') if round_ % 2 == 0 else ('ch8', 'bare')):
            if path == 'bare':
                if bare_net is None or not specs.MODELS[model].scratch:
                    bare_net = params = step = None  # free the previous model before building the next
                    bare_net, params, step = bare_setup(model, vocab, device, num_hiddens)
                wall, cpu = timed_bare_epoch(bare_net, train_iter, params, step, device)
                bare['wall'].append(wall)
                bare['cpu'].append(cpu)
                if bare_rss is None:
                    bare_rss = peak_rss_mb() - baseline
            else:
                if ch8_net is None:
                    ch8_net = specs.build(model, len(vocab), num_hiddens, device)
                wall, cpu = timed_train_ch8(ch8_net, train_iter, vocab, device, 1)
                ch8['wall'] += wall
                ch8['cpu'] += cpu
    ratios = [a / b for a, b in zip(ch8['wall'][warmup:], bare['wall'][warmup:])]
    cpu_ratios = [a / b for a, b in zip(ch8['cpu'][warmup:], bare['cpu'][warmup:])]
    return {'train_ch8': summarize(ch8['wall'], warmup, ch8['cpu']),
            'bare': summarize(bare['wall'], warmup, bare['cpu']),
            'ratio': statistics.median(ratios), 'epoch_ratios': ratios,
            'cpu_ratio': statistics.median(cpu_ratios), 'bare_rss_increase_mb': bare_rss}
