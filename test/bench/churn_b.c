/* Call site 'b': b1 -> b2 -> b3 -> b4 -> b5 -> mmap/munmap. */
#include "churn.h"

CHURN_SITE(b)
