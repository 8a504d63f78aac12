"""pytest set-up shared by the unit tests (tests/) and the notebook checks (nbval on notebooks/).

Kernels started by nbval inherit this process's environment, so the settings below reach them.
"""
import os
from pathlib import Path

# nbval runs cut training to this many epochs (see d2lmini.max_epochs); every cell still runs.
os.environ.setdefault('D2LMINI_MAX_EPOCHS', '1')
# Use the checked local copies of the corpora when they sit beside the repo (as in CI).
_shared = Path(__file__).resolve().parent.parent / 'shared' / 'data'
if 'D2LMINI_DATA' not in os.environ and (_shared / 'SHA1SUMS').exists():
    os.environ['D2LMINI_DATA'] = str(_shared)


def pytest_collection_modifyitems(session, config, items):
    """Do not compare SVG figures (their ids and dates change on every run); PNG is skipped by nbval."""
    for item in items:
        notebook = item.parent
        if hasattr(notebook, 'skip_compare') and 'image/svg+xml' not in notebook.skip_compare:
            notebook.skip_compare += ('image/svg+xml',)
