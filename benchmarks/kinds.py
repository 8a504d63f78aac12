"""The kinds of measurement, in one table: what runs a task of each kind, and how its result is told.

A task is a dict with 'kind' (a key of ``KINDS``), 'device' and the kind's own options; it is made
by ``python -m benchmarks`` and run by ``benchmarks.worker`` in a process of its own. Adding a
measurement means adding a row here (and, for a new table, its place in ``report``).
"""
import dataclasses
from typing import Callable, Optional

from . import flops, peer, quality, throughput


@dataclasses.dataclass(frozen=True)
class Kind:
    run: Callable        # run(task, device) -> result dict
    describe: Callable   # describe(result) -> one line for the progress log
    group: str           # where the results are collected: 'matmul', 'throughput', 'paired' or 'quality'
    title: Optional[str] = None  # a throughput path's column title in the tables


def run_matmul(task, device):
    return {'matmul_gflops': flops.matmul_gflops(task.get('n', 2048), device=device),
            'small_matmul_gflops': flops.small_matmul_gflops(32, 256, device=device)}


def run_throughput(runner):
    """A task runner for a d2lmini path: ``runner`` gets the model and the Time Machine batches."""
    def run(task, device):
        train_iter, vocab = throughput.time_machine_batches(task.get('max_batches'))
        return runner(task['model'], train_iter, vocab, device, task['epochs'])
    return run


def run_peer(plot):
    """A task runner for the d2l peer, with as many minibatches per epoch as d2lmini's."""
    def run(task, device):
        train_iter, _ = throughput.time_machine_batches(task.get('max_batches'))
        num_batches = sum(1 for _ in train_iter)
        return peer.run_peer(task['model'], num_batches, device, task['epochs'], plot=plot)
    return run


def run_quality(task, device):
    data = quality.shakespeare(task['letters_only'])
    return quality.train_for(task['model'], task['budget_seconds'], data, device, task.get('checkpoints', 4))


def head(r):
    return f"{r['model']:>12s} {r['kind']:>11s}"


def describe_matmul(r):
    return (f"matmul peak: {r['matmul_gflops']:.1f} GFLOP/s (large), "
            f"{r['small_matmul_gflops']:.1f} GFLOP/s (32x256 by 256x256)")


def describe_speed(r):
    epochs = ' '.join(f'{v:,.0f}' for v in r['epoch_tokens_per_sec'])
    return (f"{head(r)}: {r['tokens_per_sec']:>9,.0f} tokens/s  (epochs: {epochs}), "
            f"{r.get('cpu_tokens_per_sec', float('nan')):,.0f} per CPU-s  "
            f"peak RSS {r['peak_rss_mb']:.0f} MB (+{r['rss_increase_mb']:.0f})")


def describe_paired(r):
    ch8, bare = r['train_ch8'], r['bare']
    return (f"{head(r)}: train_ch8 {ch8['tokens_per_sec']:,.0f}, bare {bare['tokens_per_sec']:,.0f} tokens/s "
            f"in the same process; train_ch8/bare by epoch "
            f"{' '.join(f'{x:.0%}' for x in r['epoch_ratios'])}, median {r['ratio']:.0%} "
            f"(CPU time {r['cpu_ratio']:.0%}); bare loop's memory +{r['bare_rss_increase_mb']:.0f} MB")


def describe_quality(r):
    text = 'letters' if r['letters_only'] else 'full'
    return (f"{head(r)} {text:>7s}: val ppl {r['val_ppl']:.2f} after {r['trained_seconds']:.0f} s "
            f"({r['epochs_done']:.2f} epochs)")


KINDS = {
    'matmul': Kind(run_matmul, describe_matmul, 'matmul'),
    # train_ch8 alone: its speed against the peer, and its memory
    'train_ch8': Kind(run_throughput(throughput.run_train_ch8), describe_speed, 'throughput',
                      'd2lmini.train_ch8'),
    # train_ch8 and the bare loop in one process, epoch by epoch: their ratio
    'paired': Kind(run_throughput(throughput.run_paired), describe_paired, 'paired'),
    'd2l': Kind(run_peer(plot=True), describe_speed, 'throughput', 'd2l 1.0.3, as shipped'),
    'd2l-noplot': Kind(run_peer(plot=False), describe_speed, 'throughput', 'd2l 1.0.3, no plotting'),
    'quality': Kind(run_quality, describe_quality, 'quality'),
}
# The throughput paths measured in processes of their own, in table order: kind -> column title
PATHS = {name: kind.title for name, kind in KINDS.items() if kind.group == 'throughput'}
