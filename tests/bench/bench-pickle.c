/* bench-pickle.c: how fast libjob pickles, on three payloads
 *
 * Prints one `name: value unit` line per figure. The same payload shapes are
 * measured for CPython's pickle by bench-pickle.py:
 *
 *  a. a job description: one object with 20 string properties;
 *  b. a graph of 10,000 nodes (index, name, kind, up to 3 references to
 *     earlier nodes i-1, i/2, i-17, a parent i/10, weight, tag) plus 4 short
 *     cycles and one self-reference, held in order by a root object. Measured
 *     twice: "b_graph" keeps the references in a GListStore property (the
 *     faithful counterpart of a Python list; each list is one more object in
 *     the pickle), "b_graph_props" in three object properties;
 *     For both, NAME_baseline_build_free is the floor under loads: the same
 *     objects made and freed directly, without pickling;
 *  c. a 64 MiB GBytes, flat (copied into the flat buffer) and as frames
 *     (in process: not copied at all).
 *
 * Times are medians of repeated runs (for (a) each run times a batch): wall
 * clock, and the thread's CPU time as NAME_cpu, which other processes on a
 * shared machine disturb less.
 * Usage: bench-pickle [RUNS [PAYLOAD-PREFIX]], e.g. `bench-pickle 21 b_graph`.
 * Not a test: nothing here is timed by `meson test`. */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libjob/job.h>

/* BenchJob: payload (a). */

#define BENCH_TYPE_JOB (bench_job_get_type ())
G_DECLARE_FINAL_TYPE (BenchJob, bench_job, BENCH, JOB, GObject)

#define JOB_N_STRINGS 20

struct _BenchJob
{
  GObject parent_instance;
  char *strings[JOB_N_STRINGS];
};

static const char *job_property_names[JOB_N_STRINGS] = {
  "name",
  "kind",
  "project",
  "element",
  "cache-key",
  "weak-key",
  "strict-key",
  "build-dir",
  "install-root",
  "source-dir",
  "sandbox",
  "arch",
  "os",
  "prefix",
  "command-configure",
  "command-build",
  "command-install",
  "log-file",
  "artifact-ref",
  "description",
};

static void
bench_job_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    BenchJob,
    bench_job,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE, bench_job_serializable_init))

static void
bench_job_finalize (GObject *object)
{
  BenchJob *self = BENCH_JOB (object);

  for (guint i = 0; i < JOB_N_STRINGS; i++)
    g_free (self->strings[i]);
  G_OBJECT_CLASS (bench_job_parent_class)->finalize (object);
}

