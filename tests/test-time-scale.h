/* test-time-scale.h: latency bounds of tests, stretched under valgrind */

#pragma once

#include <glib.h>

/* How much slower than native the test runs: $JOB_TEST_TIME_SCALE (set by
 * `meson test --setup valgrind`), at least 1. Bounds on how fast something
 * happens are multiplied by it; bounds on how long something waits (a
 * timeout's lower bound) are not. */
static inline double
test_time_scale (void)
{
  const char *text = g_getenv ("JOB_TEST_TIME_SCALE");
  double scale = text != NULL ? g_ascii_strtod (text, NULL) : 1;

  return scale >= 1 ? scale : 1;
}
