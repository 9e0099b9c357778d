"""The suite's own parallel machinery does what tests/workers.py and the markers promise."""

import os

import pytest


@pytest.mark.xdist_group("group-probe")
def test_an_xdist_group_reaches_the_scheduler(request):
    """`--dist loadgroup` sends a group to one worker only if the worker sees the group in the
    node id. pytest 9 ignores pytest-xdist 3.8's rewrite of it, and every group then ran on every
    worker, each building its own copy of the group's session fixture (a migrate each)."""
    # On a worker, xdist keeps the controller's `--dist loadgroup` as this flag.
    if os.environ.get("PYTEST_XDIST_WORKER") is None or not getattr(
        request.config.option, "loadgroup", False
    ):
        pytest.skip("runs under `make test` (pytest-xdist with --dist loadgroup)")
    assert request.node.nodeid.endswith("@group-probe")
