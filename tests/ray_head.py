"""A local Ray head for the tests of training on a cluster (core.cluster): started with `ray start`, stopped after.

Ray is a deployment extra (requirements-deploy.txt). Without it the cluster tests skip, except under CI (CI=true, as
.ci/run sets), where they fail: CI installs the extras, so a missing Ray there is a broken install, not a choice.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.e2e.harness import free_port


def require_ray() -> None:
    """Skip (fail under CI) when Ray is not installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("Ray is not installed: .ci/run installs requirements-deploy.txt")
        pytest.skip("Ray is not installed (pip install -r requirements-deploy.txt)")


@contextlib.contextmanager
def local_ray_head(cpus: int = 2) -> Iterator[str]:
    """A Ray head on this machine with `cpus` worker CPUs; yields its address. `ray stop` ends it (and any other Ray
    processes of this user on the machine: run these tests where nothing else uses Ray) and disconnects this process."""
    require_ray()
    ray = shutil.which("ray")
    assert ray, "the `ray` command is missing although the package is installed"
    port = free_port()
    subprocess.run([ray, "start", "--head", f"--num-cpus={cpus}", "--num-gpus=0", f"--port={port}",
                    "--include-dashboard=false", "--disable-usage-stats", "--object-store-memory=200000000"],
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray as ray_package

        ray_package.shutdown()  # this process's connection, if a test made one: the next head needs a fresh one
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)
