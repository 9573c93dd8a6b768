# SPDX-License-Identifier: LGPL-2.1-or-later
"""A source kind in Python: stages one file with the configured text,
"fetched" first (by a fetch job, in a worker) into the source cache."""

import hashlib
import os
import shutil

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, GObject, Job  # noqa: E402


class PyText(Job.Source):
    __gtype_name__ = "PyTextSource"

    filename = GObject.Property(type=str, default="")
    text = GObject.Property(type=str, default="")

    def do_configure(self, config):
        config.validate_keys(["filename", "text"])
        self.filename = config.get_string("filename", None)
        self.text = self.subst(config.get_string("text", ""))
        return True

    def do_get_unique_key(self):
        return GLib.Variant("(ss)", (self.filename, self.text))

    def fetched_path(self):
        return os.path.join(self.get_cache_directory(), self.do_get_ref())

    def do_is_cached(self):
        return os.path.exists(self.fetched_path())

    def do_fetch(self, cancellable):
        path = self.fetched_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            f.write("%s\nfetched by pid %d\n" % (self.text, os.getpid()))
        os.rename(path + ".tmp", path)
        return True

    def do_get_ref(self):
        return hashlib.sha256(self.text.encode()).hexdigest()

    def do_stage(self, directory, cancellable):
        shutil.copyfile(self.fetched_path(), os.path.join(directory, self.filename))
        return True
