"""One measurement in a process of its own: ``python -m benchmarks.worker TASK_JSON RESULT_PATH``.

A separate process per model makes the peak resident memory (ru_maxrss) that model's own. Every
module is imported before the baseline is read, so the increase is the measurement's alone.
"""
import json
import sys
import time

import d2lmini

from .kinds import KINDS
from .machine import peak_rss_mb


def run(task):
    """Run one task (a dict with 'kind', a key of ``KINDS``, and its options); return its result dict."""
    baseline = peak_rss_mb()
    device = d2lmini.get_device(task.get('device', 'cpu'))
    start = time.perf_counter()
    result = KINDS[task['kind']].run(task, device)
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
