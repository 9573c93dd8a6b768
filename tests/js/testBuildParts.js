// JobArtifactCache and JobSandbox through the GIR, from gjs.
import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Job from 'gi://Job?version=1.0';
import System from 'system';

function assert(cond, message) {
    if (!cond)
        throw new Error(`assertion failed: ${message}`);
}

const tmp = GLib.dir_make_tmp('test-build-parts-XXXXXX');
let failed = false;
try {
    // Artifact cache: commit, lookup, checkout.
    const cache = Job.ArtifactCache.new(`${tmp}/cache`, null);
    const key = GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, 'gjs', -1);
    assert(!cache.contains(key), 'empty cache');
    const commit = cache.begin_commit(key);
    GLib.file_set_contents(`${commit.get_files_path()}/hello`, 'from gjs');
    commit.set_element_name('gjs.bst');
    commit.commit();
    assert(cache.contains(key), 'committed');
    cache.checkout(key, `${tmp}/out`, null);
    const [, contents] = GLib.file_get_contents(`${tmp}/out/hello`);
    assert(new TextDecoder().decode(contents) === 'from gjs', 'checkout contents');
    try {
        cache.lookup('nope');
        assert(false, 'invalid key accepted');
    } catch (e) {
        assert(e.matches(Job.cache_error_quark(), Job.CacheError.INVALID_KEY), `${e}`);
    }

    // Sandbox in host mode on a busybox root.
    if (GLib.file_test('/bin/busybox', GLib.FileTest.IS_EXECUTABLE)) {
        const root = `${tmp}/root`;
        GLib.mkdir_with_parents(`${root}/bin`, 0o755);
        Gio.File.new_for_path('/bin/busybox').copy(Gio.File.new_for_path(`${root}/bin/busybox`),
            Gio.FileCopyFlags.ALL_METADATA, null, null);
        Gio.File.new_for_path(`${root}/bin/sh`).make_symbolic_link('busybox', null);
        const sandbox = new Job.Sandbox({root, mode: Job.SandboxMode.HOST, env: ['PATH=/bin', 'X=1']});
        const log = Gio.MemoryOutputStream.new_resizable();
        const [ok, status] = sandbox.run(['sh', '-c', 'echo x=$X; exit 2'], log, null);
        log.close(null);
        const out = new TextDecoder().decode(log.steal_as_bytes().toArray());
        assert(ok && status === 2, `status ${status}`);
        assert(out === 'sandbox: host\nx=1\n', `log ${JSON.stringify(out)}`);
        assert(sandbox.effective_mode === Job.SandboxMode.HOST, 'effective mode');
    }
} catch (e) {
    printerr(e, e.stack);
    failed = true;
} finally {
    GLib.spawn_command_line_sync(`rm -rf ${GLib.shell_quote(tmp)}`);
}
System.exit(failed ? 1 : 0);
