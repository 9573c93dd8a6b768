# SPDX-License-Identifier: LGPL-2.1-or-later
"""A source kind in Python: stages one file with the configured text."""

import hashlib
import os

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

    def do_is_cached(self):
        return True

    def do_get_ref(self):
        return hashlib.sha256(self.text.encode()).hexdigest()

    def do_stage(self, directory, cancellable):
        with open(os.path.join(directory, self.filename), "w") as f:
            f.write(self.text + "\n")
        return True
