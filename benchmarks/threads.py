"""Training speed with one and with two OpenMP threads, each setting in a fresh process.

    python -m benchmarks.threads      # about 5 minutes on a 2-core CPU; writes results/threads.md

MXNet reads OMP_NUM_THREADS once, when it is loaded, and on an x86 CPU without it uses half the
processors it sees (one thread on a 2-core machine). So each (model, threads) pair runs in its own
process: one epoch over the first minibatches of The Time Machine's training part to warm up, then
the same minibatches again, timed (``train_epoch_ch8``'s tokens per second). Each pair runs in
``--rounds`` processes; the table shows every round.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
TABLE = HERE / 'results' / 'threads.md'
# name: (hidden units, embedding size (0: one-hot), dropout, optimizer, lr, batch size, steps)
MODELS = {
    'rnn.LSTM 256, one-hot, SGD, 32 x 35 (chapter 7)': (256, 0, 0.0, 'sgd', 1.0, 32, 35),
    'rnn.LSTM 512, embedding 64, dropout 0.25, Adam, 64 x 100 (nanoGPT-split run)':
        (512, 64, 0.25, 'adam', 2e-3, 64, 100),
}


def measure(name, batches):
    """Tokens per second of the second of two epochs over ``batches`` minibatches (this process)."""
    from mxnet import gluon, npx

    import d2lmini

    from .throughput import time_machine_batches
    npx.set_np()
    hiddens, embed, dropout, optimizer, lr, batch_size, num_steps = MODELS[name]
    train_iter, vocab = time_machine_batches(batches, batch_size, num_steps)
    layer = d2lmini.get_rnn_layer('lstm', hiddens)
    if embed:
        net = d2lmini.EmbeddingRNNModel(layer, len(vocab), embed, dropout=dropout)
    else:
        net = d2lmini.RNNModel(layer, len(vocab), dropout=dropout)
    device = npx.cpu()
    d2lmini.set_seed(0)
    d2lmini.init_params(net, device)
    updater = d2lmini.Updater(net, lr, optimizer)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    speeds = [d2lmini.train_epoch_ch8(net, train_iter, loss, updater, device, False)[1]
              for _ in range(2)]
    return speeds[1]


def run_worker(name, threads, batches):
    """``measure`` in a fresh process with OMP_NUM_THREADS=threads; its tokens per second."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    env.pop('D2LMINI_MAX_BATCHES', None)
    done = subprocess.run([sys.executable, '-m', 'benchmarks.threads', '--worker', name,
                           '--batches', str(batches)], env=env, capture_output=True,
                          text=True, cwd=HERE.parent)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ['(no message)'])[-1]
        raise SystemExit(f'the worker for {name!r} with {threads} thread(s) failed: {last}')
    return json.loads(done.stdout.strip().splitlines()[-1])['tokens_per_sec']


def table(results, machine):
    """Markdown: tokens per second with 1 and 2 threads, every round, and the ratio of medians."""
    rows = ['| model | 1 thread (tokens/s) | 2 threads (tokens/s) | 2 threads / 1 |',
            '| --- | --- | --- | --- |']
    for name, by_threads in results.items():
        one, two = (sorted(by_threads[t]) for t in (1, 2))
        ratio = two[len(two) // 2] / one[len(one) // 2]
        rows.append(f'| {name} | {", ".join(f"{s:,.0f}" for s in one)} | '
                    f'{", ".join(f"{s:,.0f}" for s in two)} | {ratio:.2f}× |')
    return machine + '\n\n' + '\n'.join(rows) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m benchmarks.threads', description=__doc__.split('\n')[0])
    p.add_argument('--batches', type=int, default=15, help='minibatches per epoch (default 15)')
    p.add_argument('--rounds', type=int, default=2, help='processes per setting (default 2)')
    p.add_argument('--worker', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps({'tokens_per_sec': measure(args.worker, args.batches)}))
        return 0
    from .machine import cpu_model
    load, results = os.getloadavg()[0], {}
    for name in MODELS:
        results[name] = {t: [run_worker(name, t, args.batches) for _ in range(args.rounds)]
                         for t in (1, 2)}
        print(name, results[name], flush=True)
    machine = (f'Measured on {cpu_model()}, {os.cpu_count()} cores, load average before the run '
               f'{load:.2f}; {args.batches} minibatches per epoch, the second epoch '
               f'timed, {args.rounds} processes per setting (`python -m benchmarks.threads`).')
    TABLE.write_text(table(results, machine), encoding='utf-8')
    print(TABLE.read_text(encoding='utf-8'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
