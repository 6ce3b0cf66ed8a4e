#define _GNU_SOURCE
#include "thread_shims.h"
#include <pthread.h>
#include <stddef.h>

void *portcullis_thread_stack_low(void) {
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return NULL;
    void *low = NULL;
    size_t size = 0;
    int rc = pthread_attr_getstack(&attributes, &low, &size);
    pthread_attr_destroy(&attributes);
    return rc == 0 ? low : NULL;
}
