/* Call site 'a': a1 -> a2 -> a3 -> a4 -> a5 -> mmap/munmap. */
#include "churn.h"

CHURN_SITE(a)
