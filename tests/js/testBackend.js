// Runs a JobCommandTask through both backends from gjs, blocking and
// asynchronously, and reads the result and its metrics.

import GLib from 'gi://GLib';
import Job from 'gi://Job?version=1.0';
import System from 'system';

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

const decoder = new TextDecoder();

function commandTask() {
    const task = Job.CommandTask.new(['/bin/sh', '-c', 'echo "hi $EXTRA"; exit 2']);
    task.set_env(['EXTRA=from-js']);
    return task;
}

function checkResult(result, name) {
    assert(result.get_backend() === name, `backend ${result.get_backend()}`);
    assert(result.get_worker_pid() > 0, 'worker pid');
    assert(result.get_wall_time() >= 0, 'wall time');
    assert(result.get_cpu_time() >= 0, 'cpu time');
    assert(result.get_peak_rss() > 0, 'peak rss');
    const output = result.get_output();
    assert(output instanceof Job.CommandOutput, 'output type');
    assert(output.get_exit_status() === 2, `exit status ${output.get_exit_status()}`);
    const text = decoder.decode(output.get_stdout().toArray());
    assert(text === 'hi from-js\n', `stdout ${text}`);
}

function checkBackend(backend, name) {
    let completed = 0;
    backend.connect('completed', () => {
        completed++;
    });

    checkResult(backend.submit(commandTask(), null), name);

    const loop = new GLib.MainLoop(null, false);
    let asyncResult = null;
    backend.submit_async(commandTask(), null, (source, res) => {
        asyncResult = source.submit_finish(res);
        loop.quit();
    });
    loop.run();
    checkResult(asyncResult, name);

    const context = GLib.MainContext.default();
    while (completed < 2)
        context.iteration(true);

    backend.shutdown(true);
}

checkBackend(new Job.WorkerPool({max_workers: 2}), 'worker-pool');
checkBackend(new Job.InlineBackend(), 'inline');
print('ok');
System.exit(0);
