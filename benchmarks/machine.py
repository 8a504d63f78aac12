"""What the numbers were measured on: CPU, cores, load, library versions, device, date; and the
process's own peak memory."""
import datetime
import os
import platform
import resource
import subprocess


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_model():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device='cpu'):
    import d2l
    import mxnet
    import numpy
    info = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'cpu': cpu_model(),
        'cores': os.cpu_count(),
        'usable_cores': len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count(),
        'load_average': [round(x, 2) for x in os.getloadavg()] if hasattr(os, 'getloadavg') else None,
        'os': platform.platform(),
        'python': platform.python_version(),
        'mxnet': mxnet.__version__,
        'numpy': numpy.__version__,
        'd2l': d2l.__version__,
        'device': device,
        'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '(unset)'),
    }
    if device == 'gpu':
        info['gpu'] = gpu_name() or 'unknown'
    return info


def gpu_name():
    """The first GPU's name from nvidia-smi, or None."""
    try:
        names = subprocess.run(['nvidia-smi', '--query-gpu=name', '--format=csv,noheader'],
                               capture_output=True, text=True, timeout=20).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return None
    return names[0] if names else None
