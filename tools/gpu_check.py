"""make gpu-check: the book on an NVIDIA GPU with a CUDA build of MXNet, in under 10 minutes.

`make gpu-check` installs the CUDA build into .venv (MXNET, default mxnet-cu117) and runs this:

1. the GPU: the driver's libcuda.so.1 reports the device(s) and compute capability, and MXNet runs
   one operation on gpu(0). MXNet 1.9.1's CUDA builds carry kernels for compute capability 5.0-8.6
   only (cubins for sm_50, 60, 70, 80, 86 and no PTX, read off the mxnet-cu117 wheel), so a GPU of
   capability 9.0 or newer (Hopper, Blackwell) stops the check here with one line;
2. the unit tests (pytest tests --ignore=tests/browser);
3. nbval of every notebook, as `make test` runs it: every stored output that nbval compares must
   come out again, now computed on the GPU; NVIDIA_TF32_OVERRIDE=0 (set by make) keeps cuBLAS and
   cuDNN (MXNet's fused RNN) in FP32 instead of TF32 on Ampere and newer;
4. a short benchmark on the GPU (python -m benchmarks --quick --device gpu --no-peer).

Every step gets what is left of the time budget (--budget, default 570 s) minus a reserve for the
steps after it, and is stopped when it runs out, so the whole check ends within the budget.
Writes _build/gpu-check/report.md and one log per step; exit status 0 only if every step passed,
2 if there is no GPU it can use. --dry-run prints the plan; --allow-cpu rehearses every step on a
CPU (the benchmark then on the CPU). Written without a GPU at hand: untested on one so far.
"""
import argparse
import ctypes
import datetime
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / '_build' / 'gpu-check'
# Compute capabilities whose code MXNet 1.9.1's CUDA builds carry (a cubin runs on its own major
# version at the same or a higher minor: sm_86 code on 8.6 and 8.9, sm_70 on 7.0 and 7.5, ...).
CUBINS = (50, 60, 70, 80, 86)
NBVAL = ['--nbval', '--nbval-current-env', '--nbval-sanitize-with', 'tests/nbval-sanitize.cfg',
         '--nbval-cell-timeout=900']


def cuda_devices():
    """[(name, (major, minor))] from the driver, or a string saying why there are none."""
    try:
        cuda = ctypes.CDLL('libcuda.so.1')
    except OSError:
        return 'no NVIDIA driver (libcuda.so.1 not found)'
    if cuda.cuInit(0) != 0:
        return 'the NVIDIA driver found no usable GPU (cuInit failed)'
    count = ctypes.c_int()
    cuda.cuDeviceGetCount(ctypes.byref(count))
    devices = []
    for index in range(count.value):
        device, major, minor = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        name = ctypes.create_string_buffer(256)
        cuda.cuDeviceGet(ctypes.byref(device), index)
        cuda.cuDeviceGetName(name, 256, device)
        cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, device)   # COMPUTE_CAPABILITY_MAJOR
        cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, device)   # COMPUTE_CAPABILITY_MINOR
        devices.append((name.value.decode(errors='replace'), (major.value, minor.value)))
    return devices or 'the NVIDIA driver sees no GPU'


def runs_mxnet_kernels(capability):
    major, minor = capability
    return any(cubin // 10 == major and cubin % 10 <= minor for cubin in CUBINS)


def mxnet_on_gpu():
    """MXNet's view, in a fresh process (so that this one never loads CUDA): '' if gpu(0) computes."""
    code = ('import mxnet as mx\n'
            'n = mx.context.num_gpus()\n'
            'assert n > 0, "MXNet sees no GPU (is the CPU build installed? make gpu-check installs MXNET=mxnet-cu117)"\n'
            'x = mx.np.ones((64, 64), ctx=mx.gpu(0))\n'
            'print(float((x @ x).sum()), n, mx.__version__)\n')
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f'exit {done.returncode}'
    value = done.stdout.split()[0]
    return '' if value == '262144.0' else f'gpu(0) computed {value} for a sum that is 262144'


def run_step(name, command, seconds, log, env=None):
    """Runs command (its own process group) for at most `seconds`; returns (status, wall seconds)."""
    if seconds < 5:
        log.write_text('not run: no time left in the budget\n')
        return 'not run (no time left)', 0.0
    start = time.monotonic()
    with open(log, 'w') as out:
        out.write('$ ' + shlex.join(command) + '\n')
        out.flush()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                   env=env, start_new_session=True)
        try:
            code = process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return f'timed out after {seconds:.0f} s', time.monotonic() - start
    return ('passed' if code == 0 else f'failed (exit {code})'), time.monotonic() - start


