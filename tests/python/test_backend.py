#!/usr/bin/env python3
# Runs a JobCommandTask through both backends from Python, blocking and
# asynchronously, and reads the result and its metrics.

import os
import sys

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, Job  # noqa: E402

os.environ["AWS_SECRET_ACCESS_KEY"] = "hunter2"


def command_task():
    task = Job.CommandTask.new(
        ["/bin/sh", "-c",
         'echo "hi ${EXTRA} ${AWS_SECRET_ACCESS_KEY-unset}"; echo err >&2; exit 4'])
    task.set_env(["EXTRA=added"])
    return task


def check_result(result, name):
    assert result.get_backend() == name, result.get_backend()
    assert result.props.backend == name
    assert result.get_worker_pid() > 0
    if name == "inline":
        assert result.get_worker_pid() == os.getpid()
    else:
        assert result.get_worker_pid() != os.getpid()
    assert 0 <= result.get_wall_time() < 10
    assert result.get_cpu_time() >= 0
    assert result.get_peak_rss() > 0
    output = result.get_output()
    assert isinstance(output, Job.CommandOutput)
    assert output.get_exit_status() == 4
    assert output.get_term_signal() == 0
    assert output.get_stdout().get_data() == b"hi added unset\n", output.get_stdout().get_data()
    assert output.get_stderr().get_data() == b"err\n"


def check_backend(backend, name):
    completed = []
    backend.connect("completed", lambda b, task, result, error: completed.append((result, error)))

    # Blocking.
    check_result(backend.submit(command_task(), None), name)
    if isinstance(backend, Job.WorkerPool):
        pids = backend.dup_worker_pids()
        assert backend.get_n_workers() == len(pids) == 1, pids
        assert pids[0] > 0 and pids[0] != os.getpid()

    # Asynchronous, with a main loop.
    loop = GLib.MainLoop()
    results = []

    def done(source, res):
        results.append(source.submit_finish(res))
        loop.quit()

    backend.submit_async(command_task(), None, done)
    loop.run()
    check_result(results[0], name)

    # A command that cannot start fails with an error.
    try:
        backend.submit(Job.CommandTask.new(["/nonexistent/command"]), None)
    except GLib.Error as e:
        assert "nonexistent" in e.message, e.message
    else:
        raise AssertionError("a missing command must fail")

    # Cancelled before it ran.
    cancellable = Gio.Cancellable()
    cancellable.cancel()
    try:
        backend.submit(command_task(), cancellable)
    except GLib.Error as e:
        assert e.matches(Job.worker_error_quark(), Job.WorkerError.CANCELLED), e
    else:
        raise AssertionError("a cancelled task must fail")

    # Signals arrive on this thread's main context.
    context = GLib.MainContext.default()
    while len(completed) < 4:
        context.iteration(True)
    assert completed[0][0] is not None and completed[0][1] is None
    assert completed[2][0] is None and completed[2][1] is not None

    backend.shutdown(True)


gi.require_version("Gio", "2.0")
from gi.repository import Gio  # noqa: E402

pool = Job.WorkerPool(max_workers=2, task_timeout=30)
assert pool.props.max_workers == 2
assert "PATH" in pool.props.env_allowlist
check_backend(pool, "worker-pool")
check_backend(Job.InlineBackend(), "inline")
print("ok")
sys.exit(0)
