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
    # Pickled by the custom codec declared below: "a,b" travels as ["a", "b"].
    words = GObject.Property(type=str, default="")

    def do_configure(self, config):
        config.validate_keys(["suffix"])
        self.suffix = self.subst(config.get_string("suffix", ""))
        self.parent_note = "set in pid %d" % os.getpid()
        self.words = "x,y,z"
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
            f.write("%s %s\n%s\npid=%d\nparent-note=%s\nwords=%s\n"
                    % (greeting, self.suffix, note, os.getpid(), self.parent_note,
                       self.words))
        context.log("PyHello wrote share/py.txt\n")
        return context.get_install_directory()


def serialize_words(element, pspec):
    return GLib.Variant("as", element.words.split(","))


def deserialize_words(element, pspec, value):
    if value.get_type_string() != "as":
        return False
    element.words = "+".join(value.unpack()) + " (custom codec)"
    return True


Job.serializable_declare_clear(PyHello, "parent-note")
Job.serializable_declare_custom(PyHello, "words", serialize_words, deserialize_words)
