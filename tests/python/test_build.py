"""A build driven through the GIR: Job.Project, Job.Loader, Job.Scheduler."""

import os
import shutil
import subprocess
import tempfile
import unittest

# Workers are started from this interpreter, not from the build tree: say
# where the build tree's job-worker is.
if "JOB_WORKER_PATH" not in os.environ and "JOB_BUILDDIR" in os.environ:
    os.environ["JOB_WORKER_PATH"] = os.path.join(
        os.environ["JOB_BUILDDIR"], "libjob", "worker", "job-worker")

import gi  # noqa: E402

gi.require_version("Job", "1.0")
from gi.repository import Gio, GLib, Job  # noqa: E402

BUSYBOX = "/bin/busybox"


def write(root, relative, contents):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(contents)


def write_project(project):
    write(project, "project.conf", "name: pytest\nelement-path: elements\n")
    bindir = os.path.join(project, "base", "bin")
    os.makedirs(bindir)
    shutil.copy2(BUSYBOX, os.path.join(bindir, "busybox"))
    for applet in ["sh", "cat", "echo", "mkdir"]:
        os.symlink("busybox", os.path.join(bindir, applet))
    write(project, "elements/base.bst",
          "kind: import\nsources:\n- kind: local\n  path: base\n")
    write(project, "src/greeting.txt", "hello from python\n")
    write(project, "elements/src.bst",
          "kind: import\nsources:\n- kind: local\n  path: src\n")
    write(project, "elements/top.bst",
          "kind: manual\n"
          "build-depends:\n- base.bst\n- src.bst\n"
          "config:\n"
          "  install-commands:\n"
          "  - mkdir -p %{install-root}/share\n"
          "  - cat /greeting.txt > %{install-root}/share/greeting.txt\n"
          "  - echo built >> %{install-root}/share/greeting.txt\n")
    write(project, "elements/broken.bst",
          "kind: manual\n"
          "build-depends:\n- base.bst\n"
          "config:\n"
          "  build-commands:\n"
          "  - echo about to fail\n"
          "  - exit 7\n")


@unittest.skipUnless(os.access(BUSYBOX, os.X_OK), "needs Debian's busybox-static")
class BuildTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.project_dir = os.path.join(self.tmp.name, "project")
        self.cache_dir = os.path.join(self.tmp.name, "cache")
        write_project(self.project_dir)

    def tearDown(self):
        # Artifacts are read-only.
        subprocess.run(["chmod", "-R", "u+w", self.tmp.name], check=False)
        self.tmp.cleanup()

    def build(self, targets, backend):
        project = Job.Project.new(self.project_dir)
        self.assertTrue(project.load(None))
        loader = Job.Loader.new(project)
        self.assertTrue(loader.load(targets, None))
        cache = Job.ArtifactCache.new(self.cache_dir, None)
        scheduler = Job.Scheduler.new(loader, cache, backend)
        self.assertTrue(scheduler.prepare(targets))
        events = []
        scheduler.connect("job-started", lambda s, name: events.append(("start", name)))
        scheduler.connect("job-finished",
                          lambda s, name, error: events.append(
                              ("finish", name, None if error is None else error.message)))
        try:
            ok = scheduler.build(None)
            error = None
        except GLib.Error as e:
            ok = False
            error = e
        finally:
            backend.shutdown(True)
        return scheduler, cache, ok, error, events

    def check_top(self, backend):
        scheduler, cache, ok, error, events = self.build(["top.bst"], backend)
        self.assertTrue(ok, error)
        started = sorted(e[1] for e in events if e[0] == "start")
        self.assertEqual(started, ["base.bst", "src.bst", "top.bst"])
        finished = sorted((e[1], e[2]) for e in events if e[0] == "finish")
        self.assertEqual(finished, [("base.bst", None), ("src.bst", None), ("top.bst", None)])
        # Every start comes before its finish; top starts after src finished.
        order = [(e[0], e[1]) for e in events]
        self.assertLess(order.index(("finish", "src.bst")), order.index(("start", "top.bst")))
        self.assertEqual(scheduler.get_state("top.bst"), Job.ElementState.CACHED)

        key = scheduler.get_cache_key("top.bst")
        self.assertEqual(len(key), 64)
        self.assertTrue(cache.contains(key))
        checkout = os.path.join(self.tmp.name, "checkout")
        self.assertTrue(cache.checkout(key, checkout, None))
        with open(os.path.join(checkout, "share", "greeting.txt")) as f:
            self.assertEqual(f.read(), "hello from python\nbuilt\n")
        self.assertEqual(scheduler.dup_failed(), [])

        # Again: nothing to build.
        _, _, ok, error, events = self.build(["top.bst"], backend.__class__.new())
        self.assertTrue(ok, error)
        self.assertEqual(events, [])
        return key

    def test_worker_pool(self):
        self.check_top(Job.WorkerPool.new())

    def test_inline_backend(self):
        self.check_top(Job.InlineBackend.new())

    def test_staging_plan_sandbox(self):
        """What job shell does, from Python: stage a build scope in a
        context of its own and run a command in its sandbox."""
        scheduler, cache, ok, error, _ = self.build(["top.bst"], Job.InlineBackend.new())
        self.assertTrue(ok, error)
        # Nothing to fetch: local sources are always there.
        self.assertTrue(scheduler.fetch(None, None))
        plan = scheduler.make_staging_plan("top.bst", Job.Deps.BUILD)
        self.assertEqual(plan.get_type_string(), "(a(ssas)a(sau))")
        names = [entry[0] for entry in plan.unpack()[0]]
        self.assertEqual(sorted(names), ["base.bst", "src.bst"])

        element = scheduler.get_element("top.bst")
        context = Job.BuildContext.new(element, cache, plan, None, None)
        directory = os.path.dirname(context.get_build_directory())
        self.assertTrue(directory.startswith(os.path.join(self.cache_dir, "build")))
        self.assertTrue(context.stage_dependencies("/", None))
        log = Gio.MemoryOutputStream.new_resizable()
        ok, status = context.get_sandbox().run(["cat", "/greeting.txt"], log, None)
        self.assertTrue(ok)
        self.assertEqual(status, 0)
        log.close(None)
        text = log.steal_as_bytes().get_data().decode()
        self.assertTrue(text.endswith("hello from python\n"), text)
        # The context's own directory goes with it.
        del context
        self.assertFalse(os.path.exists(directory))

    def test_failure(self):
        scheduler, cache, ok, error, events = self.build(["broken.bst"], Job.WorkerPool.new())
        self.assertFalse(ok)
        self.assertIn("broken.bst", error.message)
        self.assertIn("exit status 7", error.message)
        self.assertEqual(scheduler.dup_failed(), ["broken.bst"])
        failures = [e for e in events if e[0] == "finish" and e[2] is not None]
        self.assertEqual([e[1] for e in failures], ["broken.bst"])
        log = scheduler.get_log_path("broken.bst")
        self.assertTrue(log.startswith(self.cache_dir))
        with open(log) as f:
            self.assertIn("about to fail\n", f.read())
        self.assertFalse(cache.contains(scheduler.get_cache_key("broken.bst")))


if __name__ == "__main__":
    unittest.main()
