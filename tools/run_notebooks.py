"""Run chapters top to bottom with their real settings and record each run in its notebook.

    python -m tools.run_notebooks notebooks/04-rnn-scratch.ipynb [more.ipynb ...]

(from the repository root, which is what ``make notebooks`` does.)

Every code cell is executed in a fresh kernel (D2LMINI_MAX_EPOCHS is removed from the environment,
so training runs for its full length), the outputs are stored in the notebook, and a record of the
run goes into the notebook's metadata under ``d2lmini_run``: when it finished, how long it took,
on which device and with which versions. The book's execution status page is built from these
records (book/_ext/execution_status.py, which defines the record's key).
"""
import argparse
import datetime
import os
import platform
import sys
import time

import nbformat
from nbclient import NotebookClient

from benchmarks.machine import cpu_model, gpu_name
from book._ext.execution_status import RECORD_KEY


def device_description():
    """What d2lmini.try_gpu() picks on this machine, described for a reader."""
    import mxnet as mx
    if mx.context.num_gpus() > 0:
        return f'GPU: {gpu_name() or "gpu(0)"}'
    return f'CPU: {cpu_model()}, {os.cpu_count()} cores'


def run(path, timeout):
    """Execute one notebook in place and store its run record; return the wall time in seconds."""
    import mxnet as mx
    nb = nbformat.read(path, as_version=4)
    os.environ.pop('D2LMINI_MAX_EPOCHS', None)
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3',
                            resources={'metadata': {'path': os.path.dirname(os.path.abspath(path))}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata[RECORD_KEY] = {
        'finished': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'seconds': round(seconds, 1),
        'device': device_description(),
        'python': platform.python_version(),
        'mxnet': mx.__version__,
        'command': f'python -m tools.run_notebooks {path}',
    }
    nbformat.write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m tools.run_notebooks', description=__doc__.split('\n\n')[0])
    parser.add_argument('notebooks', nargs='+', help='notebook files to run in place')
    parser.add_argument('--timeout', type=int, default=3600, help='seconds allowed per cell')
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.endswith('.ipynb') or not os.path.isfile(path):
            parser.error(f'{path}: not a notebook file')
    for path in args.notebooks:
        seconds = run(path, args.timeout)
        print(f'{path}: {seconds:.0f} s', flush=True)


if __name__ == '__main__':
    sys.exit(main())
