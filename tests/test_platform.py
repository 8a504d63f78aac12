"""Where the book runs: d2lmini's import-time check, the set-up behind make (tools/bootstrap.sh), the
MXNET switch, the CUDA preload, the GPU check's plan and the container recipe.

Every bad situation must end in ONE line that says what is wrong and how to fix it. The situations
are made in subprocesses: a stand-in for sys.version_info, NumPy, mxnet or a shared library; a fake
/etc/os-release and a PATH of stand-in programs for the distributions; SYSTEM_INSTALL=no so that
nothing is ever installed here.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = ROOT / 'tools' / 'bootstrap.sh'
BASH = shutil.which('bash')


def import_d2lmini(setup='', python=sys.executable):
    """Runs `setup` and then `import d2lmini` in a fresh interpreter; returns the CompletedProcess."""
    code = f'import sys\nsys.path.insert(0, {str(ROOT)!r})\n{setup}\nimport d2lmini\n'
    return subprocess.run([python, '-c', code], capture_output=True, text=True, timeout=120, cwd=ROOT)


def one_message(done):
    """The ImportError's message; the run must have failed with d2lmini's own message, not MXNet's traceback."""
    assert done.returncode != 0, done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith('ImportError: '), done.stderr
    assert 'mxnet/base.py' not in done.stderr and 'mxnet/__init__.py' not in done.stderr, done.stderr
    return last[len('ImportError: '):]


def test_python_312_is_refused_with_the_fix():
    message = one_message(import_d2lmini('sys.version_info = (3, 12, 1, "final", 0)'))
    assert 'needs Python 3.9-3.11' in message and 'is Python 3.12' in message
    assert 'make venv' in message


def python_312():
    """A Python 3.12 that runs here (on the PATH, or one of pyenv's), or None."""
    candidates = [shutil.which('python3.12'), *sorted(Path.home().glob('.pyenv/versions/3.12*/bin/python3.12'))]
    for candidate in filter(None, candidates):
        done = subprocess.run([str(candidate), '-c', 'import sys; print(sys.version_info[:2])'],
                              capture_output=True, text=True)
        if done.stdout.strip() == '(3, 12)':
            return str(candidate)
    return None


@pytest.mark.skipif(python_312() is None, reason='no Python 3.12 on this machine')
def test_a_real_python_312_gets_the_message_before_anything_else():
    message = one_message(import_d2lmini(python=python_312()))
    assert 'is Python 3.12' in message and 'make venv' in message


def test_numpy_124_or_newer_is_refused_with_the_pin():
    message = one_message(import_d2lmini(
        'import types; sys.modules["numpy"] = types.SimpleNamespace(__version__="1.26.4")'))
    assert 'NumPy 1.26.4' in message and 'older than 1.24' in message and 'numpy==1.23.5' in message


def test_missing_mxnet_is_named():
    message = one_message(import_d2lmini('sys.modules["mxnet"] = None'))
    assert message.startswith('MXNet is not installed') and 'make venv' in message


MISSING_LIBRARY = textwrap.dedent('''
    import ctypes
    real = ctypes.CDLL.__init__
    def fake(self, name, *args, **kwargs):
        if str(name).endswith('libmxnet.so'):
            raise OSError('{lib}: cannot open shared object file: No such file or directory')
        real(self, name, *args, **kwargs)
    ctypes.CDLL.__init__ = fake
''')


@pytest.mark.parametrize('lib, expected', [
    ('libgomp.so.1', 'apt-get install -y libgomp1'),
    ('libquadmath.so.0', 'apt-get install -y libquadmath0'),
    ('libarmpl_lp64_mp.so', 'Arm Performance Libraries'),
    ('libcuda.so.1', 'NVIDIA driver'),
    ('libcudnn.so.8', 'MXNET=mxnet-cu117'),
])
def test_a_missing_system_library_names_its_package(lib, expected):
    message = one_message(import_d2lmini(MISSING_LIBRARY.format(lib=lib)))
    assert lib in message and expected in message and 'Fix:' in message


