"""Training throughput (tokens per second) of d2lmini.train_ch8 and of a bare Gluon loop on the same batches.

Every path times whole epochs the same way: the clock starts before the first minibatch is drawn and
stops after all queued work has finished; the first ``warmup`` epochs are not counted.
"""
import contextlib
import io
import statistics
import time

from mxnet import autograd, gluon, init, np, npx

import d2lmini

from . import BATCH_SIZE, LR, NUM_HIDDENS, NUM_STEPS, THETA, specs


def time_machine_batches(max_batches=None, batch_size=BATCH_SIZE, num_steps=NUM_STEPS):
    """(train_iter, vocab): the training part of The Time Machine, as in the chapters.

    Same as ``d2lmini.load_data_time_machine_split(batch_size, num_steps, held_out=0.1)[0]``; with
    ``max_batches``, the text is cut so that an epoch has that many minibatches (for short runs).
    """
    corpus, vocab = d2lmini.load_corpus_time_machine()
    train, _ = d2lmini.split_corpus(corpus, 0.1)
    if max_batches:
        train = train[:max_batches * batch_size * num_steps + num_steps + 1]
    return d2lmini.SeqDataLoader(train, batch_size, num_steps), vocab


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


def combine_rounds(runs):
    """One result from the same measurement repeated in several processes: the median process.

    On a shared virtual machine one process can run tens of percent faster or slower than the next
    (cause unknown), while the epochs inside one process agree to a few
    percent; the median process is robust to one odd process. Its own epochs are kept; the CPU-time
    speed is the (lower) median over the processes, the memory the largest of them.
    """
    if not runs:
        raise ValueError('combine_rounds needs at least one result')
    middle = statistics.median_low(r['tokens_per_sec'] for r in runs)
    result = dict(next(r for r in runs if r['tokens_per_sec'] == middle))
    result['rounds_tokens_per_sec'] = [r['tokens_per_sec'] for r in runs]
    cpu = [r['cpu_tokens_per_sec'] for r in runs if 'cpu_tokens_per_sec' in r]
    if cpu:
        result['cpu_tokens_per_sec'] = statistics.median_low(cpu)
    for key in ('peak_rss_mb', 'rss_increase_mb'):
        result[key] = max(r[key] for r in runs)
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


def run_train_ch8(model, train_iter, vocab, device, epochs, warmup=1, num_hiddens=NUM_HIDDENS):
    """d2lmini.train_ch8 as the chapters call it; its own per-epoch tokens/s (from train_epoch_ch8)."""
    net = specs.build(model, len(vocab), num_hiddens, device)
    d2lmini.set_seed(0)
    clock = EpochClock(train_iter)  # only adds CPU-time stamps; the speeds are train_ch8's own
    with contextlib.redirect_stdout(io.StringIO()):  # its final report is not needed here
        history = d2lmini.train_ch8(net, clock, vocab, LR, warmup + epochs, device,
                                    prefixes=(), theta=THETA)
    return summarize(history['tokens_per_sec'], warmup, clock.cpu_speeds(time.process_time()))


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


def run_bare(model, train_iter, vocab, device, epochs, warmup=1, num_hiddens=NUM_HIDDENS):
    """The framework's ceiling: the same model and batches through the bare loop above."""
    net = specs.build(model, len(vocab), num_hiddens, device)
    d2lmini.set_seed(0)
    if isinstance(net, gluon.Block):
        net.initialize(ctx=device, force_reinit=True, init=init.Normal(0.01))
        # A first forward pass completes the deferred shapes, so that the gradient buffers exist
        net(np.zeros((1, 1), ctx=device), net.begin_state(batch_size=1, ctx=device))
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': LR})
        params = [p.data(device) for p in net.collect_params().values() if p.grad_req != 'null']
        step = lambda: trainer.step(1)  # noqa: E731
    else:
        params = net.params

        def step():
            for p in params:
                p[:] = p - LR * p.grad
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    speeds, cpu_speeds = [], []
    for _ in range(warmup + epochs):
        start, cpu_start = time.time(), time.process_time()
        num_tokens = bare_epoch(net, train_iter, loss, params, step, device)
        npx.waitall()
        speeds.append(num_tokens / (time.time() - start))
        cpu_speeds.append(num_tokens / (time.process_time() - cpu_start))
    return summarize(speeds, warmup, cpu_speeds)
