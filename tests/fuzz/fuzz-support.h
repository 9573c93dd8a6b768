/* fuzz-support.h: what the libFuzzer harnesses share */

#pragma once

#include "../test-types.h"

G_BEGIN_DECLS

void fuzz_support_init (void);
void fuzz_support_break_cycles (GObject *root);

G_END_DECLS
