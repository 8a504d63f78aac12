"""One measurement in a process of its own: ``python -m benchmarks.worker TASK_JSON RESULT_PATH``.

A separate process per model makes the peak resident memory (ru_maxrss) that model's own.
"""
import json
import resource
import sys
import time


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(task):
    """Dispatch one task (a dict with 'kind' and its options); return its result dict."""
    from d2l import mxnet as d2l  # noqa: F401  (imported before the baseline, like the others)
    from mxnet import npx
    import d2lmini  # noqa: F401
    from d2lmini.train import get_device
    from . import flops, peer, quality, throughput
    npx.set_np()
    baseline = peak_rss_mb()
    device = get_device(task.get('device', 'cpu'))
    kind, model = task['kind'], task.get('model')
    start = time.perf_counter()
    if kind == 'matmul':
        result = {'matmul_gflops': flops.matmul_gflops(task.get('n', 2048), device=device),
                  'small_matmul_gflops': flops.small_matmul_gflops(32, 256, device=device)}
    elif kind == 'quality':
        data = quality.shakespeare(task['letters_only'])
        result = quality.train_for(model, task['budget_seconds'], data, device, task.get('checkpoints', 4))
    elif kind == 'd2l':
        train_iter, _ = throughput.time_machine_batches(task.get('max_batches'))
        num_batches = sum(1 for _ in train_iter)  # as many minibatches per epoch as d2lmini's
        result = peer.run_peer(model, num_batches, device, task['epochs'], plot=task['plot'])
    else:
        train_iter, vocab = throughput.time_machine_batches(task.get('max_batches'))
        runner = {'train_ch8': throughput.run_train_ch8, 'paired': throughput.run_paired}[kind]
        result = runner(model, train_iter, vocab, device, task['epochs'])
    result.update(task)
    result['seconds'] = time.perf_counter() - start
    result['rss_baseline_mb'] = baseline
    result['peak_rss_mb'] = peak_rss_mb()
    result['rss_increase_mb'] = result['peak_rss_mb'] - baseline
    return result


def main(argv):
    task, out = json.loads(argv[0]), argv[1]
    result = run(task)
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main(sys.argv[1:])
