/* Call site 'c': c1 -> c2 -> c3 -> c4 -> c5 -> mmap/munmap. */
#include "churn.h"

CHURN_SITE(c)
