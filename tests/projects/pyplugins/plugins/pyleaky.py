# SPDX-License-Identifier: LGPL-2.1-or-later
"""An element kind that keeps an object a worker cannot receive."""

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, GObject, Job  # noqa: E402


class Handle(GObject.Object):
    __gtype_name__ = "PyLeakyHandle"


class PyLeaky(Job.Element):
    __gtype_name__ = "PyLeakyElement"

    handle = GObject.Property(type=GObject.Object)

    def do_configure(self, config):
        self.handle = Handle()
        return True

    def do_get_unique_key(self):
        return GLib.Variant("s", "leaky")