static void
bench_job_get_property (GObject *object,
                        guint prop_id,
                        GValue *value,
                        GParamSpec *pspec)
{
  if (prop_id >= 1 && prop_id <= JOB_N_STRINGS)
    g_value_set_string (value, BENCH_JOB (object)->strings[prop_id - 1]);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bench_job_set_property (GObject *object,
                        guint prop_id,
                        const GValue *value,
                        GParamSpec *pspec)
{
  BenchJob *self = BENCH_JOB (object);

  if (prop_id >= 1 && prop_id <= JOB_N_STRINGS)
    {
      g_free (self->strings[prop_id - 1]);
      self->strings[prop_id - 1] = g_value_dup_string (value);
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bench_job_class_init (BenchJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bench_job_finalize;
  object_class->get_property = bench_job_get_property;
  object_class->set_property = bench_job_set_property;
  for (guint i = 0; i < JOB_N_STRINGS; i++)
    g_object_class_install_property (
        object_class, i + 1,
        g_param_spec_string (job_property_names[i], NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
bench_job_init (BenchJob *self)
{
}

static GObject *
make_job (void)
{
  GObject *job = g_object_new (BENCH_TYPE_JOB, NULL);

  for (guint i = 0; i < JOB_N_STRINGS; i++)
    {
      g_autofree char *value = g_strdup_printf ("%s-value-%02u-abcdefghij",
                                                job_property_names[i], i);
      g_object_set (job, job_property_names[i], value, NULL);
    }
  return job;
}

/* BenchNode: payload (b). One struct, two types: references in a list, or in
 * three properties. */

typedef struct
{
  GObject parent_instance;
  int index;
  char *name;
  char *kind;
  GListModel *refs;
  GObject *ref[3];
  GObject *parent;
  int weight;
  char *tag;
} BenchNode;

typedef struct
{
  GObjectClass parent_class;
} BenchNodeClass;

typedef BenchNode BenchListNode;
typedef BenchNodeClass BenchListNodeClass;
typedef BenchNode BenchPropsNode;
typedef BenchNodeClass BenchPropsNodeClass;

enum
{
  NODE_PROP_0,
  NODE_PROP_INDEX,
  NODE_PROP_NAME,
  NODE_PROP_KIND,
  NODE_PROP_REFS,
  NODE_PROP_REF0,
  NODE_PROP_REF1,
  NODE_PROP_REF2,
  NODE_PROP_PARENT,
  NODE_PROP_WEIGHT,
  NODE_PROP_TAG,
};

static GType bench_list_node_get_type (void);
static GType bench_props_node_get_type (void);

static void
bench_node_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_TYPE_WITH_CODE (BenchListNode,
                         bench_list_node,
                         G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                                                bench_node_serializable_init))
G_DEFINE_TYPE_WITH_CODE (BenchPropsNode,
                         bench_props_node,
                         G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                                                bench_node_serializable_init))

static void
bench_node_dispose (GObject *object)
{
  BenchNode *self = (BenchNode *) object;

  g_clear_object (&self->refs);
  for (guint i = 0; i < 3; i++)
    g_clear_object (&self->ref[i]);
  g_clear_object (&self->parent);
}

static void
bench_node_finalize (GObject *object)
{
  BenchNode *self = (BenchNode *) object;

  g_free (self->name);
  g_free (self->kind);
  g_free (self->tag);
}

static void
bench_list_node_dispose (GObject *object)
{
  bench_node_dispose (object);
  G_OBJECT_CLASS (bench_list_node_parent_class)->dispose (object);
}

static void
bench_list_node_finalize (GObject *object)
{
  bench_node_finalize (object);
  G_OBJECT_CLASS (bench_list_node_parent_class)->finalize (object);
}

static void
bench_props_node_dispose (GObject *object)
{
  bench_node_dispose (object);
  G_OBJECT_CLASS (bench_props_node_parent_class)->dispose (object);
}

static void
bench_props_node_finalize (GObject *object)
{
  bench_node_finalize (object);
  G_OBJECT_CLASS (bench_props_node_parent_class)->finalize (object);
}

static void
bench_node_get_property (GObject *object,
                         guint prop_id,
                         GValue *value,
                         GParamSpec *pspec)
{
  BenchNode *self = (BenchNode *) object;

  switch (prop_id)
    {
    case NODE_PROP_INDEX:
      g_value_set_int (value, self->index);
      break;
    case NODE_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case NODE_PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case NODE_PROP_REFS:
      g_value_set_object (value, self->refs);
      break;
    case NODE_PROP_REF0:
      g_value_set_object (value, self->ref[0]);
      break;
    case NODE_PROP_REF1:
      g_value_set_object (value, self->ref[1]);
      break;
    case NODE_PROP_REF2:
      g_value_set_object (value, self->ref[2]);
      break;
    case NODE_PROP_PARENT:
      g_value_set_object (value, self->parent);
      break;
    case NODE_PROP_WEIGHT:
      g_value_set_int (value, self->weight);
      break;
    case NODE_PROP_TAG:
      g_value_set_string (value, self->tag);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bench_node_set_property (GObject *object,
                         guint prop_id,
                         const GValue *value,
                         GParamSpec *pspec)
{
  BenchNode *self = (BenchNode *) object;

  switch (prop_id)
    {
    case NODE_PROP_INDEX:
      self->index = g_value_get_int (value);
      break;
    case NODE_PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      break;
    case NODE_PROP_KIND:
      g_free (self->kind);
      self->kind = g_value_dup_string (value);
      break;
    case NODE_PROP_REFS:
      g_set_object (&self->refs, g_value_get_object (value));
      break;
    case NODE_PROP_REF0:
      g_set_object (&self->ref[0], g_value_get_object (value));
      break;
    case NODE_PROP_REF1:
      g_set_object (&self->ref[1], g_value_get_object (value));
      break;
    case NODE_PROP_REF2:
      g_set_object (&self->ref[2], g_value_get_object (value));
      break;
    case NODE_PROP_PARENT:
      g_set_object (&self->parent, g_value_get_object (value));
      break;
    case NODE_PROP_WEIGHT:
      self->weight = g_value_get_int (value);
      break;
    case NODE_PROP_TAG:
      g_free (self->tag);
      self->tag = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bench_node_install (GObjectClass *object_class, gboolean list)
{
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = bench_node_get_property;
  object_class->set_property = bench_node_set_property;
  g_object_class_install_property (
      object_class, NODE_PROP_INDEX,
      g_param_spec_int ("index", NULL, NULL, 0, G_MAXINT, 0, rw));
  g_object_class_install_property (
      object_class, NODE_PROP_NAME,
      g_param_spec_string ("name", NULL, NULL, NULL, rw));
  g_object_class_install_property (
      object_class, NODE_PROP_KIND,
      g_param_spec_string ("kind", NULL, NULL, NULL, rw));
  if (list)
    g_object_class_install_property (
        object_class, NODE_PROP_REFS,
        g_param_spec_object ("refs", NULL, NULL, G_TYPE_LIST_MODEL, rw));
  else
    {
      g_object_class_install_property (
          object_class, NODE_PROP_REF0,
          g_param_spec_object ("ref0", NULL, NULL, G_TYPE_OBJECT, rw));
      g_object_class_install_property (
          object_class, NODE_PROP_REF1,
          g_param_spec_object ("ref1", NULL, NULL, G_TYPE_OBJECT, rw));
      g_object_class_install_property (
          object_class, NODE_PROP_REF2,
          g_param_spec_object ("ref2", NULL, NULL, G_TYPE_OBJECT, rw));
    }
  g_object_class_install_property (
      object_class, NODE_PROP_PARENT,
      g_param_spec_object ("parent", NULL, NULL, G_TYPE_OBJECT, rw));
  g_object_class_install_property (
      object_class, NODE_PROP_WEIGHT,
      g_param_spec_int ("weight", NULL, NULL, G_MININT, G_MAXINT, 0, rw));
  g_object_class_install_property (
      object_class, NODE_PROP_TAG,
      g_param_spec_string ("tag", NULL, NULL, NULL, rw));
}

static void
bench_list_node_class_init (BenchListNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bench_list_node_dispose;
  G_OBJECT_CLASS (klass)->finalize = bench_list_node_finalize;
  bench_node_install (G_OBJECT_CLASS (klass), TRUE);
}

static void
bench_props_node_class_init (BenchPropsNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bench_props_node_dispose;
  G_OBJECT_CLASS (klass)->finalize = bench_props_node_finalize;
  bench_node_install (G_OBJECT_CLASS (klass), FALSE);
}

static void
bench_list_node_init (BenchListNode *self)
{
}

static void
bench_props_node_init (BenchPropsNode *self)
{
}

/* BenchGraph: the root, holding the nodes in order. */

#define BENCH_TYPE_GRAPH (bench_graph_get_type ())
G_DECLARE_FINAL_TYPE (BenchGraph, bench_graph, BENCH, GRAPH, GObject)

struct _BenchGraph
{
  GObject parent_instance;
  GListModel *nodes;
};

static void
bench_graph_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    BenchGraph,
    bench_graph,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE,
                           bench_graph_serializable_init))

static void
bench_graph_dispose (GObject *object)
{
  g_clear_object (&BENCH_GRAPH (object)->nodes);
  G_OBJECT_CLASS (bench_graph_parent_class)->dispose (object);
}

static void
bench_graph_get_property (GObject *object,
                          guint prop_id,
                          GValue *value,
                          GParamSpec *pspec)
{
  if (prop_id == 1)
    g_value_set_object (value, BENCH_GRAPH (object)->nodes);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bench_graph_set_property (GObject *object,
                          guint prop_id,
                          const GValue *value,
                          GParamSpec *pspec)
{
  if (prop_id == 1)
    g_set_object (&BENCH_GRAPH (object)->nodes, g_value_get_object (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bench_graph_class_init (BenchGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bench_graph_dispose;
  object_class->get_property = bench_graph_get_property;
  object_class->set_property = bench_graph_set_property;
  g_object_class_install_property (
      object_class, 1,
      g_param_spec_object ("nodes", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
bench_graph_init (BenchGraph *self)
{
}

#define GRAPH_N_NODES 10000

static const char *node_kinds[] = { "manual", "import", "autotools",
                                    "cmake",  "meson",  "stack" };
static const char *node_tags[] = { "core", "extra", "test", "doc" };

/* The same construction as make_graph() in bench-pickle.py. */
static GObject *
make_graph (gboolean list)
{
  GType type =
      list ? bench_list_node_get_type () : bench_props_node_get_type ();
  g_autoptr (GListStore) store = g_list_store_new (type);
  GPtrArray *nodes = g_ptr_array_new_with_free_func (g_object_unref);
  GObject *graph;

  for (int i = 0; i < GRAPH_N_NODES; i++)
    {
      BenchNode *node = g_object_new (type, NULL);
      int targets[3];
      guint n_targets = 0;

      node->index = i;
      node->name = g_strdup_printf ("node-%d", i);
      node->kind = g_strdup (node_kinds[i % G_N_ELEMENTS (node_kinds)]);
      node->weight = (i * 7919) % 1000;
      node->tag = g_strdup (node_tags[i % G_N_ELEMENTS (node_tags)]);
      if (i >= 1)
        targets[n_targets++] = i - 1;
      if (i >= 2)
        targets[n_targets++] = i / 2;
      if (i >= 17)
        targets[n_targets++] = i - 17;
      if (list)
        {
          GListStore *refs = g_list_store_new (type);

          for (guint k = 0; k < n_targets; k++)
            g_list_store_append (refs, g_ptr_array_index (nodes, targets[k]));
          node->refs = G_LIST_MODEL (refs);
        }
      else
        for (guint k = 0; k < n_targets; k++)
          node->ref[k] = g_object_ref (g_ptr_array_index (nodes, targets[k]));
      if (i >= 1)
        node->parent = g_object_ref (g_ptr_array_index (nodes, i / 10));
      g_ptr_array_add (nodes, node);
    }

  /* Four short cycles: a's parent is a+3, which reaches a through i-1. */
  for (int k = 0; k < 4; k++)
    {
      BenchNode *a = g_ptr_array_index (nodes, 1000 * k + 500);
      g_set_object (&a->parent, g_ptr_array_index (nodes, 1000 * k + 503));
    }
  /* One self-reference. */
  {
    BenchNode *self_ref = g_ptr_array_index (nodes, 42);
    g_set_object (&self_ref->parent, (GObject *) self_ref);
  }

  g_list_store_splice (store, 0, 0, nodes->pdata, nodes->len);
  graph = g_object_new (BENCH_TYPE_GRAPH, "nodes", store, NULL);
  g_ptr_array_unref (nodes);
  return graph;
}

/* Drops every reference between nodes so that the cyclic graph is freed. */
static void
free_graph (GObject *graph)
{
  GListModel *nodes = BENCH_GRAPH (graph)->nodes;
  guint n = g_list_model_get_n_items (nodes);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (nodes, i);
      bench_node_dispose (item);
    }
  g_object_unref (graph);
}

/* BenchBlob: payload (c). */

#define BENCH_TYPE_BLOB (bench_blob_get_type ())
G_DECLARE_FINAL_TYPE (BenchBlob, bench_blob, BENCH, BLOB, GObject)

struct _BenchBlob
{
  GObject parent_instance;
  GBytes *data;
};

static void
bench_blob_serializable_init (JobSerializableInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (
    BenchBlob,
    bench_blob,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (JOB_TYPE_SERIALIZABLE, bench_blob_serializable_init))

static void
bench_blob_finalize (GObject *object)
{
  g_clear_pointer (&BENCH_BLOB (object)->data, g_bytes_unref);
  G_OBJECT_CLASS (bench_blob_parent_class)->finalize (object);
}

static void
bench_blob_get_property (GObject *object,
                         guint prop_id,
                         GValue *value,
                         GParamSpec *pspec)
{
  if (prop_id == 1)
    g_value_set_boxed (value, BENCH_BLOB (object)->data);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bench_blob_set_property (GObject *object,
                         guint prop_id,
                         const GValue *value,
                         GParamSpec *pspec)
{
  BenchBlob *self = BENCH_BLOB (object);

  if (prop_id == 1)
    {
      g_clear_pointer (&self->data, g_bytes_unref);
      self->data = g_value_dup_boxed (value);
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
bench_blob_class_init (BenchBlobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bench_blob_finalize;
  object_class->get_property = bench_blob_get_property;
  object_class->set_property = bench_blob_set_property;
  g_object_class_install_property (
      object_class, 1,
      g_param_spec_boxed ("data", NULL, NULL, G_TYPE_BYTES,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
bench_blob_init (BenchBlob *self)
{
}

#define BLOB_SIZE (64 * 1024 * 1024)

static GObject *
make_blob (void)
{
  guint8 *data = g_malloc (BLOB_SIZE);
  g_autoptr (GBytes) bytes = NULL;

  for (gsize i = 0; i < BLOB_SIZE; i++)
    data[i] = (guint8) (i * 31 + (i >> 12));
  bytes = g_bytes_new_take (data, BLOB_SIZE);
  return g_object_new (BENCH_TYPE_BLOB, "data", bytes, NULL);
}

/* Timing */

static int
compare_doubles (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *samples, guint n)
{
  qsort (samples, n, sizeof (double), compare_doubles);
  return n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

typedef enum
{
  OP_DUMPS,
  OP_LOADS,
  OP_ROUND_TRIP,
  OP_DUMP_FRAMES,
  OP_LOAD_FRAMES,
  OP_ROUND_TRIP_FRAMES,
  OP_BUILD_FREE,
} Op;

/* Only the payloads whose name starts with this, if set. */
static const char *only;

typedef struct
{
  GObject *object;
  GBytes *flat;
  JobPickleFrames *frames;
  gboolean graph; /* break cycles before dropping a rebuilt graph */
  gboolean list;  /* a graph: its references in GListStores */
} Payload;

static void
drop (Payload *payload, GObject *object)
{
  if (payload->graph)
    free_graph (object);
  else
    g_object_unref (object);
}

static void
run_op (Payload *payload, Op op)
{
  g_autoptr (GError) error = NULL;

  switch (op)
    {
    case OP_DUMPS:
      g_bytes_unref (job_pickle_dumps (payload->object, &error));
      break;
    case OP_LOADS:
      drop (payload, job_pickle_loads (payload->flat, &error));
      break;
    case OP_ROUND_TRIP:
      {
        g_autoptr (GBytes) flat = job_pickle_dumps (payload->object, &error);
        drop (payload, job_pickle_loads (flat, &error));
      }
      break;
    case OP_DUMP_FRAMES:
      job_pickle_frames_unref (
          job_pickle_dump_frames (payload->object, 0, &error));
      break;
    case OP_LOAD_FRAMES:
      drop (payload, job_pickle_load_frames (payload->frames, &error));
      break;
    case OP_ROUND_TRIP_FRAMES:
      {
        g_autoptr (JobPickleFrames) frames =
            job_pickle_dump_frames (payload->object, 0, &error);
        drop (payload, job_pickle_load_frames (frames, &error));
      }
      break;
    case OP_BUILD_FREE:
      free_graph (make_graph (payload->list));
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_no_error (error);
}

static double
thread_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct
{
  double wall; /* median wall-clock seconds per operation */
  double cpu;  /* median thread CPU seconds: steadier on a loaded machine */
} Timing;

/* Median time of one operation, over @n_runs runs of @batch. */
static Timing
measure (Payload *payload, Op op, guint n_runs, guint batch)
{
  g_autofree double *wall = g_new (double, n_runs);
  g_autofree double *cpu = g_new (double, n_runs);
  Timing timing;

  run_op (payload, op); /* warm up: type plans, caches */
  for (guint r = 0; r < n_runs; r++)
    {
      gint64 start = g_get_monotonic_time ();
      double cpu_start = thread_cpu_seconds ();

      for (guint b = 0; b < batch; b++)
        run_op (payload, op);
      cpu[r] = (thread_cpu_seconds () - cpu_start) / batch;
      wall[r] = (g_get_monotonic_time () - start) / 1e6 / batch;
    }
  timing.wall = median (wall, n_runs);
  timing.cpu = median (cpu, n_runs);
  return timing;
}

static void
report_time (const char *payload,
             const char *what,
             Timing timing,
             gboolean micro)
{
  double scale = micro ? 1e6 : 1e3;
  const char *unit = micro ? "us" : "ms";

  printf ("%s_%s: %.2f %s\n", payload, what, timing.wall * scale, unit);
  printf ("%s_%s_cpu: %.2f %s\n", payload, what, timing.cpu * scale, unit);
}

static void
bench_payload (const char *name,
               GObject *object,
               gboolean graph,
               gboolean list,
               guint n_runs,
               guint batch,
               gboolean micro,
               gboolean frames)
{
  g_autoptr (GError) error = NULL;
  Payload payload = { object, NULL, NULL, graph, list };

  if (only != NULL && !g_str_has_prefix (name, only))
    return;

  payload.flat = job_pickle_dumps (object, &error);
  g_assert_no_error (error);
  report_time (name, "dumps", measure (&payload, OP_DUMPS, n_runs, batch),
               micro);
  report_time (name, "loads", measure (&payload, OP_LOADS, n_runs, batch),
               micro);
  report_time (name, "round_trip",
               measure (&payload, OP_ROUND_TRIP, n_runs, batch), micro);
  printf ("%s_bytes: %" G_GSIZE_FORMAT " bytes\n", name,
          g_bytes_get_size (payload.flat));
  /* The floor under loads and round_trip: the same objects made and
   * freed directly, by the code that made the original. */
  if (graph)
    report_time (name, "baseline_build_free",
                 measure (&payload, OP_BUILD_FREE, n_runs, batch), micro);

  if (frames)
    {
      payload.frames = job_pickle_dump_frames (object, 0, &error);
      g_assert_no_error (error);
      report_time (name, "dump_frames",
                   measure (&payload, OP_DUMP_FRAMES, n_runs, batch), micro);
      report_time (name, "load_frames",
                   measure (&payload, OP_LOAD_FRAMES, n_runs, batch), micro);
      report_time (name, "round_trip_frames",
                   measure (&payload, OP_ROUND_TRIP_FRAMES, n_runs, batch),
                   micro);
      printf ("%s_header_bytes: %" G_GSIZE_FORMAT " bytes\n", name,
              g_bytes_get_size (job_pickle_frames_get_header (payload.frames)));
      printf ("%s_n_frames: %u frames\n", name,
              job_pickle_frames_get_n_frames (payload.frames));
      job_pickle_frames_unref (payload.frames);
    }
  g_bytes_unref (payload.flat);
}

/* Whether a round trip of the blob shares the original buffer. */
static void
check_blob_copies (GObject *blob)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JobPickleFrames) frames = job_pickle_dump_frames (blob, 0, &error);
  g_autoptr (GObject) copy = NULL, flat_copy = NULL;
  g_autoptr (GBytes) flat = NULL;
  const guint8 *original = g_bytes_get_data (BENCH_BLOB (blob)->data, NULL);
  const guint8 *frame, *rebuilt, *from_flat;
  gsize flat_size;
  const guint8 *flat_data;

  g_assert_no_error (error);
  frame = g_bytes_get_data (job_pickle_frames_get_frame (frames, 0), NULL);
  copy = job_pickle_load_frames (frames, &error);
  g_assert_no_error (error);
  rebuilt = g_bytes_get_data (BENCH_BLOB (copy)->data, NULL);
  printf ("c_blob_frames_dump_copies: %d copies\n", frame != original);
  printf ("c_blob_frames_load_copies: %d copies\n", rebuilt != frame);
  printf ("c_blob_frames_same_pointer: %s bool\n",
          rebuilt == original ? "true" : "false");
  g_assert_true (rebuilt == original);

  /* The flat form must copy once into its buffer; loading it need not. */
  flat = job_pickle_dumps (blob, &error);
  g_assert_no_error (error);
  flat_data = g_bytes_get_data (flat, &flat_size);
  flat_copy = job_pickle_loads (flat, &error);
  g_assert_no_error (error);
  from_flat = g_bytes_get_data (BENCH_BLOB (flat_copy)->data, NULL);
  printf ("c_blob_flat_load_copies: %d copies\n",
          !(from_flat >= flat_data && from_flat < flat_data + flat_size));
  g_assert_true (
      g_bytes_equal (BENCH_BLOB (flat_copy)->data, BENCH_BLOB (blob)->data));
}

int
main (int argc, char **argv)
{
  g_autoptr (GObject) job = NULL;
  GObject *graph;
  g_autoptr (GObject) blob = NULL;
  guint n_runs_graph = 21;

  if (argc > 1)
    n_runs_graph = (guint) g_ascii_strtoull (argv[1], NULL, 10);
  if (n_runs_graph == 0)
    n_runs_graph = 1;
  if (argc > 2)
    only = argv[2];

  job = make_job ();
  bench_payload ("a_job", job, FALSE, FALSE, 51, 2000, TRUE, FALSE);

  graph = make_graph (TRUE);
  bench_payload ("b_graph", graph, TRUE, TRUE, n_runs_graph, 1, FALSE, FALSE);
  free_graph (graph);

  graph = make_graph (FALSE);
  bench_payload ("b_graph_props", graph, TRUE, FALSE, n_runs_graph, 1, FALSE,
                 FALSE);
  free_graph (graph);

  if (only == NULL || g_str_has_prefix ("c_blob", only))
    {
      blob = make_blob ();
      bench_payload ("c_blob", blob, FALSE, FALSE, 7, 1, FALSE, TRUE);
      check_blob_copies (blob);
    }
  return 0;
}