def test_the_check_leaves_the_package_as_it_was():
    done = subprocess.run([sys.executable, '-c', 'import d2lmini; print([n for n in vars(d2lmini) if "problem" in n])'],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == '[]', done.stderr


# ---- tools/bootstrap.sh: one line, the command for this distribution --------------------------------

OS_RELEASES = {
    'debian12': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
    'ubuntu2404': 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n',
}
TOOLS = ['sed', 'grep', 'uname', 'id', 'dirname', 'cat', 'head', 'ls', 'env', 'mkdir', 'rm', 'touch', 'cp']


def stand_in(path, name, script):
    program = path / name
    program.write_text('#!/bin/sh\n' + script + '\n')
    program.chmod(0o755)


def bootstrap(tmp_path, command, distro='debian12', programs=None, **env):
    """Runs tools/bootstrap.sh with a fake os-release and a PATH of the basic tools plus `programs`."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    for tool in TOOLS:
        if not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(shutil.which(tool))
    stand_in(bin_dir, 'apt-get', 'exit 99')                       # never called: SYSTEM_INSTALL=no
    stand_in(bin_dir, 'apt-cache', 'echo "  Candidate: (none)"')  # nothing more in this archive
    for name, script in (programs or {}).items():
        stand_in(bin_dir, name, script)
    os_release = tmp_path / 'os-release'
    os_release.write_text(OS_RELEASES[distro])
    environment = {'PATH': str(bin_dir), 'HOME': str(tmp_path), 'SYSTEM_INSTALL': 'no',
                   'BOOTSTRAP_OS_RELEASE': str(os_release), 'VENV': str(tmp_path / 'venv'),
                   'BOOTSTRAP_UV_HOME': str(tmp_path / 'uv'),
                   'CHROMIUM': str(tmp_path / 'no-chromium'), 'CHROMEDRIVER': str(tmp_path / 'no-driver'), **env}
    return subprocess.run([BASH, str(BOOTSTRAP), command], capture_output=True, text=True, env=environment,
                          cwd=tmp_path, timeout=60)


def fails_with_one_line(done):
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('setup: '), done.stderr
    return lines[0]


def apt(command):
    """The command as the message writes it: with sudo unless the tests run as root."""
    return ('' if os.geteuid() == 0 else 'sudo ') + command


def test_debian_python_without_venv_names_python311_venv(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'venv', programs={'python3.11': 'echo "3.11 novenv"'}))
    assert 'lacks the venv module' in line and line.endswith('Run: ' + apt('apt-get install -y python3.11-venv'))


def test_ubuntu_2404_without_venv_names_python3_venv_for_the_uv_route(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'venv', 'ubuntu2404', programs={'python3': 'echo "3.12 novenv"'}))
    assert 'uv' in line and line.endswith('Run: ' + apt('apt-get install -y python3-venv'))


def test_when_uv_cannot_bring_python_311_the_message_says_what_to_do(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'venv', 'ubuntu2404', programs={
        'python3': 'echo "3.12 venv"', 'uv': 'echo "error: no network" >&2; exit 2'}))
    assert 'uv could not provide Python 3.11' in line and 'make PYTHON=/path/to/python3.11' in line
    assert not (tmp_path / 'venv').exists()


def test_a_python_312_given_as_PYTHON_is_refused(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'venv', programs={'python3.12': 'echo "3.12 venv"'},
                                         PYTHON='python3.12'))
    assert 'is Python 3.12' in line and 'unset PYTHON' in line


@pytest.mark.parametrize('distro, packages', [('debian12', 'chromium chromium-driver'),
                                              ('ubuntu2404', 'chromium-browser chromium-chromedriver')])
def test_missing_chromium_names_the_packages_of_the_distribution(tmp_path, distro, packages):
    line = fails_with_one_line(bootstrap(tmp_path, 'browser', distro))
    assert line.endswith('Run: ' + apt('apt-get install -y ' + packages))


def test_everything_missing_for_make_test_comes_in_one_line_with_one_command(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'system', programs={'python3.11': 'echo "3.11 novenv"'}))
    assert 'lacks the venv module' in line and 'Chromium' in line
    assert line.endswith('Run: ' + apt('apt-get install -y python3.11-venv chromium chromium-driver'))


def test_an_unknown_mxnet_build_is_refused_before_anything_else(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'venv', MXNET='mxnet-cu999'))
    assert 'MXNET=mxnet-cu999 is not an MXNet 1.9.1 build' in line and 'mxnet-cu117' in line


def test_aarch64_says_that_arm_performance_libraries_are_missing(tmp_path):
    line = fails_with_one_line(bootstrap(tmp_path, 'venv', BOOTSTRAP_ARCH='aarch64'))
    assert 'libarmpl_lp64_mp.so' in line and '--platform linux/amd64' in line


def test_make_switches_the_mxnet_build_and_refuses_an_unknown_one():
    done = subprocess.run(['make', '-n', 'venv', 'MXNET=mxnet-cu117'], capture_output=True, text=True, cwd=ROOT)
    assert 'tools/bootstrap.sh venv' in done.stdout
    done = subprocess.run(['make', 'venv', 'MXNET=mxnet-cu999'], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, SYSTEM_INSTALL='no'), timeout=60)
    assert done.returncode != 0 and 'MXNET=mxnet-cu999 is not an MXNet 1.9.1 build' in done.stderr


def test_make_runs_the_kernels_without_tf32():
    """Every recipe (pytest, the notebook runner, the benchmarks) gets NVIDIA_TF32_OVERRIDE=0."""
    env = {k: v for k, v in os.environ.items() if k != 'NVIDIA_TF32_OVERRIDE'}
    done = subprocess.run(['make', '-s', '--eval=show-tf32: ; @echo "TF32 override: $$NVIDIA_TF32_OVERRIDE"',
                           'show-tf32'], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.stdout.strip() == 'TF32 override: 0', done.stderr


# ---- the CUDA preload ---------------------------------------------------------------------------------

def test_cuda_preload_loads_the_wheels_libraries_before_mxnet(tmp_path):
    """A stand-in nvidia/ tree beside the module: one real library (libz) and one that cannot load."""
    site = tmp_path / 'site'
    lib = site / 'nvidia' / 'fake' / 'lib'
    lib.mkdir(parents=True)
    shutil.copy(ROOT / 'tools' / 'cuda_preload.py', site / 'd2lmini_cuda_preload.py')
    libz = next(Path(p) for p in ('/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1',
                                  '/lib/aarch64-linux-gnu/libz.so.1', '/usr/lib/libz.so.1') if Path(p).exists())
    shutil.copy(libz, lib / 'libzcopy.so.1')
    (lib / 'libbroken.so.1').write_bytes(b'not a library')
    code = textwrap.dedent(f'''
        import importlib.util, sys
        sys.path.insert(0, {str(site)!r})
        import d2lmini_cuda_preload as p
        assert type(sys.meta_path[0]).__name__ == 'BeforeMXNet'
        maps = lambda: open('/proc/self/maps').read()
        assert 'libzcopy' not in maps()            # nothing loaded before mxnet is imported
        importlib.util.find_spec('mxnet')
        assert 'libzcopy' in maps()
        assert not any(type(f).__name__ == 'BeforeMXNet' for f in sys.meta_path)
        print(p.preload()[1])
    ''')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'libbroken.so.1' in done.stdout


# ---- make gpu-check without a GPU --------------------------------------------------------------------

def test_gpu_check_plan_runs_every_step_within_the_budget():
    done = subprocess.run([sys.executable, 'tools/gpu_check.py', '--dry-run'], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert 'NVIDIA_TF32_OVERRIDE=0' in done.stdout and 'budget 570 s' in done.stdout
    for step in ('pytest tests --ignore=tests/browser', '--nbval --nbval-current-env', 'benchmarks --quick --device gpu'):
        assert step in done.stdout
    assert all(nb.name in done.stdout for nb in (ROOT / 'notebooks').glob('*.ipynb'))


def test_gpu_check_without_a_gpu_stops_with_one_line(tmp_path):
    if shutil.which('nvidia-smi'):
        pytest.skip('this machine may have a GPU')
    done = subprocess.run([sys.executable, 'tools/gpu_check.py'], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('gpu-check: ') and 'report' in lines[0].lower()


def test_gpu_check_knows_which_gpus_mxnet_191_can_run_on():
    sys.path.insert(0, str(ROOT / 'tools'))
    try:
        import gpu_check
    finally:
        sys.path.pop(0)
    runs = gpu_check.runs_mxnet_kernels
    assert all(runs(c) for c in [(5, 2), (6, 1), (7, 0), (7, 5), (8, 0), (8, 6), (8, 9)])
    assert not any(runs(c) for c in [(3, 7), (9, 0), (10, 0), (12, 0)])


# ---- the container recipe -----------------------------------------------------------------------------

def test_devcontainer_builds_the_dockerfile_and_the_dockerfile_uses_the_bootstrap():
    config = json.loads((ROOT / '.devcontainer' / 'devcontainer.json').read_text())
    assert (ROOT / '.devcontainer' / config['build']['dockerfile']).resolve() == ROOT / 'Dockerfile'
    assert config['postCreateCommand'] == 'make venv'
    dockerfile = (ROOT / 'Dockerfile').read_text()
    assert 'FROM debian:bookworm-slim' in dockerfile and 'tools/bootstrap.sh system' in dockerfile
    ignored = (ROOT / '.dockerignore').read_text().split()
    assert '.venv' in ignored and '_build' in ignored
