/* Exception breakpoints shared by the backends: `raised` and
 * `userUnhandled` decided where an exception is raised in or propagates
 * into a frame; `uncaught` from the sys/threading excepthook wrappers of
 * the support module (before the traceback prints). See docs/runtime.md. */
#ifndef RT_EXCEPTIONS_H
#define RT_EXCEPTIONS_H

#include "rt_compat.h"

#include "rt_threads.h"

/* exc (borrowed) was raised in, or propagated into, `frame` (borrowed);
 * tb is its current traceback when the caller knows it better than
 * exc.__traceback__ (3.11 tracing), else NULL. GIL held; the caller's
 * exception state is preserved. */
void rt_exceptions_raise(rt_thread_t *t, PyObject *frame, PyObject *exc,
                         PyObject *tb);

/* exc is about to terminate its thread (excepthook); tb its traceback. */
void rt_exceptions_uncaught(rt_thread_t *t, PyObject *exc, PyObject *tb);

#endif
