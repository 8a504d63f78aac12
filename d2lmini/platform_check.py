"""Can MXNet 1.9.1 run in this Python? Checked when d2lmini is imported, before MXNet is.

A wrong Python, a NumPy that is too new, or a missing library then gives one message with the
fix, instead of MXNet's own traceback. Nothing here imports MXNet unless the checks before pass.
"""
import importlib.util
import re
import sys


def platform_problem():
    """What keeps MXNet 1.9.1 from working in this Python, with the fix; None if nothing does."""
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



def check_platform():
    """Raise ImportError with the problem and its fix, if there is one."""
    problem = platform_problem()
    if problem:
        raise ImportError(problem)
