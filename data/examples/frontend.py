#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A libjob frontend in Python: frontend.py PROJECT-DIR TARGET.bst...

Loads a project, builds the targets through Job.Scheduler in worker processes,
shows progress from its signals, then a failure summary. Artifacts go to
$JOB_CACHE_DIR, else ~/.cache/libjob."""

import os
import sys

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, Job  # noqa: E402


def main(project_dir, targets):
    project = Job.Project.new(project_dir)
    project.load(None)
    loader = Job.Loader.new(project)
    loader.load(targets, None)
    cache_dir = os.environ.get("JOB_CACHE_DIR") or os.path.join(
        GLib.get_user_cache_dir(), "libjob")
    backend = Job.WorkerPool.new()
    scheduler = Job.Scheduler.new(loader, Job.ArtifactCache.new(cache_dir, None), backend)
    scheduler.prepare(targets)

    errors = {}
    def finished(scheduler, name, error, what):
        print("%-8s %s" % (what + (" FAILED" if error else " done"), name), flush=True)
        if error is not None:
            errors[name] = error.message
    scheduler.connect("fetch-started", lambda s, name: print("fetch    %s" % name))
    scheduler.connect("fetch-finished", finished, "fetch")
    scheduler.connect("job-started", lambda s, name: print("build    %s" % name, flush=True))
    scheduler.connect("job-finished", finished, "build")
    loop = GLib.MainLoop()
    outcome = []
    def done(scheduler, result):
        try:
            outcome.append(scheduler.build_finish(result))
        except GLib.Error:
            outcome.append(False)
        loop.quit()
    scheduler.build_async(None, done)
    loop.run()
    backend.shutdown(True)

    failed = scheduler.dup_failed()
    for name in failed:
        print("\nFailed: %s\n%s\nLog: %s" % (name, errors.get(name, ""), scheduler.get_log_path(name)))
    print("%d failed" % len(failed) if failed else "all built")
    return 0 if outcome[0] and not failed else 1


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: frontend.py PROJECT-DIR TARGET.bst...")
    sys.exit(main(sys.argv[1], sys.argv[2:]))
