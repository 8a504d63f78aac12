"""Do the pinned requirements resolve to wheels for Python 3.11 on each platform the book names?

`make platform-check` (and CI) runs this. For every platform of PLATFORMS it asks pip to resolve the
pins of requirements.txt with --only-binary=:all: for that platform and CPython 3.11, downloading and
installing nothing (`pip install --dry-run --ignore-installed --target ... --report`); it does the
same for .binder/requirements.txt (Binder runs linux x86_64) and for the CUDA switch (mxnet-cu117 and
the NVIDIA libraries of tools/requirements-cuda11.txt). By default only the pinned packages are
resolved (--no-deps; about 15 s in all, the checks run side by side); --deps resolves the whole
dependency tree instead (about a minute). Needs the package index pip is configured with.

A wheel that resolves is not yet a wheel that runs: the installation page says what else each
platform needs (for linux aarch64, Arm Performance Libraries that mxnet's wheel loads but does
not ship). Prints one line per check and a summary; exit status 1 if any check fails.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON_VERSION = '3.11'
# pip takes a platform tag literally (it widens only macOS versions and manylinux2014/2010), so the
# Linux platforms list every manylinux tag a glibc 2.17-2.36 system (Debian 12 has 2.36) accepts.
LINUX = ['manylinux_2_%d_{arch}' % minor for minor in range(36, 16, -1)] + ['manylinux2014_{arch}']
PLATFORMS = {
    'linux-x86_64': [t.format(arch='x86_64') for t in LINUX] + ['manylinux2010_x86_64', 'manylinux1_x86_64'],
    'linux-aarch64': [t.format(arch='aarch64') for t in LINUX],
    'macos-x86_64': ['macosx_11_0_x86_64'],   # pip widens this to older macOS and universal2 wheels
}
# (name, platform, requirement arguments)
CHECKS = [(f'requirements.txt on {platform}', platform, ['-r', 'requirements.txt']) for platform in PLATFORMS] + [
    ('.binder/requirements.txt on linux-x86_64', 'linux-x86_64', ['-r', '.binder/requirements.txt']),
    ('MXNET=mxnet-cu117 on linux-x86_64', 'linux-x86_64',
     ['mxnet-cu117==' + next(line.split('==')[1].strip() for line in
                             (ROOT / 'requirements.txt').read_text().splitlines() if line.startswith('mxnet==')),
      '-r', 'tools/requirements-cuda11.txt']),
]


def pip_command(platform, requirements, report, target, deps):
    command = [sys.executable, '-m', 'pip', 'install', '--dry-run', '--quiet', '--ignore-installed',
               '--only-binary=:all:', '--python-version', PYTHON_VERSION, '--implementation', 'cp',
               '--target', str(target), '--report', str(report)]
    for tag in PLATFORMS[platform]:
        command += ['--platform', tag]
    return command + ([] if deps else ['--no-deps']) + requirements


def run_check(name, platform, requirements, deps, workdir):
    report = workdir / (name.replace(' ', '_').replace('/', '_') + '.json')
    command = pip_command(platform, requirements, report, workdir / (report.stem + '-target'), deps)
    start = time.monotonic()
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1')
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        errors = [line for line in (done.stderr + done.stdout).splitlines() if line.startswith('ERROR')]
        return False, f'FAILED {name} ({seconds:.0f} s): ' + (errors[0] if errors else f'pip exit {done.returncode}')
    wheels = [item['download_info']['url'].rsplit('/', 1)[-1] for item in json.loads(report.read_text())['install']]
    mxnet = [w for w in wheels if w.startswith('mxnet')]
    return True, f'ok     {name}: {len(wheels)} wheels ({seconds:.0f} s)' + (f', {mxnet[0]}' if mxnet else '')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--deps', action='store_true', help='resolve the whole dependency tree, not only the pins')
    parser.add_argument('--print', action='store_true', help='print the pip commands and exit')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix='platform-check-') as tmp:
        workdir = Path(tmp)
        if args.print:
            for name, platform, requirements in CHECKS:
                print(f'# {name}\n' + ' '.join(pip_command(platform, requirements, workdir / 'report.json',
                                                            workdir / 'target', args.deps)))
            return 0
        what = 'whole dependency tree' if args.deps else 'pinned packages'
        print(f'platform-check: do the {what} resolve to wheels for CPython {PYTHON_VERSION}?', flush=True)
        with concurrent.futures.ThreadPoolExecutor(len(CHECKS)) as pool:
            results = list(pool.map(lambda check: run_check(*check, args.deps, workdir), CHECKS))
    for _, line in results:
        print(line)
    failed = sum(not ok for ok, _ in results)
    print(f'platform-check: {len(results) - failed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
