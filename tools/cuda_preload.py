"""Load the CUDA 11 libraries of NVIDIA's pip wheels before `import mxnet` (CUDA builds of MXNet only).

tools/bootstrap.sh copies this file into the site-packages of .venv, with a one-line .pth file that
imports it, when MXNET names a CUDA build (``make test MXNET=mxnet-cu117``). libmxnet.so of those
builds needs libcudart.so.11.0, libcublas.so.11, libcudnn.so.8, ... and the driver's libcuda.so.1.
The nvidia-*-cu11 wheels (tools/requirements-cuda11.txt) put the toolkit's libraries into
site-packages/nvidia/*/lib, where the dynamic loader does not look; loaded here first, globally,
they satisfy libmxnet.so, so that a GPU box needs only the NVIDIA driver. Nothing is loaded until
something imports mxnet; removing the .pth file (MXNET=mxnet does) turns this off.
"""
import os
import sys

NVIDIA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'nvidia')


def preload(root=NVIDIA):
    """Load every lib*.so* under root/*/lib with RTLD_GLOBAL, in an order that satisfies their own needs.

    Returns (loaded, not_loaded) paths; a library that needs something missing (the driver) stays
    unloaded, and MXNet's import then names what is missing.
    """
    import ctypes
    import glob
    pending = sorted(glob.glob(os.path.join(root, '*', 'lib', 'lib*.so*')))
    loaded = []
    while pending:
        failed = []
        for path in pending:
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                failed.append(path)
            else:
                loaded.append(path)
        if len(failed) == len(pending):
            break
        pending = failed
    return loaded, pending


class BeforeMXNet:
    """A meta-path finder that only watches for the first `import mxnet`, preloads, and leaves."""

    def find_spec(self, name, path=None, target=None):
        if name == 'mxnet':
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            preload()
        return None


def install():
    if os.path.isdir(NVIDIA) and not any(type(f).__name__ == 'BeforeMXNet' for f in sys.meta_path):
        sys.meta_path.insert(0, BeforeMXNet())


install()
