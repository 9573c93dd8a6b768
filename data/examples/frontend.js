// SPDX-License-Identifier: LGPL-2.1-or-later
// A libjob frontend in JavaScript: gjs -m frontend.js PROJECT-DIR TARGET.bst...
//
// Loads a project, builds the targets through Job.Scheduler in worker
// processes, shows progress from its signals, then a failure summary.
// Artifacts go to $JOB_CACHE_DIR, else ~/.cache/libjob.

import GLib from 'gi://GLib';
import Job from 'gi://Job?version=1.0';
import System from 'system';

function main([projectDir, ...targets]) {
    if (!projectDir || targets.length === 0) {
        printerr('usage: gjs -m frontend.js PROJECT-DIR TARGET.bst...');
        return 2;
    }
    const project = Job.Project.new(projectDir);
    project.load(null);
    const loader = Job.Loader.new(project);
    loader.load(targets, null);
    const cacheDir = GLib.getenv('JOB_CACHE_DIR') ||
        GLib.build_filenamev([GLib.get_user_cache_dir(), 'libjob']);
    const backend = Job.WorkerPool.new();
    const scheduler = Job.Scheduler.new(loader, Job.ArtifactCache.new(cacheDir, null), backend);
    scheduler.prepare(targets);

    const errors = new Map();
    const finished = what => (_s, name, error) => {
        print(`${what} ${error ? 'FAILED' : 'done'} ${name}`);
        if (error)
            errors.set(name, error.message);
    };
    scheduler.connect('fetch-started', (_s, name) => print(`fetch    ${name}`));
    scheduler.connect('fetch-finished', finished('fetch'));
    scheduler.connect('job-started', (_s, name) => print(`build    ${name}`));
    scheduler.connect('job-finished', finished('build'));

    const loop = new GLib.MainLoop(null, false);
    let ok = false;
    scheduler.build_async(null, (_s, result) => {
        try {
            ok = scheduler.build_finish(result);
        } catch (e) {
            ok = false;
        }
        loop.quit();
    });
    loop.run();
    backend.shutdown(true);

    const failed = scheduler.dup_failed();
    for (const name of failed)
        print(`\nFailed: ${name}\n${errors.get(name) ?? ''}\nLog: ${scheduler.get_log_path(name)}`);
    print(failed.length > 0 ? `${failed.length} failed` : 'all built');
    return ok && failed.length === 0 ? 0 : 1;
}

System.exit(main(ARGV));
