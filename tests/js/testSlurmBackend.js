// JobSlurmBackend from gjs: its properties, and the clear SPAWN error of a
// first submission when the Slurm commands are not on PATH (no cluster
// needed), asynchronously.

import GLib from 'gi://GLib';
import Job from 'gi://Job?version=1.0';
import System from 'system';

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

const spool = GLib.dir_make_tmp('test-slurm-js-XXXXXX');
const backend = new Job.SlurmBackend({
    partition: 'debug',
    spool_dir: spool,
    time_limit: 120,
    srun_args: ['--mem=1G'],
    max_jobs_in_flight: 3,
    controller_timeout: 2,
});
assert(backend instanceof Job.Backend, 'is a backend');
assert(backend.get_partition() === 'debug', 'partition');
assert(backend.spool_dir === spool, 'spool-dir');
assert(backend.get_time_limit() === 120, 'time-limit');
assert(backend.get_srun_args().join() === '--mem=1G', 'srun-args');
assert(backend.get_max_jobs_in_flight() === 3, 'max-jobs-in-flight');
assert(backend.get_controller_timeout() === 2, 'controller-timeout');
assert(backend.get_worker_path().length > 0, 'worker-path');

const savedPath = GLib.getenv('PATH');
const empty = GLib.dir_make_tmp('test-slurm-js-path-XXXXXX');
GLib.setenv('PATH', empty, true);
const loop = new GLib.MainLoop(null, false);
let error = null;
backend.submit_async(Job.CommandTask.new(['/bin/true']), null, (source, res) => {
    try {
        source.submit_finish(res);
    } catch (e) {
        error = e;
    }
    loop.quit();
});
loop.run();
GLib.setenv('PATH', savedPath, true);
GLib.rmdir(empty);
GLib.rmdir(spool);
assert(error !== null, 'submitting without Slurm failed');
assert(error.matches(Job.WorkerError, Job.WorkerError.SPAWN), `${error}`);
assert(error.message.includes('not on PATH'), error.message);
backend.shutdown(true);
print('ok');
System.exit(0);
