"""JobSandbox through the GIR, on a busybox sysroot."""

import os
import shutil
import sys
import tempfile
import unittest

import gi

gi.require_version("Job", "1.0")
from gi.repository import Gio, GLib, Job  # noqa: E402

BUSYBOX = "/bin/busybox"


@unittest.skipUnless(os.access(BUSYBOX, os.X_OK), "needs busybox-static")
class SandboxTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        os.makedirs(os.path.join(self.root, "bin"))
        shutil.copy(BUSYBOX, os.path.join(self.root, "bin", "busybox"))
        for applet in ("sh", "echo", "env"):
            os.symlink("busybox", os.path.join(self.root, "bin", applet))
        self.install = os.path.join(self.tmp.name, "install")
        os.makedirs(self.install)

    def tearDown(self):
        self.tmp.cleanup()

    def run_in(self, sandbox, argv):
        log = Gio.MemoryOutputStream.new_resizable()
        ok, status = sandbox.run(argv, log, None)
        self.assertTrue(ok)
        log.close(None)
        return status, bytes(log.steal_as_bytes().get_data()).decode()

    def test_host_mode(self):
        sandbox = Job.Sandbox.new(self.root)
        sandbox.props.mode = Job.SandboxMode.HOST
        sandbox.set_env(["PATH=/bin", "GREETING=hello"])
        sandbox.add_mount("/buildstream-install", self.install)
        dest = sandbox.get_command_path("/buildstream-install")
        status, out = self.run_in(sandbox, ["sh", "-c", 'echo $GREETING > "%s/out"; echo done; exit 4' % dest])
        self.assertEqual(status, 4)
        self.assertEqual(out, "sandbox: host\ndone\n")
        self.assertEqual(sandbox.props.effective_mode, Job.SandboxMode.HOST)
        self.assertEqual(open(os.path.join(self.install, "out")).read(), "hello\n")

    def test_auto_mode_says_what_ran(self):
        sandbox = Job.Sandbox.new(self.root)
        sandbox.set_env(["PATH=/bin"])
        status, out = self.run_in(sandbox, ["echo", "hi"])
        self.assertEqual(status, 0)
        mode = sandbox.props.effective_mode
        self.assertIn(mode, (Job.SandboxMode.BWRAP, Job.SandboxMode.HOST))
        name = "bwrap" if mode == Job.SandboxMode.BWRAP else "host"
        self.assertEqual(out, "sandbox: %s\nhi\n" % name)

    def test_pickle_round_trip(self):
        sandbox = Job.Sandbox.new(self.root)
        sandbox.set_env(["PATH=/bin"])
        sandbox.add_mount("/buildstream-install", self.install)
        copy = Job.pickle_loads(Job.pickle_dumps(sandbox))
        self.assertEqual(copy.props.root, self.root)
        self.assertEqual(list(copy.props.env), ["PATH=/bin"])
        self.assertEqual(copy.get_mounts().unpack(), [("/buildstream-install", self.install)])

    def test_bad_config(self):
        sandbox = Job.Sandbox.new(self.root)
        sandbox.set_env(["NOEQUALS"])
        with self.assertRaises(GLib.Error) as cm:
            sandbox.run(["true"], None, None)
        self.assertTrue(cm.exception.matches(Job.sandbox_error_quark(), Job.SandboxError.INVALID))


if __name__ == "__main__":
    sys.exit(not unittest.main(exit=False).result.wasSuccessful())
