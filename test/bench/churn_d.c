/* Call site 'd': d1 -> d2 -> d3 -> d4 -> d5 -> mmap/munmap. */
#include "churn.h"

CHURN_SITE(d)
