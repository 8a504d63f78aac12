"""d2lmini: the helpers the chapters of this book explain and share.

The names follow Dive into Deep Learning (d2l.ai) so that code moves between the two books.
Importing d2lmini switches MXNet to its NumPy interface (``npx.set_np()``).
"""


def _platform_problem():
    """What keeps MXNet 1.9.1 from working in this Python, with the fix; None if nothing does.

    Runs before anything imports MXNet, so that a wrong Python, NumPy or a missing library gives
    one message instead of MXNet's own traceback.
    """
    import re
    import sys
    here = f'this Python ({sys.executable})'
    fix = ("use the book's environment: run `make venv` in the repository, then use .venv/bin/python, "
           "start `.venv/bin/jupyter lab`, or pick the .venv kernel (see the installation page)")
    if not (3, 9) <= tuple(sys.version_info[:2]) <= (3, 11):
        version = '%d.%d' % tuple(sys.version_info[:2])
        return (f'd2lmini needs Python 3.9-3.11 (MXNet 1.9.1 does not run on Python {version}), '
                f'but {here} is Python {version}. Fix: {fix}.')
    try:
        import numpy
    except ImportError:
        return f'NumPy is not installed in {here}. Fix: {fix}; or: pip install -r requirements.txt.'
    if tuple(int(part) for part in re.findall(r'\d+', numpy.__version__)[:2]) >= (1, 24):
        return (f'NumPy {numpy.__version__} is installed in {here}, but MXNet 1.9.1 needs NumPy older than '
                f'1.24 (it uses numpy.bool, which 1.24 removed). Fix: pip install numpy==1.23.5 (the pin '
                f'of requirements.txt); or {fix}.')
    import importlib.util
    if importlib.util.find_spec('mxnet') is None:
        return f'MXNet is not installed in {here}. Fix: {fix}; or: pip install -r requirements.txt.'
    try:
        import mxnet  # noqa: F401  (loads libmxnet.so and the system libraries it needs)
    except OSError as error:
        found = re.search(r'(lib[\w.+-]+?\.so[\w.]*): cannot open shared object file', str(error))
        missing = found.group(1) if found else ''
        packages = {'libgomp.so.1': 'libgomp1', 'libquadmath.so.0': 'libquadmath0'}
        if missing in packages:
            return (f"MXNet's library needs {missing}, which is not installed. "
                    f'Fix: sudo apt-get install -y {packages[missing]} (Debian/Ubuntu); make venv does this as root.')
        if missing in ('libarmpl_lp64_mp.so', 'libamath.so', 'libastring.so'):
            return (f'The aarch64 MXNet 1.9.1 wheel needs Arm Performance Libraries ({missing}), which neither '
                    'the wheel nor Debian ships. Fix: install them from Arm and put their lib folder on '
                    'LD_LIBRARY_PATH, or use the x86_64 container (see the installation page).')
        if missing == 'libcuda.so.1':
            return ('This is a CUDA build of MXNet, and libcuda.so.1 (the NVIDIA driver) is missing. Fix: '
                    'install the NVIDIA driver, or go back to the CPU build: make venv MXNET=mxnet.')
        if missing.startswith(('libcu', 'libnv', 'libnccl')):
            return (f'This CUDA build of MXNet needs {missing} (CUDA 11 / cuDNN 8). Fix: make venv '
                    'MXNET=mxnet-cu117 installs them from NVIDIA\'s wheels; or go back to the CPU build: '
                    'make venv MXNET=mxnet.')
        return f"MXNet's library could not be loaded: {error}. Fix: {fix}."
    return None


_problem = _platform_problem()
if _problem:
    raise ImportError(_problem)
del _platform_problem, _problem

from mxnet import npx

from .corpora import CORPORA, CorpusUnavailableError, cache_dir, corpus_path, read_corpus
from .decoding import predict_sample
from .data import (SeqDataLoader, Vocab, check_batch_shape, clean_text, corpus_splits, load_corpus_time_machine,
                   load_data_corpus, load_data_shakespeare, load_data_time_machine,
                   load_data_time_machine_split, read_time_machine, seq_data_iter_random,
                   seq_data_iter_sequential, split_corpus, tokenize)
from .ngram import NGramLM, NGramYardstick, find_sorted, gram_ids, ngram_yardstick
from .models import (EmbeddingRNNModel, RNNModel, RNNModelScratch, get_gru_params, get_lstm_params,
                     get_rnn_params, gru, normal_param, zero_param,
                     init_lstm_state, init_rnn_state, lstm, rnn, scratch_lstm_from_gluon, try_gpu)
from .training import (check_prefix, detach_state, evaluate_ppl, grad_clipping, max_epochs, output_dir,
                       predict_ch8, set_seed, train_ch8, train_epoch_ch8)

npx.set_np()

__version__ = '0.1.0'
