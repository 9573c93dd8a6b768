/* test-plugin.c: a plugin module of task types for the backend tests
 *
 * Its types are registered dynamically, as real plugins' are, so their
 * origin is this module's path and a worker loads it by that path.
 */

#define _GNU_SOURCE

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libjob/job.h>

/* TestOutput: what the test tasks return. */

#define TEST_TYPE_OUTPUT (test_output_get_type ())
G_DECLARE_FINAL_TYPE (TestOutput, test_output, TEST, OUTPUT, GObject)

struct _TestOutput
{
  GObject parent_instance;
  char *text;
  gint64 number;
  GBytes *bytes;
};

enum
{
  OUT_PROP_0,
  OUT_PROP_TEXT,
  OUT_PROP_NUMBER,
  OUT_PROP_BYTES,
  OUT_N_PROPS
};

static void
test_output_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (
    TestOutput,
    test_output,
    G_TYPE_OBJECT,
    G_TYPE_FLAG_FINAL,
    G_IMPLEMENT_INTERFACE_DYNAMIC (JOB_TYPE_SERIALIZABLE,
                                   test_output_serializable_init))

static void
test_output_finalize (GObject *object)
{
  TestOutput *self = TEST_OUTPUT (object);

  g_free (self->text);
  g_clear_pointer (&self->bytes, g_bytes_unref);
  G_OBJECT_CLASS (test_output_parent_class)->finalize (object);
}

