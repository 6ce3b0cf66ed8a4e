#ifndef PORTCULLIS_EPOLL_SHIMS_H
#define PORTCULLIS_EPOLL_SHIMS_H
#ifdef __linux__
/// Swift's Glibc module does not export epoll; the event loops (HTTPTransport's EventLoop) use it from here.
#include <sys/epoll.h>
/// Nor malloc_trim, which an idle event loop calls to return what a burst of handshakes left free.
#include <malloc.h>
#endif
#endif
