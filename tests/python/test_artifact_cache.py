"""JobArtifactCache through the GIR."""

import hashlib
import os
import sys
import tempfile
import unittest

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, Job  # noqa: E402


def key(seed):
    return hashlib.sha256(seed.encode()).hexdigest()


class ArtifactCacheTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = Job.ArtifactCache.new(self.tmp.name, None)

    def tearDown(self):
        self.tmp.cleanup()

    def test_commit_lookup_checkout(self):
        k = key("python")
        self.assertFalse(self.cache.contains(k))
        commit = self.cache.begin_commit(k)
        files = commit.get_files_path()
        with open(os.path.join(files, "hello"), "w") as f:
            f.write("hi")
        os.symlink("hello", os.path.join(files, "link"))
        commit.set_element_name("hello.bst")
        commit.set_public_data(GLib.Variant("a{sv}", {"n": GLib.Variant("i", 3)}))
        self.assertFalse(self.cache.contains(k))
        commit.commit()
        self.assertTrue(self.cache.contains(k))

        path = self.cache.lookup(k).get_path()
        self.assertEqual(open(os.path.join(path, "hello")).read(), "hi")
        meta = self.cache.get_metadata(k)
        self.assertEqual(meta.get_string("Artifact", "element"), "hello.bst")
        self.assertEqual(self.cache.get_public_data(k).unpack(), {"n": 3})

        dest = os.path.join(self.tmp.name, "out")
        self.cache.checkout(k, dest, None)
        self.assertEqual(os.readlink(os.path.join(dest, "link")), "hello")

    def test_errors(self):
        with self.assertRaises(GLib.Error) as cm:
            self.cache.lookup(key("missing"))
        self.assertTrue(cm.exception.matches(Job.cache_error_quark(), Job.CacheError.NOT_FOUND))
        with self.assertRaises(GLib.Error) as cm:
            self.cache.begin_commit("not-a-key")
        self.assertTrue(cm.exception.matches(Job.cache_error_quark(), Job.CacheError.INVALID_KEY))

    def test_log_path(self):
        path = self.cache.get_log_path("base/alpine.bst", key("log"))
        self.assertTrue(path.startswith(os.path.join(self.tmp.name, "logs", "base", "alpine")))

    def test_prune(self):
        keys = [key("prune-%d" % i) for i in range(3)]
        for i, k in enumerate(keys):
            commit = self.cache.begin_commit(k)
            with open(os.path.join(commit.get_files_path(), "data"), "wb") as f:
                f.write(b"x" * 8192)
            commit.commit()
            # Oldest first: keys[0] was used longest ago.
            directory = os.path.join(self.tmp.name, "artifacts", k[:2], k)
            os.utime(directory, (1000 + i, 1000 + i))
        ok, removed, size = self.cache.prune(GLib.MAXUINT64, None)
        self.assertEqual((ok, removed), (True, 0))
        ok, removed, after = self.cache.prune(size - 1, [keys[0]])
        self.assertEqual(removed, 1)
        self.assertTrue(self.cache.contains(keys[0]))
        self.assertFalse(self.cache.contains(keys[1]))
        self.assertTrue(self.cache.contains(keys[2]))
        self.assertLess(after, size)


if __name__ == "__main__":
    sys.exit(not unittest.main(exit=False).result.wasSuccessful())
