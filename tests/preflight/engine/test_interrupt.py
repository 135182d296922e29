"""Ctrl-C during a check: the Pulumi runtime runs a program in nested event loops, where an interrupt
can be lost and the run then waits forever. The mock engine holds the interrupt back until the
program's run ends, then raises it; the policy pack ignores Ctrl-C, so the check closes it."""

from __future__ import annotations

import os
import signal

import pulumi
import pulumi_gcp as gcp
import pytest

from preflight.engine.runner import capture


def test_an_interrupt_during_a_program_run_is_raised_when_the_run_ends():
    registered: list[str] = []

    def program() -> None:
        gcp.storage.Bucket("before", location="EUROPE-WEST6")
        os.kill(os.getpid(), signal.SIGINT)
        gcp.storage.Bucket("after", location="EUROPE-WEST6", opts=pulumi.ResourceOptions())
        registered.append("done")

    with pytest.raises(KeyboardInterrupt):
        capture(program, project="p", stack="s", preview=False)
    assert registered == ["done"]  # the run finished first
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is back


def test_where_sigint_is_ignored_it_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        capture(lambda: os.kill(os.getpid(), signal.SIGINT), project="p", stack="s", preview=False)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
