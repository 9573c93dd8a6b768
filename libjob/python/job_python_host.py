# job_python_host.py: the Python half of libjob's Python plugin host
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Compiled into job-python-host.so and run once per process by
# job_python_host_init(). Its functions never raise: they return None on
# success and an error message otherwise.

import functools
import importlib.util
import os
import sys
import traceback
import zlib

GLib = GObject = Job = None
_loaded = {}  # resolved path -> module
_environ = None  # os.environ when the host started


def describe(exc, skip_frames=0):
    """The exception's type and message, then its traceback."""
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None:
            tb = tb.tb_next
    # The import machinery's frames say nothing to a plugin author.
    frames = [frame for frame in traceback.extract_tb(tb)
              if not frame.filename.startswith("<frozen importlib")]
    text = ("Traceback (most recent call last):\n"
            + "".join(traceback.format_list(frames))
            + "".join(traceback.format_exception_only(type(exc), exc)))
    return "%s: %s\n%s" % (type(exc).__name__, exc, text.rstrip())


def _wrap_vfunc(func):
    """Turns an exception raised by a Python implementation of a virtual
    method into a GLib.Error that PyGObject hands to C as the GError (it
    would otherwise print it and return a default value)."""

    @functools.wraps(func)
    def vfunc(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GLib.Error:
            raise
        except Exception as exc:
            raise GLib.Error(describe(exc, skip_frames=1),
                             "job-plugin-error-quark",
                             int(Job.PluginError.FAILED)) from exc

    return vfunc


def _registered_type(name):
    try:
        return GObject.type_from_name(name)
    except RuntimeError:  # PyGObject's answer for an unknown name
        return None


def _install_wrapping(base):
    parent_hook = base.__dict__.get("__init_subclass__")

    def init_subclass(cls, **kwargs):
        # Runs before PyGObject registers the new class and hooks up its
        # do_* methods. GType names are global to the process: say which
        # plugin has the name rather than let PyGObject fail with a warning.
        name = cls.__dict__.get("__gtype_name__")
        taken = _registered_type(name) if name is not None else None
        if taken is not None:
            raise TypeError(
                "the GType name %s is taken by a type from %s; every Python plugin "
                "class needs a GType name of its own in the process"
                % (name, Job.type_get_origin(taken)))
        for name, value in list(cls.__dict__.items()):
            if name.startswith("do_") and callable(value):
                setattr(cls, name, _wrap_vfunc(value))
        if parent_hook is not None:
            parent_hook.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)

    base.__init_subclass__ = classmethod(init_subclass)


def init(typelib_dir):
    global GLib, GObject, Job
    if Job is not None:
        return None
    try:
        import gi
        try:
            gi.require_version("Job", "1.0")
        except ValueError:
            # Not on the typelib path (libjob runs uninstalled, or in a
            # worker whose environment holds no GI_TYPELIB_PATH).
            gi.require_version("GIRepository", "2.0")
            from gi.repository import GIRepository
            GIRepository.Repository.prepend_search_path(typelib_dir)
            gi.require_version("Job", "1.0")
        from gi.repository import GLib as glib, GObject as gobject, Job as job
    except Exception as exc:
        return "PyGObject cannot load libjob's Job-1.0 typelib from %s: %s" % (
            typelib_dir, describe(exc))
    GLib, GObject, Job = glib, gobject, job
    global _environ
    _environ = dict(os.environ)
    _install_wrapping(Job.Plugin)
    _install_wrapping(Job.Task)
    return None


def _module_name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    # Tells apart files of the same name (hashlib would import OpenSSL).
    digest = "%08x" % zlib.crc32(path.encode())
    return "job_plugin_%s_%s" % ("".join(c if c.isalnum() else "_" for c in stem), digest)


def load_file(path, origin):
    if path in _loaded:
        return None
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None:
        return "%s is not a Python file" % path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # Never write __pycache__ into a project's plugin directory.
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        return "%s cannot be loaded: %s" % (path, describe(exc, skip_frames=1))
    finally:
        sys.dont_write_bytecode = dont_write

    types = [value for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, GObject.Object)
             and value.__module__ == name]
    for cls in types:
        if "__gtype_name__" not in cls.__dict__:
            del sys.modules[name]
            return ("%s: class %s has no __gtype_name__; a plugin's types travel "
                    "in pickles by name, so give it an explicit one, e.g. "
                    "__gtype_name__ = \"My%s\"" % (path, cls.__name__, cls.__name__))
    for cls in types:
        Job.type_set_origin(cls, origin)
    _loaded[path] = module
    return None


def restore_environ():
    """Puts os.environ back as it was when the host started: a worker
    calls this after each task. (os.environ is a cache of the C
    environment, which the worker restores by itself; a task that changed
    os.environ would otherwise leave its changes to the next.)"""
    try:
        for name in [name for name in os.environ if name not in _environ]:
            del os.environ[name]
        for name, value in _environ.items():
            if os.environ.get(name) != value:
                os.environ[name] = value
    except Exception as exc:
        return "cannot restore os.environ: %s" % describe(exc)
    return None
