# SPDX-License-Identifier: LGPL-2.1-or-later
"""An element kind whose Python code raises while it builds."""

import gi

gi.require_version("Job", "1.0")
from gi.repository import GLib, Job  # noqa: E402


def explode(n):
    return 1 // n


class PyBoom(Job.Element):
    __gtype_name__ = "PyBoomElement"

    def do_get_unique_key(self):
        return GLib.Variant("s", "boom")

    def do_assemble(self, context, cancellable):
        return explode(0)
