#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Element, source and task plugins written in Python, run in workers that
host Python (tests/projects/pyplugins mixes them with C element kinds)."""

import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

# Workers are started from this interpreter, not from the build tree: say
# where the build tree's job-worker is.
if "JOB_WORKER_PATH" not in os.environ and "JOB_BUILDDIR" in os.environ:
    os.environ["JOB_WORKER_PATH"] = os.path.join(
        os.environ["JOB_BUILDDIR"], "libjob", "worker", "job-worker")

import gi  # noqa: E402

gi.require_version("Job", "1.0")
from gi.repository import GLib, Job  # noqa: E402

BUSYBOX = "/bin/busybox"
SOURCE_DIR = os.environ.get("JOB_SOURCEDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("JOB_BUILDDIR", os.path.join(SOURCE_DIR, "_build"))
JOB = os.path.join(BUILD_DIR, "libjob", "tools", "job")


def make_project(root):
    """Copies the pyplugins project into @root and gives it a busybox base."""
    project = os.path.join(root, "project")
    shutil.copytree(os.path.join(SOURCE_DIR, "tests", "projects", "pyplugins"), project)
    bindir = os.path.join(project, "base", "bin")
    os.makedirs(bindir)
    shutil.copy2(BUSYBOX, os.path.join(bindir, "busybox"))
    for applet in ["sh", "cat", "echo", "mkdir"]:
        os.symlink("busybox", os.path.join(bindir, applet))
    return project


def worker_cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")


def worker_maps(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


# GType names are global to a process: every test of this process uses the
# same copy of the project, so each plugin file is imported once.
SHARED = {}


def setUpModule():
    SHARED["dir"] = tempfile.mkdtemp(prefix="test-python-plugins-")
    SHARED["project"] = make_project(SHARED["dir"])


def tearDownModule():
    shutil.rmtree(SHARED["dir"])


@unittest.skipUnless(os.access(BUSYBOX, os.X_OK), "needs Debian's busybox-static")
class PythonPluginTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.project_dir = SHARED["project"]
        self.cache_dir = os.path.join(self.tmp.name, "cache")

    def tearDown(self):
        # Artifacts are read-only.
        subprocess.run(["chmod", "-R", "u+w", self.tmp.name], check=False)
        self.tmp.cleanup()

    def scheduler(self, targets, backend, on_error=Job.OnError.QUIT):
        project = Job.Project.new(self.project_dir)
        project.load(None)
        loader = Job.Loader.new(project)
        loader.load(targets, None)
        cache = Job.ArtifactCache.new(self.cache_dir, None)
        scheduler = Job.Scheduler.new(loader, cache, backend)
        scheduler.props.on_error = on_error
        scheduler.prepare(targets)
        return scheduler, cache

    def build(self, scheduler):
        finished = {}
        scheduler.connect("job-finished", lambda s, name, error: finished.__setitem__(
            name, None if error is None else error.message))
        try:
            ok = scheduler.build(None)
        except GLib.Error:
            ok = False
        return ok, finished

    def checkout(self, cache, scheduler, name, relative):
        checkout = os.path.join(self.tmp.name, "checkout-" + name)
        self.assertTrue(cache.checkout(scheduler.get_cache_key(name), checkout, None))
        with open(os.path.join(checkout, relative)) as f:
            return f.read()

    def test_mixed_project_builds_through_the_pool(self):
        pool = Job.WorkerPool(max_workers=2)
        pids = {}

        def completed(backend, task, result, error):
            if isinstance(task, Job.BuildTask) and result is not None:
                pids[task.props.element.get_name()] = result.get_worker_pid()
            elif isinstance(task, Job.FetchTask) and result is not None:
                pids["fetch"] = result.get_worker_pid()

        pool.connect("completed", completed)
        scheduler, cache = self.scheduler(["hello.bst"], pool)
        fetched = []
        scheduler.connect("fetch-finished", lambda s, name, error: fetched.append(
            (name, None if error is None else error.message)))
        element = scheduler.get_element("hello.bst")
        self.assertEqual(type(element).__gtype__.name, "PyHelloElement")
        self.assertEqual(Job.type_get_origin(type(element).__gtype__),
                         "python:" + os.path.realpath(
                             os.path.join(self.project_dir, "plugins", "pyhello.py")))
        try:
            ok, finished = self.build(scheduler)
            self.assertTrue(ok, finished)
            self.assertEqual(finished, {"base.bst": None, "greeting.bst": None, "hello.bst": None})
            self.assertEqual(fetched, [("hello.bst", None)])
            context = GLib.MainContext.default()
            while len(pids) < 4:
                context.iteration(True)

            text = self.checkout(cache, scheduler, "hello.bst", "share/py.txt").splitlines()
            # Built from the C element's artifact and the Python source.
            self.assertEqual(text[0], "hello from C and from pyplugins")
            self.assertEqual(text[1], "staged by a Python source")
            # The Python source was fetched by a fetch job in a worker.
            self.assertEqual(text[2], "fetched by pid %d" % pids["fetch"])
            self.assertNotEqual(pids["fetch"], os.getpid())
            # In another process: the one the result's metrics name.
            self.assertEqual(text[3], "pid=%d" % pids["hello.bst"])
            self.assertNotEqual(pids["hello.bst"], os.getpid())
            # Declared clear: the worker's copy had the default, not ours.
            self.assertEqual(text[4], "parent-note=unset")
            # Declared custom: the worker's copy came through the codec.
            self.assertEqual(text[5], "words=x+y+z (custom codec)")
            self.assertEqual(element.props.parent_note, "set in pid %d" % os.getpid())

            # The Python element ran in a worker that hosts Python; the C
            # ones in a worker that does not.
            python_worker = pids["hello.bst"]
            c_worker = pids["greeting.bst"]
            self.assertNotEqual(python_worker, c_worker)
            self.assertIn(b"--python", worker_cmdline(python_worker))
            self.assertIn("libpython", worker_maps(python_worker))
            self.assertNotIn(b"--python", worker_cmdline(c_worker))
            self.assertNotIn("libpython", worker_maps(c_worker))
        finally:
            pool.shutdown(True)

    def test_inline_backend_runs_python_plugins_in_threads(self):
        scheduler, cache = self.scheduler(["hello.bst", "boom.bst"], Job.InlineBackend(),
                                          on_error=Job.OnError.CONTINUE)
        ok, finished = self.build(scheduler)
        self.assertFalse(ok)
        self.assertEqual(scheduler.dup_failed(), ["boom.bst"])
        self.assertIn("ZeroDivisionError", finished["boom.bst"])
        text = self.checkout(cache, scheduler, "hello.bst", "share/py.txt").splitlines()
        # Pickled both ways even in this process: the clear property too.
        self.assertEqual(text[3], "pid=%d" % os.getpid())
        self.assertEqual(text[4], "parent-note=unset")
        self.assertEqual(text[5], "words=x+y+z (custom codec)")

    def test_c_only_project_never_starts_python(self):
        pool = Job.WorkerPool(max_workers=2)
        scheduler, cache = self.scheduler(["greeting.bst", "other.bst"], pool)
        try:
            ok, finished = self.build(scheduler)
            self.assertTrue(ok, finished)
            pids = pool.dup_worker_pids()
            self.assertGreater(len(pids), 0)
            for pid in pids:
                self.assertNotIn(b"--python", worker_cmdline(pid))
                self.assertNotIn("libpython", worker_maps(pid))
        finally:
            pool.shutdown(True)

    def test_exception_fails_only_its_element(self):
        pool = Job.WorkerPool(max_workers=2)
        scheduler, cache = self.scheduler(["boom.bst", "other.bst"], pool,
                                          on_error=Job.OnError.CONTINUE)
        try:
            ok, finished = self.build(scheduler)
        finally:
            pool.shutdown(True)
        self.assertFalse(ok)
        self.assertEqual(scheduler.dup_failed(), ["boom.bst"])
        self.assertIsNone(finished["other.bst"])
        self.assertIsNone(finished["greeting.bst"])
        self.assertEqual(scheduler.get_state("other.bst"), Job.ElementState.CACHED)
        message = finished["boom.bst"]
        self.assertTrue(message.startswith("ZeroDivisionError: "), message)
        self.assertIn("Traceback (most recent call last):", message)
        self.assertIn('pyboom.py", line 21, in do_assemble', message)
        self.assertIn('pyboom.py", line 11, in explode', message)
        with open(scheduler.get_log_path("boom.bst")) as f:
            log = f.read()
        self.assertIn("FAILED: ZeroDivisionError", log)
        self.assertIn("in explode", log)

    def test_unpicklable_attribute_names_python_classes(self):
        pool = Job.WorkerPool()
        scheduler, cache = self.scheduler(["leaky.bst"], pool)
        try:
            ok, finished = self.build(scheduler)
        finally:
            pool.shutdown(True)
        self.assertFalse(ok)
        message = finished["leaky.bst"]
        self.assertIn("PyLeakyHandle: does not implement JobSerializable", message)
        self.assertIn(".element → PyLeakyElement “leaky.bst”", message)
        self.assertIn(".handle → PyLeakyHandle", message)
        self.assertIn("declare PyLeakyElement:handle clear", message)

    def add_kind(self, kind, code):
        with open(os.path.join(self.project_dir, "plugins", kind + ".py"), "w") as f:
            f.write(textwrap.dedent(code))
        conf = os.path.join(self.project_dir, "project.conf")
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("    pyhello: 0\n", "    pyhello: 0\n    %s: 0\n" % kind))
        with open(os.path.join(self.project_dir, "elements", kind + ".bst"), "w") as f:
            f.write("kind: %s\n" % kind)

    def test_plugin_load_errors(self):
        # A copy of its own: the kinds below change project.conf.
        self.project_dir = make_project(self.tmp.name)
        self.add_kind("pysyntax", "import gi\ndef broken(:\n    pass\n")
        self.add_kind("pyanon", """\
            import gi
            gi.require_version("Job", "1.0")
            from gi.repository import Job

            class Anonymous(Job.Element):
                pass
            """)
        self.add_kind("pynone", "X = 1\n")
        duplicate = """\
            import gi
            gi.require_version("Job", "1.0")
            from gi.repository import Job

            class Duplicate(Job.Element):
                __gtype_name__ = "PyTestDuplicateElement"
            """
        self.add_kind("pydup1", duplicate)
        self.add_kind("pydup2", duplicate)
        self.scheduler(["pydup1.bst"], Job.InlineBackend())
        for kind, expected in [("pydup2", ["GType name PyTestDuplicateElement is taken by a "
                                           "type from python:%s" % os.path.realpath(
                                               os.path.join(self.project_dir, "plugins",
                                                            "pydup1.py"))]),
                               ("pysyntax", ["pysyntax.py cannot be loaded: SyntaxError",
                                             'pysyntax.py", line 2']),
                               ("pyanon", ["class Anonymous has no __gtype_name__"]),
                               ("pynone", ["pynone.py defines no subclass of JobElement"])]:
            with self.assertRaises(GLib.Error) as caught:
                self.scheduler([kind + ".bst"], Job.InlineBackend())
            for text in expected:
                self.assertIn(text, caught.exception.message)
            self.assertIn(kind + ".bst [line 1 column 1]", caught.exception.message)

    def test_exception_in_unique_key_fails_preparation(self):
        # No key is never an empty key: nothing may be cached under it.
        self.project_dir = make_project(self.tmp.name)
        self.add_kind("pynokey", """\
            import gi
            gi.require_version("Job", "1.0")
            from gi.repository import Job

            class NoKey(Job.Element):
                __gtype_name__ = "PyTestNoKeyElement"

                def do_configure(self, config):
                    return True

                def do_get_unique_key(self):
                    raise RuntimeError("no key today")
            """)
        with self.assertRaises(GLib.Error) as caught:
            self.scheduler(["pynokey.bst"], Job.InlineBackend())
        self.assertIn("pynokey.bst: the pynokey plugin gave no unique key",
                      caught.exception.message)

    def test_python_task_from_load_file(self):
        plugin_dir = os.path.join(self.tmp.name, "tasks")
        os.makedirs(plugin_dir)
        path = os.path.join(plugin_dir, "pytasks.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent("""\
                import os
                import gi
                gi.require_version("Job", "1.0")
                from gi.repository import GLib, GObject, Job

                class PidTask(Job.Task):
                    __gtype_name__ = "PyTestPidTask"
                    def do_run(self, cancellable):
                        return Job.CommandOutput(stdout=GLib.Bytes(b"%d" % os.getpid()))

                class RaisingTask(Job.Task):
                    __gtype_name__ = "PyTestRaisingTask"
                    def do_run(self, cancellable):
                        raise KeyError("no such thing")
                """))
        registry = Job.PluginRegistry.new()
        with self.assertRaises(GLib.Error) as caught:
            registry.load_file(path)
        self.assertIn("not in an allowed plugin directory", caught.exception.message)
        registry.add_directory(plugin_dir)
        registry.load_file(path)
        registry.load_file(path)  # once is enough; again is a no-op

        pool = Job.WorkerPool()
        try:
            task = GObject_new("PyTestPidTask")
            result = pool.submit(task, None)
            self.assertNotEqual(result.get_worker_pid(), os.getpid())
            self.assertEqual(result.get_output().get_stdout().get_data(),
                             b"%d" % result.get_worker_pid())
            # A warm worker: the same one runs the next task.
            again = pool.submit(GObject_new("PyTestPidTask"), None)
            self.assertEqual(again.get_worker_pid(), result.get_worker_pid())

            with self.assertRaises(GLib.Error) as caught:
                pool.submit(GObject_new("PyTestRaisingTask"), None)
            self.assertTrue(caught.exception.matches(Job.plugin_error_quark(),
                                                     Job.PluginError.FAILED))
            self.assertIn("KeyError: 'no such thing'", caught.exception.message)
            self.assertIn('pytasks.py", line 14, in do_run', caught.exception.message)
        finally:
            pool.shutdown(True)

    def test_python_workers_keep_the_pool_guarantees(self):
        plugin_dir = os.path.join(self.tmp.name, "tasks")
        os.makedirs(plugin_dir)
        path = os.path.join(plugin_dir, "pyrogue.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent("""\
                import os
                import signal
                import sys
                import time
                import gi
                gi.require_version("Job", "1.0")
                from gi.repository import GLib, Job

                class EnvTask(Job.Task):
                    __gtype_name__ = "PyTestEnvTask"
                    def do_run(self, cancellable):
                        text = "\\n".join(sorted(os.environ))
                        os.environ["LEAKED"] = "yes"
                        return Job.CommandOutput(stdout=GLib.Bytes(text.encode()))

                class CrashTask(Job.Task):
                    __gtype_name__ = "PyTestCrashTask"
                    def do_run(self, cancellable):
                        print("about to crash", file=sys.stderr, flush=True)
                        os.kill(os.getpid(), signal.SIGSEGV)

                class SleepTask(Job.Task):
                    __gtype_name__ = "PyTestSleepTask"
                    def do_run(self, cancellable):
                        time.sleep(60)
                """))
        registry = Job.PluginRegistry.new()
        registry.add_directory(plugin_dir)
        registry.load_file(path)
        os.environ["AWS_SECRET_ACCESS_KEY"] = "hunter2"
        pool = Job.WorkerPool(max_workers=1, task_timeout=5)
        try:
            # The environment is the allowlist, and a task's changes do not
            # reach the next task.
            for _ in range(2):
                names = pool.submit(GObject_new("PyTestEnvTask"), None) \
                    .get_output().get_stdout().get_data().decode().split("\n")
                self.assertNotIn("AWS_SECRET_ACCESS_KEY", names)
                self.assertNotIn("GI_TYPELIB_PATH", names)
                self.assertNotIn("LEAKED", names)
                self.assertIn("PATH", names)
            env_pid = pool.dup_worker_pids()[0]
            self.assertIn(b"--python", worker_cmdline(env_pid))

            with self.assertRaises(GLib.Error) as caught:
                pool.submit(GObject_new("PyTestCrashTask"), None)
            self.assertTrue(caught.exception.matches(Job.worker_error_quark(),
                                                     Job.WorkerError.CRASHED))
            self.assertIn("SIGSEGV", caught.exception.message)
            self.assertIn("about to crash", caught.exception.message)

            with self.assertRaises(GLib.Error) as caught:
                pool.submit(GObject_new("PyTestSleepTask"), None)
            self.assertTrue(caught.exception.matches(Job.worker_error_quark(),
                                                     Job.WorkerError.TIMED_OUT))

            # A fresh Python worker takes over.
            result = pool.submit(GObject_new("PyTestEnvTask"), None)
            self.assertNotEqual(result.get_worker_pid(), env_pid)
        finally:
            del os.environ["AWS_SECRET_ACCESS_KEY"]
            pool.shutdown(True)

    def test_one_worker_slot_switches_variant(self):
        plugin_dir = os.path.join(self.tmp.name, "tasks")
        os.makedirs(plugin_dir)
        path = os.path.join(plugin_dir, "pyslot.py")
        with open(path, "w") as f:
            f.write(textwrap.dedent("""\
                import gi
                gi.require_version("Job", "1.0")
                from gi.repository import Job

                class NoopTask(Job.Task):
                    __gtype_name__ = "PyTestSlotNoopTask"
                    def do_run(self, cancellable):
                        return None
                """))
        registry = Job.PluginRegistry.new()
        registry.add_directory(plugin_dir)
        registry.load_file(path)
        pool = Job.WorkerPool(max_workers=1)
        try:
            c_task = Job.CommandTask.new(["/bin/true"])
            plain = pool.submit(c_task, None).get_worker_pid()
            self.assertNotIn(b"--python", worker_cmdline(plain))
            # The only slot holds an idle worker without Python: it makes room.
            hosted = pool.submit(GObject_new("PyTestSlotNoopTask"), None).get_worker_pid()
            self.assertNotEqual(hosted, plain)
            self.assertIn(b"--python", worker_cmdline(hosted))
            # A worker that hosts Python runs C tasks too.
            self.assertEqual(pool.submit(Job.CommandTask.new(["/bin/true"]), None)
                             .get_worker_pid(), hosted)
            self.assertEqual(list(pool.dup_worker_pids()), [hosted])
        finally:
            pool.shutdown(True)

        # Queued behind a busy C worker, a Python task is not overtaken by
        # the C tasks queued after it.
        pool = Job.WorkerPool(max_workers=1)
        order = []
        loop = GLib.MainLoop()

        def done(backend, result, name):
            backend.submit_finish(result)
            order.append(name)
            if len(order) == 3:
                loop.quit()

        try:
            pool.submit_async(Job.CommandTask.new(["/bin/sleep", "0.3"]), None, done, "c1")
            pool.submit_async(GObject_new("PyTestSlotNoopTask"), None, done, "python")
            pool.submit_async(Job.CommandTask.new(["/bin/true"]), None, done, "c2")
            loop.run()
            self.assertEqual(order, ["c1", "python", "c2"])
        finally:
            pool.shutdown(True)

    def test_job_tool_hosts_python(self):
        env = dict(os.environ)
        env["LD_DEBUG"] = "files"
        run = subprocess.run([JOB, "-C", self.project_dir, "build", "--cache-dir",
                              self.cache_dir, "other.bst"],
                             env=env, capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        # A C-only build never loads Python into the job tool.
        self.assertNotIn("libpython", run.stderr)
        self.assertNotIn("job-python-host", run.stderr)

        run = subprocess.run([JOB, "-C", self.project_dir, "build", "--cache-dir",
                              self.cache_dir, "hello.bst"],
                             env=env, capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("libpython", run.stderr)
        checkout = os.path.join(self.tmp.name, "checkout")
        subprocess.run([JOB, "-C", self.project_dir, "checkout", "--cache-dir",
                        self.cache_dir, "hello.bst", checkout], check=True)
        with open(os.path.join(checkout, "share", "py.txt")) as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[0], "hello from C and from pyplugins")
        self.assertEqual(lines[4], "parent-note=unset")

        # job check reports what a Python plugin cannot send to a worker.
        run = subprocess.run([JOB, "-C", self.project_dir, "check", "hello.bst", "leaky.bst"],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("ok      hello.bst", run.stdout)
        self.assertIn(".handle → PyLeakyHandle", run.stdout + run.stderr)
        self.assertIn("4 elements checked, 1 cannot be sent to a worker", run.stdout + run.stderr)


def GObject_new(type_name):
    from gi.repository import GObject
    return GObject.new(GObject.type_from_name(type_name))


if __name__ == "__main__":
    unittest.main()
