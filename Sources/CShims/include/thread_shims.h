#ifndef PORTCULLIS_THREAD_SHIMS_H
#define PORTCULLIS_THREAD_SHIMS_H

/// The lowest usable address of the calling thread's stack, or NULL if it cannot be found.
/// pthread_getattr_np is a GNU extension that Swift's Glibc module does not declare.
void *portcullis_thread_stack_low(void);
#endif
