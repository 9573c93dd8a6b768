// Loads the sample project through the GIR and walks its elements.
import GLib from 'gi://GLib';
import Job from 'gi://Job?version=1.0';

function assert(condition, message) {
    if (!condition)
        throw new Error(`assertion failed: ${message}`);
}

const sample = GLib.build_filenamev([GLib.getenv('JOB_SOURCEDIR'), 'tests', 'projects', 'sample']);
const project = Job.Project.new(sample);
project.load(null);
assert(project.get_name() === 'sample', 'project name');

const loader = Job.Loader.new(project);
loader.load(['all.bst'], null);

const all = loader.list_dependencies(['all.bst'], Job.Deps.ALL);
const names = [];
for (let i = 0; i < all.get_n_items(); i++)
    names.push(all.get_item(i).get_name());
assert(names.join(' ') === 'base.bst tools.bst lib.bst app.bst all.bst', names.join(' '));

const app = loader.get_element('app.bst');
assert(app.get_kind() === 'manual', 'kind');
assert(app.get_variable('target-arch') === 'x86_64', 'default option value');
assert(app.get_build_dependencies().join(' ') === 'tools.bst lib.bst', 'build deps');
const variables = app.get_variables();
assert(variables.lookup('build-root').get_scalar() === '/buildstream/sample/app.bst', 'build-root');
assert(variables.lookup('app-dir').dup_provenance() === 'app.bst [line 10 column 12]', 'provenance');
const install = app.get_config().get_string_list('install-commands');
assert(install.length === 1 && install[0].startsWith('make DESTDIR='), `install-commands ${install}`);

let failed = false;
try {
    loader.load(['missing.bst'], null);
} catch (error) {
    failed = true;
    assert(error.matches(Job.load_error_quark(), Job.LoadError.MISSING_FILE), `${error}`);
}
assert(failed, 'loading a missing element fails');
print('ok');

// The same through load_async, from a main loop.
const loop = new GLib.MainLoop(null, false);
const asyncLoader = Job.Loader.new(project);
let asyncError = null;
asyncLoader.load_async(['app.bst'], null, (source, result) => {
    try {
        source.load_finish(result);
    } catch (error) {
        asyncError = error;
    }
    loop.quit();
});
loop.run();
assert(asyncError === null, `load_async: ${asyncError}`);
assert(asyncLoader.get_element('app.bst').get_kind() === 'manual', 'load_async loaded app.bst');
assert(asyncLoader.get_element('all.bst') === null, 'load_async loaded only what app.bst needs');
print('ok async');

// Workspaces: kept with the project, seen by the next load and by loaders.
const scratch = GLib.dir_make_tmp('job-js-XXXXXX');
const wsProject = GLib.build_filenamev([scratch, 'project']);
GLib.mkdir_with_parents(GLib.build_filenamev([wsProject, 'files']), 0o755);
GLib.file_set_contents(GLib.build_filenamev([wsProject, 'project.conf']), 'name: ws\n');
GLib.file_set_contents(GLib.build_filenamev([wsProject, 'app.bst']),
    'kind: import\nsources:\n- kind: local\n  path: files\n');
const src = GLib.build_filenamev([scratch, 'src']);
const opened = Job.Project.new(wsProject);
opened.load(null);
assert(opened.get_workspace('app.bst') === null, 'no workspace yet');
opened.set_workspace('app.bst', src);
opened.save_workspaces();
const reloaded = Job.Project.new(wsProject);
reloaded.load(null);
assert(reloaded.dup_workspace_elements().join(' ') === 'app.bst', 'workspace listed');
assert(reloaded.get_workspace('app.bst') === src, `workspace path ${reloaded.get_workspace('app.bst')}`);
const wsLoader = Job.Loader.new(reloaded);
wsLoader.load(['app.bst'], null);
const sources = wsLoader.get_element('app.bst').get_sources();
assert(sources.get_n_items() === 1 && sources.get_item(0).get_kind() === 'workspace', 'workspace source');
reloaded.set_workspace('app.bst', null);
reloaded.save_workspaces();
assert(!GLib.file_test(GLib.build_filenamev([wsProject, '.job']), GLib.FileTest.EXISTS), '.job removed');
for (const file of ['project.conf', 'app.bst'])
    GLib.unlink(GLib.build_filenamev([wsProject, file]));
GLib.rmdir(GLib.build_filenamev([wsProject, 'files']));
GLib.rmdir(wsProject);
GLib.rmdir(scratch);
print('ok workspaces');
