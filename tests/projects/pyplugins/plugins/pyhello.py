# SPDX-License-Identifier: LGPL-2.1-or-later
"""An element kind in Python: writes share/py.txt from its dependency's
share/greeting.txt and its staged source."""

import os

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, GObject, Job  # noqa: E402


class PyHello(Job.Element):
    __gtype_name__ = "PyHelloElement"

    suffix = GObject.Property(type=str, default="")
    # Belongs to the process that loaded the project: declared clear below,
    # so the worker's copy has the default.
    parent_note = GObject.Property(type=str, default="unset")

    def do_configure(self, config):
        config.validate_keys(["suffix"])
        self.suffix = self.subst(config.get_string("suffix", ""))
        self.parent_note = "set in pid %d" % os.getpid()
        return True

    def do_get_unique_key(self):
        return GLib.Variant("s", self.suffix)

    def do_assemble(self, context, cancellable):
        with open(os.path.join(context.get_root(), "share", "greeting.txt")) as f:
            greeting = f.read().strip()
        with open(os.path.join(context.get_build_directory(), "note.txt")) as f:
            note = f.read().strip()
        share = os.path.join(context.get_install_directory(), "share")
        os.makedirs(share, exist_ok=True)
        with open(os.path.join(share, "py.txt"), "w") as f:
            f.write("%s %s\n%s\npid=%d\nparent-note=%s\n"
                    % (greeting, self.suffix, note, os.getpid(), self.parent_note))
        context.log("PyHello wrote share/py.txt\n")
        return context.get_install_directory()


Job.serializable_declare_clear(PyHello, "parent-note")
