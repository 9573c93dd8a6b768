#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the frontend examples, data/examples/frontend.py (PyGObject) and
frontend.js (gjs), on the pyplugins test project."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from test_python_plugins import BUSYBOX, BUILD_DIR, SOURCE_DIR, make_project  # noqa: E402

EXAMPLES = os.path.join(SOURCE_DIR, "data", "examples")
GJS = shutil.which("gjs", path="/usr/bin:/bin")


@unittest.skipUnless(os.access(BUSYBOX, os.X_OK), "needs Debian's busybox-static")
class FrontendTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.project_dir = make_project(self.tmp.name)
        self.env = dict(os.environ)
        self.env["JOB_CACHE_DIR"] = os.path.join(self.tmp.name, "cache")
        self.env.setdefault("JOB_WORKER_PATH",
                            os.path.join(BUILD_DIR, "libjob", "worker", "job-worker"))

    def tearDown(self):
        subprocess.run(["chmod", "-R", "u+w", self.tmp.name], check=False)
        self.tmp.cleanup()

    def run_frontend(self, command, *targets):
        return subprocess.run(command + [self.project_dir] + list(targets), env=self.env,
                              capture_output=True, text=True, timeout=120)

    def check_frontend(self, command):
        run = self.run_frontend(command, "hello.bst", "other.bst")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        lines = run.stdout.splitlines()
        for name in ["base.bst", "greeting.bst", "hello.bst", "other.bst"]:
            self.assertIn("build    " + name, lines)
            self.assertIn("build done " + name, lines)
        self.assertLess(lines.index("build done greeting.bst"), lines.index("build    hello.bst"))
        # The Python source is fetched first, by a fetch job.
        self.assertLess(lines.index("fetch    hello.bst"), lines.index("fetch done hello.bst"))
        self.assertLess(lines.index("fetch done hello.bst"), lines.index("build    hello.bst"))
        self.assertEqual(lines[-1], "all built")

        # The Python element that raises: a failure summary with its traceback.
        run = self.run_frontend(command, "boom.bst")
        self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
        self.assertIn("build FAILED boom.bst", run.stdout)
        summary = run.stdout[run.stdout.index("Failed: boom.bst"):]
        self.assertIn("ZeroDivisionError: integer division or modulo by zero", summary)
        self.assertIn("in explode", summary)
        self.assertIn("Log: " + self.env["JOB_CACHE_DIR"], summary)
        self.assertEqual(run.stdout.splitlines()[-1], "1 failed")

    def test_python_frontend(self):
        self.check_frontend([sys.executable, os.path.join(EXAMPLES, "frontend.py")])

    @unittest.skipUnless(GJS, "needs gjs")
    def test_gjs_frontend(self):
        self.check_frontend([GJS, "-m", os.path.join(EXAMPLES, "frontend.js")])

    def test_usage(self):
        run = subprocess.run([sys.executable, os.path.join(EXAMPLES, "frontend.py")],
                             env=self.env, capture_output=True, text=True)
        self.assertEqual(run.returncode, 1)
        self.assertIn("usage:", run.stderr)


if __name__ == "__main__":
    unittest.main()
