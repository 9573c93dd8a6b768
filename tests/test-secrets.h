/* test-secrets.h: typical secrets of a parent environment, for the tests
 * that check none reaches a task or a build command */

#pragma once

#include <glib.h>

static const char *const test_secret_names[] = {
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "GITLAB_TOKEN",
  "CI_JOB_TOKEN",
  "NPM_TOKEN",
  "DOCKER_PASSWORD",
  "SSH_AUTH_SOCK",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "AZURE_CLIENT_SECRET",
  "AZURE_STORAGE_KEY",
  "SLACK_TOKEN",
  "DATABASE_URL",
  "PGPASSWORD",
  "MYSQL_PWD",
  "OPENAI_API_KEY",
  "HEROKU_API_KEY",
  "TWINE_PASSWORD",
};

/* Sets every secret (each value contains "xyzzy"), or unsets them. */
static inline void
test_set_secrets (gboolean set)
{
  G_STATIC_ASSERT (G_N_ELEMENTS (test_secret_names) == 20);
  for (guint i = 0; i < G_N_ELEMENTS (test_secret_names); i++)
    {
      g_autofree char *value = g_strdup_printf ("hunter%u-xyzzy", i);

      if (set)
        g_setenv (test_secret_names[i], value, TRUE);
      else
        g_unsetenv (test_secret_names[i]);
    }
}