static void
test_output_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  TestOutput *self = TEST_OUTPUT (object);

  switch (prop_id)
    {
    case OUT_PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case OUT_PROP_NUMBER:
      g_value_set_int64 (value, self->number);
      break;
    case OUT_PROP_BYTES:
      g_value_set_boxed (value, self->bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_output_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  TestOutput *self = TEST_OUTPUT (object);

  switch (prop_id)
    {
    case OUT_PROP_TEXT:
      g_free (self->text);
      self->text = g_value_dup_string (value);
      break;
    case OUT_PROP_NUMBER:
      self->number = g_value_get_int64 (value);
      break;
    case OUT_PROP_BYTES:
      g_clear_pointer (&self->bytes, g_bytes_unref);
      self->bytes = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_output_class_init (TestOutputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = test_output_finalize;
  object_class->get_property = test_output_get_property;
  object_class->set_property = test_output_set_property;
  g_object_class_install_property (
      object_class, OUT_PROP_TEXT,
      g_param_spec_string ("text", NULL, NULL, NULL, flags));
  g_object_class_install_property (object_class, OUT_PROP_NUMBER,
                                   g_param_spec_int64 ("number", NULL, NULL,
                                                       G_MININT64, G_MAXINT64,
                                                       0, flags));
  g_object_class_install_property (
      object_class, OUT_PROP_BYTES,
      g_param_spec_boxed ("bytes", NULL, NULL, G_TYPE_BYTES, flags));
}

static void
test_output_class_finalize (TestOutputClass *klass)
{
}
static void
test_output_init (TestOutput *self)
{
}

static GObject *
output_new (const char *text, gint64 number, GBytes *bytes)
{
  return g_object_new (TEST_TYPE_OUTPUT, "text", text, "number", number,
                       "bytes", bytes, NULL);
}

/* TestPluginTask: the base of the test tasks, with generic parameters. */

#define TEST_TYPE_PLUGIN_TASK (test_plugin_task_get_type ())
G_DECLARE_DERIVABLE_TYPE (
    TestPluginTask, test_plugin_task, TEST, PLUGIN_TASK, JobTask)

struct _TestPluginTaskClass
{
  JobTaskClass parent_class;
};

typedef struct
{
  char *text;
  char *text2;
  double number;
  GObject *object;
  GBytes *bytes;
} TestPluginTaskPrivate;

enum
{
  T_PROP_0,
  T_PROP_TEXT,
  T_PROP_TEXT2,
  T_PROP_NUMBER,
  T_PROP_OBJECT,
  T_PROP_BYTES
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (TestPluginTask,
                                test_plugin_task,
                                JOB_TYPE_TASK,
                                G_TYPE_FLAG_ABSTRACT,
                                G_ADD_PRIVATE_DYNAMIC (TestPluginTask))

#define PRIV(task)                                                             \
  ((TestPluginTaskPrivate *) test_plugin_task_get_instance_private (           \
      TEST_PLUGIN_TASK (task)))

static void
test_plugin_task_finalize (GObject *object)
{
  TestPluginTaskPrivate *priv = PRIV (object);

  g_free (priv->text);
  g_free (priv->text2);
  g_clear_object (&priv->object);
  g_clear_pointer (&priv->bytes, g_bytes_unref);
  G_OBJECT_CLASS (test_plugin_task_parent_class)->finalize (object);
}

static void
test_plugin_task_get_property (GObject *object,
                               guint prop_id,
                               GValue *value,
                               GParamSpec *pspec)
{
  TestPluginTaskPrivate *priv = PRIV (object);

  switch (prop_id)
    {
    case T_PROP_TEXT:
      g_value_set_string (value, priv->text);
      break;
    case T_PROP_TEXT2:
      g_value_set_string (value, priv->text2);
      break;
    case T_PROP_NUMBER:
      g_value_set_double (value, priv->number);
      break;
    case T_PROP_OBJECT:
      g_value_set_object (value, priv->object);
      break;
    case T_PROP_BYTES:
      g_value_set_boxed (value, priv->bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_plugin_task_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  TestPluginTaskPrivate *priv = PRIV (object);

  switch (prop_id)
    {
    case T_PROP_TEXT:
      g_free (priv->text);
      priv->text = g_value_dup_string (value);
      break;
    case T_PROP_TEXT2:
      g_free (priv->text2);
      priv->text2 = g_value_dup_string (value);
      break;
    case T_PROP_NUMBER:
      priv->number = g_value_get_double (value);
      break;
    case T_PROP_OBJECT:
      g_clear_object (&priv->object);
      priv->object = g_value_dup_object (value);
      break;
    case T_PROP_BYTES:
      g_clear_pointer (&priv->bytes, g_bytes_unref);
      priv->bytes = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
test_plugin_task_class_init (TestPluginTaskClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = test_plugin_task_finalize;
  object_class->get_property = test_plugin_task_get_property;
  object_class->set_property = test_plugin_task_set_property;
  g_object_class_install_property (
      object_class, T_PROP_TEXT,
      g_param_spec_string ("text", NULL, NULL, NULL, flags));
  g_object_class_install_property (
      object_class, T_PROP_TEXT2,
      g_param_spec_string ("text2", NULL, NULL, NULL, flags));
  g_object_class_install_property (object_class, T_PROP_NUMBER,
                                   g_param_spec_double ("number", NULL, NULL,
                                                        -G_MAXDOUBLE,
                                                        G_MAXDOUBLE, 0, flags));
  g_object_class_install_property (
      object_class, T_PROP_OBJECT,
      g_param_spec_object ("object", NULL, NULL, G_TYPE_OBJECT, flags));
  g_object_class_install_property (
      object_class, T_PROP_BYTES,
      g_param_spec_boxed ("bytes", NULL, NULL, G_TYPE_BYTES, flags));
}

static void
test_plugin_task_class_finalize (TestPluginTaskClass *klass)
{
}
static void
test_plugin_task_init (TestPluginTask *self)
{
}

/* One final subclass per behaviour, each with only a run(). */
#define DEFINE_TEST_TASK(TypeName, type_name)                                  \
  typedef struct                                                               \
  {                                                                            \
    TestPluginTask parent_instance;                                            \
  } TypeName;                                                                  \
  typedef struct                                                               \
  {                                                                            \
    TestPluginTaskClass parent_class;                                          \
  } TypeName##Class;                                                           \
  GType type_name##_get_type (void);                                           \
  static GObject *type_name##_run (JobTask *task, GCancellable *c,             \
                                   GError **error);                            \
  G_DEFINE_DYNAMIC_TYPE_EXTENDED (TypeName, type_name, TEST_TYPE_PLUGIN_TASK,  \
                                  G_TYPE_FLAG_FINAL, {})                       \
  static void type_name##_class_init (TypeName##Class *klass)                  \
  {                                                                            \
    JOB_TASK_CLASS (klass)->run = type_name##_run;                             \
  }                                                                            \
  static void type_name##_class_finalize (TypeName##Class *klass) {}           \
  static void type_name##_init (TypeName *self) {}

/* Echo: returns text, bytes and the pid it ran in. */
DEFINE_TEST_TASK (TestEchoTask, test_echo_task)
static GObject *
test_echo_task_run (JobTask *task, GCancellable *c, GError **error)
{
  return output_new (PRIV (task)->text, getpid (), PRIV (task)->bytes);
}

/* Nothing, and no property: the smallest possible task, for benchmarks. */
typedef struct
{
  JobTask parent_instance;
} TestNoopTask;
typedef struct
{
  JobTaskClass parent_class;
} TestNoopTaskClass;
GType test_noop_task_get_type (void);
G_DEFINE_DYNAMIC_TYPE_EXTENDED (
    TestNoopTask, test_noop_task, JOB_TYPE_TASK, G_TYPE_FLAG_FINAL, {})
static GObject *
test_noop_task_run (JobTask *task, GCancellable *c, GError **error)
{
  return NULL;
}
static void
test_noop_task_class_init (TestNoopTaskClass *klass)
{
  JOB_TASK_CLASS (klass)->run = test_noop_task_run;
}
static void
test_noop_task_class_finalize (TestNoopTaskClass *klass)
{
}
static void
test_noop_task_init (TestNoopTask *self)
{
}

/* Sleep for number seconds, cancellably inline. */
DEFINE_TEST_TASK (TestSleepTask, test_sleep_task)
static GObject *
test_sleep_task_run (JobTask *task, GCancellable *c, GError **error)
{
  gint64 end = g_get_monotonic_time () + PRIV (task)->number * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      if (g_cancellable_set_error_if_cancelled (c, error))
        return NULL;
      g_usleep (1000);
    }
  return output_new ("slept", getpid (), NULL);
}

/* Crash: text is segv, abort, exit or kill; prints text2 to stderr first. */
DEFINE_TEST_TASK (TestCrashTask, test_crash_task)
static GObject *
test_crash_task_run (JobTask *task, GCancellable *c, GError **error)
{
  const char *how = PRIV (task)->text;

  if (PRIV (task)->text2 != NULL)
    {
      fprintf (stderr, "%s\n", PRIV (task)->text2);
      fflush (stderr);
    }
  if (g_strcmp0 (how, "segv") == 0)
    raise (SIGSEGV);
  else if (g_strcmp0 (how, "abort") == 0)
    abort ();
  else if (g_strcmp0 (how, "exit") == 0)
    exit (3);
  else if (g_strcmp0 (how, "kill") == 0)
    raise (SIGKILL);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "unknown crash “%s”", how);
  return NULL;
}

/* Print text to standard output, then return it. */
DEFINE_TEST_TASK (TestPrintTask, test_print_task)
static GObject *
test_print_task_run (JobTask *task, GCancellable *c, GError **error)
{
  printf ("%s\n", PRIV (task)->text);
  fflush (stdout);
  return output_new (PRIV (task)->text, getpid (), NULL);
}

/* chdir to text2 and setenv text=TAINTED (to check isolation). */
DEFINE_TEST_TASK (TestMutateTask, test_mutate_task)
static GObject *
test_mutate_task_run (JobTask *task, GCancellable *c, GError **error)
{
  if (chdir (PRIV (task)->text2) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "chdir failed");
      return NULL;
    }
  g_setenv (PRIV (task)->text, "TAINTED", TRUE);
  umask (0777);
  return output_new ("mutated", getpid (), NULL);
}

/* Read the variable named text; output text = its value, bytes = cwd. */
DEFINE_TEST_TASK (TestGetenvTask, test_getenv_task)
static GObject *
test_getenv_task_run (JobTask *task, GCancellable *c, GError **error)
{
  g_autofree char *cwd = g_get_current_dir ();
  mode_t mask = umask (0);

  umask (mask);
  return output_new (g_getenv (PRIV (task)->text), mask,
                     g_bytes_new (cwd, strlen (cwd)));
}

/* Output text: the worker's open descriptors, one "FD TARGET" line each. */
DEFINE_TEST_TASK (TestFdsTask, test_fds_task)
static GObject *
test_fds_task_run (JobTask *task, GCancellable *c, GError **error)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, error);
  g_autoptr (GString) text = g_string_new (NULL);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/fd", name, NULL);
      g_autofree char *target = g_file_read_link (path, NULL);

      g_string_append_printf (text, "%s %s\n", name, target ? target : "?");
    }
  return output_new (text->str, getpid (), NULL);
}

/* Return number bytes (a pattern); with text "cached", reuse one buffer. */
DEFINE_TEST_TASK (TestBigTask, test_big_task)
static GObject *
test_big_task_run (JobTask *task, GCancellable *c, GError **error)
{
  static GBytes *cached;
  gsize size = PRIV (task)->number;
  guint8 *data;

  if (g_strcmp0 (PRIV (task)->text, "cached") == 0 && cached != NULL
      && g_bytes_get_size (cached) == size)
    return output_new ("big", getpid (), cached);
  data = g_malloc (size);
  for (gsize i = 0; i < size; i += 4096)
    data[i] = (guint8) (i / 4096);
  if (size > 0)
    data[size - 1] = 0xAB;
  if (g_strcmp0 (PRIV (task)->text, "cached") == 0)
    {
      g_clear_pointer (&cached, g_bytes_unref);
      cached = g_bytes_new_take (data, size);
      return output_new ("big", getpid (), cached);
    }
  {
    g_autoptr (GBytes) bytes = g_bytes_new_take (data, size);
    return output_new ("big", getpid (), bytes);
  }
}

/* Change the received object (a TestOutput), return it. */
DEFINE_TEST_TASK (TestMutateObjectTask, test_mutate_object_task)
static GObject *
test_mutate_object_task_run (JobTask *task, GCancellable *c, GError **error)
{
  GObject *object = PRIV (task)->object;

  g_object_set (object, "text", "changed by the task", NULL);
  return g_object_ref (object);
}

/* Fail with a task error. */
DEFINE_TEST_TASK (TestFailTask, test_fail_task)
static GObject *
test_fail_task_run (JobTask *task, GCancellable *c, GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s",
               PRIV (task)->text);
  return NULL;
}

G_MODULE_EXPORT void job_module_load (GTypeModule *module);

G_MODULE_EXPORT void
job_module_load (GTypeModule *module)
{
  test_output_register_type (module);
  test_plugin_task_register_type (module);
  test_echo_task_register_type (module);
  test_noop_task_register_type (module);
  test_sleep_task_register_type (module);
  test_crash_task_register_type (module);
  test_print_task_register_type (module);
  test_mutate_task_register_type (module);
  test_getenv_task_register_type (module);
  test_big_task_register_type (module);
  test_fds_task_register_type (module);
  test_mutate_object_task_register_type (module);
  test_fail_task_register_type (module);
}
