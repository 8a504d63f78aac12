"""pytest set-up shared by the unit tests (tests/) and the notebook checks (nbval on notebooks/).

Kernels started by nbval inherit this process's environment, so the settings below reach them.
For every notebook, nbval runs each code cell once and compares its outputs; this file then adds
two checks that a class relies on:

- "Run All" again: every code cell is run a second time, in order, in the same kernel, and must
  not fail (outputs are not compared on this pass; cells tagged raises-exception must raise again);
- the notebook wrote no file outside its own output folder (``_output/``) and d2lmini's cache:
  the repository tree and the kernels' temporary directory are compared before and after.
"""
import copy
import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
# nbval runs cut training to this many epochs (see d2lmini.max_epochs); every cell still runs.
os.environ.setdefault('D2LMINI_MAX_EPOCHS', '1')
# ... and measurements repeated over seeds to one seed (see d2lmini.max_seeds).
os.environ.setdefault('D2LMINI_MAX_SEEDS', '1')
# Under nbval (not the unit tests, which count minibatches), each pass over a SeqDataLoader
# stops after this many minibatches (see d2lmini.data.max_batches); set in pytest_configure.
NBVAL_MAX_BATCHES = '10'
# The corpora come from $D2LMINI_DATA when it is set (make sets it to the checked copies in
# ../shared/data when they are there, as in CI), otherwise from d2lmini's download cache.

# Kernels get a temporary directory of their own, so that files they put there can be seen.
# (This process keeps the system one: tempfile caches it on first use.)
tempfile.gettempdir()
KERNEL_TMP = Path(tempfile.mkdtemp(prefix='d2lmini-kernel-tmp-'))
os.environ['TMPDIR'] = str(KERNEL_TMP)

# Where notebooks may write: their output folders and d2lmini's cache (which lies outside the tree).
SKIPPED_DIRS = {'.git', '.venv', '_build', '_output', '__pycache__', '.pytest_cache', '.ipynb_checkpoints'}


def snapshot():
    """{path: (size, mtime)} for the repository's files (outside the skipped folders) and kernel temp files."""
    files = {}
    for base in (ROOT, KERNEL_TMP):
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.endswith('.egg-info')]
            for name in filenames:
                path = os.path.join(dirpath, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                files[path] = (stat.st_size, stat.st_mtime_ns)
    return files


class NoStrayFiles(pytest.Item):
    """Fails if files appeared or changed outside the allowed folders while the notebook ran."""

    def runtest(self):
        before, after = self.parent.files_before, snapshot()
        changed = sorted(path for path, stamp in after.items() if before.get(path) != stamp)
        if changed:
            raise AssertionError('the notebook wrote files outside its output folder '
                                 '(write with d2lmini.output_dir): ' + ', '.join(changed))

    def repr_failure(self, excinfo):
        return str(excinfo.value)

    def reportinfo(self):
        return self.path, 0, f'{self.path.name}::{self.name}'


def is_notebook(node):
    return hasattr(node, 'skip_compare')  # nbval's IPyNbFile


def pytest_collection_modifyitems(session, config, items):
    """Do not compare SVG figures (their ids and dates change on every run); PNG is skipped by nbval.

    After the cells of each notebook, add the second pass over its cells and the file check.
    """
    result, groups = [], []
    for item in items:
        if groups and groups[-1][0] is item.parent:
            groups[-1][1].append(item)
        else:
            groups.append((item.parent, [item]))
    for parent, group in groups:
        result += group
        if not is_notebook(parent):
            continue
        if 'image/svg+xml' not in parent.skip_compare:
            parent.skip_compare += ('image/svg+xml',)
        for cell in group:
            again = type(cell).from_parent(parent, name=f'{cell.name} (run all again)',
                                           cell_num=cell.cell_num, cell=cell.cell,
                                           options=copy.copy(cell.options))
            again.options['check'] = False  # run it, but don't compare its outputs
            result.append(again)
        result.append(NoStrayFiles.from_parent(parent, name='no files outside _output'))
    items[:] = result


def pytest_configure(config):
    """The kernels that nbval starts inherit the batch cap; the unit tests run without it."""
    if getattr(config.option, 'nbval', False):
        os.environ.setdefault('D2LMINI_MAX_BATCHES', NBVAL_MAX_BATCHES)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(KERNEL_TMP, ignore_errors=True)


def pytest_runtest_setup(item):
    """Before a notebook's first cell runs, remember which files exist."""
    if is_notebook(item.parent) and not hasattr(item.parent, 'files_before'):
        item.parent.files_before = snapshot()
