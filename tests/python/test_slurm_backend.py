#!/usr/bin/env python3
# JobSlurmBackend from Python: its properties, and a clear SPAWN error when
# the Slurm commands are missing (needs no cluster). With a cluster
# (SLURM_CONF set and `scontrol ping` answering) it also runs a command.

import os
import shutil
import subprocess
import sys
import tempfile

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, Job  # noqa: E402

spool = tempfile.mkdtemp(prefix="test-slurm-py-")

backend = Job.SlurmBackend(partition="debug", spool_dir=spool, time_limit=90,
                           srun_args=["--cpus-per-task=1"], max_jobs_in_flight=7)
assert isinstance(backend, Job.Backend)
assert backend.get_partition() == "debug"
assert backend.props.spool_dir == spool
assert backend.get_time_limit() == 90
assert backend.get_srun_args() == ["--cpus-per-task=1"]
assert backend.get_max_jobs_in_flight() == 7
assert backend.get_controller_timeout() == 10
assert backend.get_worker_path()
assert "PATH" in backend.get_env_allowlist()

# No Slurm on PATH: the first submission fails with SPAWN, at once.
saved_path = os.environ["PATH"]
empty = tempfile.mkdtemp(prefix="test-slurm-py-path-")
os.environ["PATH"] = empty
task = Job.CommandTask.new(["/bin/true"])
try:
    Job.SlurmBackend.new(None, spool).submit(task, None)
    raise AssertionError("submitting without Slurm succeeded")
except GLib.Error as error:
    assert error.matches(Job.worker_error_quark(), Job.WorkerError.SPAWN), error
    assert "not on PATH" in error.message, error.message
finally:
    os.environ["PATH"] = saved_path
    os.rmdir(empty)

if shutil.which("scontrol") and subprocess.run(
        ["scontrol", "ping"], capture_output=True).returncode == 0:
    task = Job.CommandTask.new(["/bin/sh", "-c", "echo from slurm"])
    result = Job.SlurmBackend.new(None, spool).submit(task, None)
    assert result.get_backend() == "slurm"
    assert result.get_output().get_stdout().get_data() == b"from slurm\n"
else:
    print("# no Slurm cluster: only the properties and the SPAWN error checked")

shutil.rmtree(spool)
print("ok")
sys.exit(0)
