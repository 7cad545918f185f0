"""A local Ray head for the tests of training on a cluster (core.cluster): started with `ray start`, stopped after.

Ray is a deployment extra (requirements-deploy.txt). Without it the cluster tests skip, except under CI (CI=true, as
.ci/run sets), where they fail: CI installs the extras, so a missing Ray there is a broken install, not a choice.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest


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
    """core.cluster.local_head (a Ray head on this machine with `cpus` worker CPUs; yields its address), or a skip
    (a failure under CI) without Ray."""
    require_ray()
    from core.cluster import local_head

    with local_head(cpus) as address:
        yield address
