/* job-python-host.c: runs Python plugins in a libjob process
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loaded by job-python.c with GModule, only when a Python plugin is
 * needed. It does not link libpython: the process already has Python (a
 * PyGObject frontend, whose interpreter is reused) or libjob loaded it with
 * global symbols first, as Python's own extension modules (gi._gi among
 * them) expect. The Python half is job_python_host.py, compiled in as a
 * GResource.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <gio/gio.h>
#include <gmodule.h>

#include "job-python-host-resources.h"

G_MODULE_EXPORT gboolean job_python_host_init (const char *typelib_dir,
                                               char **error_message);
G_MODULE_EXPORT gboolean job_python_host_load_file (const char *path,
                                                    const char *origin,
                                                    char **error_message);
G_MODULE_EXPORT gboolean job_python_host_restore_environ (char **error_message);

static PyObject *host_module; /* job_python_host.py, with the GIL */

/* With the GIL: the pending exception as text, cleared. */
static char *
take_exception (const char *what)
{
  PyObject *type, *value, *traceback;
  PyObject *text;
  char *message;

  PyErr_Fetch (&type, &value, &traceback);
  text = value != NULL ? PyObject_Str (value) : NULL;
  message = g_strdup_printf ("%s: %s", what,
                             text != NULL && PyUnicode_AsUTF8 (text) != NULL
                                 ? PyUnicode_AsUTF8 (text)
                                 : "unknown Python error");
  Py_XDECREF (text);
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (traceback);
  PyErr_Clear ();
  return message;
}

/* With the GIL: a host function's result, None or an error message. */
static gboolean
check_result (PyObject *result, const char *what, char **error_message)
{
  gboolean ok = FALSE;

  if (result == NULL)
    *error_message = take_exception (what);
  else if (result == Py_None)
    ok = TRUE;
  else if (PyUnicode_Check (result) && PyUnicode_AsUTF8 (result) != NULL)
    *error_message = g_strdup (PyUnicode_AsUTF8 (result));
  else
    *error_message = take_exception (what);
  Py_XDECREF (result);
  return ok;
}

/* With the GIL. */
static gboolean
ensure_host_module (char **error_message)
{
  g_autoptr (GBytes) source = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  PyObject *code;

  if (host_module != NULL)
    return TRUE;
  source = g_resource_lookup_data (job_python_host_get_resource (),
                                   "/org/libjob/python/job_python_host.py",
                                   G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (source == NULL)
    {
      *error_message = g_strdup (error->message);
      return FALSE;
    }
  text = g_strndup (g_bytes_get_data (source, NULL), g_bytes_get_size (source));
  code = Py_CompileString (text, "job_python_host.py", Py_file_input);
  if (code == NULL)
    {
      *error_message = take_exception ("job_python_host.py does not compile");
      return FALSE;
    }
  host_module = PyImport_ExecCodeModule ("_job_python_host", code);
  Py_DECREF (code);
  if (host_module == NULL)
    {
      *error_message = take_exception ("job_python_host.py does not run");
      return FALSE;
    }
  return TRUE;
}

/**
 * job_python_host_init:
 * @typelib_dir: where libjob's Job-1.0 typelib is, if not on the path
 * @error_message: (out): what went wrong
 *
 * Starts Python unless it runs already, and imports PyGObject and Job-1.0.
 * Callable from any thread, any number of times.
 *
 * Returns: %TRUE on success
 */
gboolean
job_python_host_init (const char *typelib_dir, char **error_message)
{
  PyGILState_STATE gil;
  gboolean ok;

  if (!Py_IsInitialized ())
    {
      /* Embedded: no Python signal handlers in a libjob process. */
      Py_InitializeEx (0);
      /* Leave the GIL: PyGObject takes it around every call into Python,
       * from whichever thread makes it. */
      PyEval_SaveThread ();
    }
  gil = PyGILState_Ensure ();
  ok = ensure_host_module (error_message)
       && check_result (
           PyObject_CallMethod (host_module, "init", "s", typelib_dir),
           "Python plugin host", error_message);
  PyGILState_Release (gil);
  return ok;
}

/**
 * job_python_host_load_file:
 * @path: the resolved path of a Python plugin file
 * @origin: the origin its types get
 * @error_message: (out): what went wrong, with the Python traceback
 *
 * Imports @path once; every GObject type it defines gets @origin.
 *
 * Returns: %TRUE on success
 */
gboolean
job_python_host_load_file (const char *path,
                           const char *origin,
                           char **error_message)
{
  PyGILState_STATE gil = PyGILState_Ensure ();
  gboolean ok = check_result (
      PyObject_CallMethod (host_module, "load_file", "ss", path, origin), path,
      error_message);

  PyGILState_Release (gil);
  return ok;
}

/**
 * job_python_host_restore_environ:
 * @error_message: (out): what went wrong
 *
 * Puts `os.environ` back as it was when the host started.
 *
 * Returns: %TRUE on success
 */
gboolean
job_python_host_restore_environ (char **error_message)
{
  PyGILState_STATE gil = PyGILState_Ensure ();
  gboolean ok =
      check_result (PyObject_CallMethod (host_module, "restore_environ", NULL),
                    "os.environ", error_message);

  PyGILState_Release (gil);
  return ok;
}
