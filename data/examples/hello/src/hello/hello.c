#include <stdio.h>

int
main (void)
{
  puts ("Hello from a libjob build!");
  return 0;
}