def junit_summary(path):
    """'N passed, N failed, N skipped' and the failed test ids, from pytest's JUnit XML."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return '', []
    cases = list(root.iter('testcase'))
    failed = [f"{c.get('classname')}::{c.get('name')}" for c in cases
              if c.find('failure') is not None or c.find('error') is not None]
    skipped = sum(c.find('skipped') is not None for c in cases)
    return f'{len(cases) - len(failed) - skipped} passed, {len(failed)} failed, {skipped} skipped', failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--budget', type=float, default=570, help='seconds for the whole check (default 570)')
    parser.add_argument('--notebooks', nargs='*', default=None, help='nbval only these (default: all)')
    parser.add_argument('--tests', nargs='*', default=None, help='unit tests to run (default: tests/)')
    parser.add_argument('--allow-cpu', action='store_true', help='rehearse on a machine without a GPU')
    parser.add_argument('--dry-run', action='store_true', help='print the plan and exit')
    args = parser.parse_args(argv)
    start = time.monotonic()
    device = 'cpu' if args.allow_cpu else 'gpu'
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'notebooks').glob('*.ipynb'))
    tests = args.tests or ['tests']
    env = dict(os.environ, NVIDIA_TF32_OVERRIDE=os.environ.get('NVIDIA_TF32_OVERRIDE', '0'))
    python = [sys.executable, '-m']
    # (name, command, seconds kept back for the steps after this one)
    steps = [
        ('unit tests', python + ['pytest', *tests, '--ignore=tests/browser', '-q',
                                 f'--junitxml={OUT / "unit-tests.xml"}'], 240),
        ('nbval of every notebook', python + ['pytest', *notebooks, *NBVAL, '-q',
                                              f'--junitxml={OUT / "nbval.xml"}'], 100),
        ('GPU benchmark (--quick)', python + ['benchmarks', '--quick', '--device', device, '--no-peer',
                                              '--out', str(OUT / 'benchmarks')], 10),
    ]
    if args.dry_run:
        print(f'gpu-check plan (budget {args.budget:.0f} s, NVIDIA_TF32_OVERRIDE={env["NVIDIA_TF32_OVERRIDE"]}):')
        print('  0. the GPU: libcuda.so.1 devices and compute capability (needs one of '
              + ', '.join(f'{c // 10}.{c % 10}' for c in CUBINS) + ' or a higher minor), MXNet computes on gpu(0)')
        for number, (name, command, keep) in enumerate(steps, 1):
            print(f'  {number}. {name} (leaves {keep} s for what follows): {shlex.join(command)}')
        print(f'  report: {OUT / "report.md"}')
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    lines = [f'# gpu-check, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}', '']
    build = (ROOT / '.venv' / '.mxnet').read_text().strip() if (ROOT / '.venv' / '.mxnet').exists() else 'mxnet'
    lines += [f'- machine: {platform.node()}, {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}',
              f'- MXNet build: {build}; NVIDIA_TF32_OVERRIDE={env["NVIDIA_TF32_OVERRIDE"]}; '
              f'D2LMINI_MAX_EPOCHS={os.environ.get("D2LMINI_MAX_EPOCHS", "1 (conftest.py)")}']
    devices = cuda_devices()
    problem = ''
    if isinstance(devices, str):
        problem = devices
    else:
        lines += [f'- GPU {i}: {name}, compute capability {major}.{minor}' for i, (name, (major, minor)) in enumerate(devices)]
        name, capability = devices[0]
        if not runs_mxnet_kernels(capability):
            problem = (f'{name} has compute capability {capability[0]}.{capability[1]}, and MXNet 1.9.1\'s CUDA '
                       'builds carry kernels for 5.0-8.6 only (sm_50, 60, 70, 80, 86; no PTX): '
                       'use a GPU of capability 5.0-8.9 (e.g. V100, T4, A100, A10, L4)')
        else:
            problem = mxnet_on_gpu()
    if problem and not args.allow_cpu:
        lines += ['', f'**Stopped: {problem}.**']
        (OUT / 'report.md').write_text('\n'.join(lines) + '\n')
        print(f'gpu-check: {problem}. (Report: {OUT / "report.md"})', file=sys.stderr)
        return 2
    if problem:
        lines.append(f'- rehearsal on the CPU (--allow-cpu): {problem}')

    lines += ['', '| step | result | seconds | tests |', '| --- | --- | --- | --- |']
    failures, details = 0, []
    for number, (name, command, keep) in enumerate(steps, 1):
        left = args.budget - (time.monotonic() - start) - keep
        log = OUT / f'step{number}.log'
        print(f'gpu-check: {number}. {name} (at most {max(left, 0):.0f} s) ...', flush=True)
        status, seconds = run_step(name, command, left, log, env)
        counts, failed = junit_summary(OUT / ('unit-tests.xml' if number == 1 else 'nbval.xml')) if number < 3 else ('', [])
        failures += status != 'passed'
        lines.append(f'| {number}. {name} | {status} | {seconds:.0f} | {counts} |')
        print(f'gpu-check: {number}. {name}: {status} in {seconds:.0f} s {counts}', flush=True)
        if failed:
            details += ['', f'Failed in step {number}:', ''] + [f'- `{test}`' for test in failed]
    lines += details
    for table in sorted((OUT / 'benchmarks').glob('*.md')) if (OUT / 'benchmarks').exists() else []:
        lines += ['', f'## Benchmark: {table.name}', '', table.read_text().strip()]
    lines += ['', f'Total: {time.monotonic() - start:.0f} s of a {args.budget:.0f} s budget. Logs: {OUT}/step*.log']
    (OUT / 'report.md').write_text('\n'.join(lines) + '\n')
    print(f'gpu-check: {"all steps passed" if not failures else f"{failures} step(s) did not pass"}; '
          f'report: {OUT / "report.md"}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
