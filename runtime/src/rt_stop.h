/* Stops, parking, resuming and stepping (DESIGN §4).
 *
 * A thread that must stop (breakpoint, step done, pause, exception, entry)
 * calls rt_stop_report(): it becomes the stop's owner (waiting, serving
 * requests, while another thread owns a stop), sets "pause all", sends
 * `stopped`, then waits on its own queue with the GIL released, running the
 * requests routed to it (stackTrace, ...) in its own context, until a
 * continue or step arrives. Every other thread parks at its next line
 * (rt_stop_park) without an event and serves its queue the same way.
 *
 * The execution requests (threads, stackTrace, continue, next, stepIn,
 * stepOut, pause) are handled here on the channel thread: per-thread ones
 * are queued to that thread, which sends the response.
 *
 * Implemented by rt_stop.c (stops, parking, resuming, the requests),
 * rt_step.c (stepping) and rt_standin.c (threads blocked in C). */
#ifndef RT_STOP_H
#define RT_STOP_H

#include "rt_compat.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "rt_commands.h"
#include "rt_engine.h"
#include "rt_inspect.h"
#include "rt_threads.h"

/* Set while a stop is in progress or a pause was asked: threads park at
 * their next line. Read without a lock on the hot path. */
extern atomic_int rt_pause_all;
/* stopOnEntry: stop at the first line of the program's entry frame. */
extern atomic_int rt_entry_pending;
/* The channel closed (or this is a forked child): never stop again. */
extern atomic_int rt_disconnected;
/* Threads with a step in progress, and those stepping in (GIL). */
extern int rt_nstepping, rt_nstepping_in;

/* justMyCode (`configure`, default true): steps never stop in library
 * code (ci->library: the standard library, site-packages/dist-packages,
 * the runtime); a step that leaves user code into a library frame goes on
 * to the next line of user code. */
extern bool rt_just_my_code;

/* A step of t does not stop in code ci: library code while justMyCode is
 * on or t steps towards user code (t->step_user), code a rule excludes.
 * A step-in to a target the user chose (stepInTargets: t->tgt_caller set)
 * stops in it even in library code. */
static inline bool rt_step_skips(const rt_thread_t *t, const rt_codeinfo_t *ci) {
  return ci->library && t->tgt_caller == NULL &&
         (rt_just_my_code || t->step_user || ci->excluded);
}

/* True when a line event needs rt_stop_line() (pause, entry, step,
 * function breakpoint pending). */
static inline bool rt_stop_control_needed(const rt_thread_t *t) {
  return atomic_load_explicit(&rt_pause_all, memory_order_relaxed) ||
         atomic_load_explicit(&rt_entry_pending, memory_order_relaxed) ||
         t->step_kind != RT_STEP_NONE || t->funcbp_frame != NULL;
}

/* What rt_stop_line() looks at. */
#define RT_LINE_CONTROL 1     /* park/pause, entry, function bp, step */
#define RT_LINE_BREAKPOINTS 2 /* line breakpoints */

/* Everything that happens at a line event of `frame` (borrowed) in code
 * ci at `line`: park/pause, entry, function breakpoint, breakpoints,
 * stepping, in that order (`what` selects). GIL held; the caller checked
 * in_debugger. */
void rt_stop_line(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame, int line,
                  int what);

/* How a frame is left (rt_stop_frame_exit). */
typedef enum {
  RT_EXIT_RETURN, /* returns `value` */
  RT_EXIT_YIELD,  /* a generator yields `value`, a coroutine awaits */
  RT_EXIT_UNWIND, /* an exception leaves it */
} rt_exit_t;

/* `frame` (borrowed) is left, `how` says how; value: the returned or
 * yielded value (borrowed), or NULL. A step relative to it:
 *   - a coroutine (or an async generator) suspended at an await goes on
 *     until that same frame resumes (a step-in becomes a step over it);
 *   - a return, or a generator's yield, stops in the caller right away, on
 *     the line of the call, before the rest of that line runs (the return
 *     value is kept for the "Return value" scope);
 *   - an exception moves the step to the caller (its next line);
 *   - leaving the program's entry frame, or into no visible caller, ends
 *     the step.
 * GIL held. */
void rt_stop_frame_exit(rt_thread_t *t, PyObject *frame, rt_exit_t how,
                        PyObject *value);

/* A frame of `code` called directly by t's stepping frame (a Python
 * callee of the line a `next` steps over, maybe through C such as map())
 * returned `value` (borrowed): kept, with the last RT_RET_CALLS others, for
 * the "Return value" scope of the stop the step makes in that frame
 * (showReturnValue). The backend calls it only while t steps over
 * (rt_stop_records_calls). GIL held. */
void rt_stop_call_returned(rt_thread_t *t, PyObject *code, PyObject *value);

/* True when t steps over (a `next`) and calls' return values are shown:
 * the backend reports the returns of the stepping frame's callees. */
static inline bool rt_stop_records_calls(const rt_thread_t *t) {
  return t->step_kind == RT_STEP_OVER && rt_show_return_value && !t->calls_off;
}

/* Forgets the return values rt_stop_call_returned kept. */
void rt_stop_calls_clear(rt_thread_t *t);

/* A fresh frame of code ci starts (call / PY_START): arms a function
 * breakpoint for its first line; a step-in targets it. */
void rt_stop_frame_start(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame);

/* Stops the calling thread and reports it (see above). frame: borrowed
 * PyFrameObject the stop is in, or NULL with tb (an uncaught exception:
 * the stack is the traceback's). ids: hit breakpoint ids. description:
 * the exception text, or NULL. GIL held. */
void rt_stop_report(rt_thread_t *t, PyObject *frame, PyObject *tb,
                    const char *reason, const int *ids, int nids,
                    const char *description);

/* Ends t's step (GIL held). */
void rt_stop_step_end(rt_thread_t *t);

/* The channel closed: release every stopped or parked thread, never stop
 * again. No GIL needed. */
void rt_stop_disconnect(void);
/* A new channel opened after a disconnect (attach again to a running
 * process): the hooks may stop threads again. */
void rt_stop_reconnect(void);

/* Resumes after continue (step NONE) or a step of thread_id: every waiting
 * thread, or only thread_id when single. A continue with nothing stopped
 * is a no-op. Sends the success response (request is borrowed) BEFORE
 * waking the threads and returns RT_DEFERRED; or returns a negative code
 * with rt_commands_fail's message. Channel thread, no GIL. */
int rt_stop_resume(const cJSON *request, int thread_id, bool single,
                   rt_step_kind_t step);
/* Asks thread_id to stop at its next line (reason pause) and the others
 * to park; when it is blocked in C, another thread or the stand-in reports
 * the stop (rt_standin.c). Sends the success response (request is
 * borrowed) BEFORE setting the pause, so it precedes the `stopped` event
 * and the stop's other events, and returns RT_DEFERRED; or returns a
 * negative code with rt_commands_fail's message. Channel thread, no GIL;
 * the caller then lets the backend know. */
int rt_stop_pause(const cJSON *request, int thread_id);
/* dapper.breakpoint(): thread_id (the caller's) stops at its next line, as
 * a pause asked by the client would; nothing when another stop is under
 * way. The caller then calls rt_backend_control_changed() (GIL held). */
void rt_stop_break_here(int thread_id);
/* Queues a copy of request to the stopped thread thread_id, which answers
 * it (for a thread blocked in C during a stop: to the stand-in, which
 * answers on its behalf). Returns RT_DEFERRED, or a negative code (unknown
 * / not stopped). */
int rt_stop_route(const cJSON *request, int thread_id);
/* Runs a request (borrowed) in the calling thread's context with the GIL
 * and sends its response: support.handle_request(thread_id, ...). 0 for
 * "no thread" (the channel thread or the evaluation worker). */
void rt_stop_run_request(int thread_id, const cJSON *request);
/* The id of a stopped thread (the stop's owner first), or 0. */
int rt_stop_any_waiting(void);
/* Drops the queued request with wire seq `seq`, or flags it when a thread
 * runs it now. True when found. */
bool rt_stop_cancel(long long seq);
/* The call and return events of a C trace function (the tracing backend
 * and 3.11's scoped fallback share them): a call stops for a function
 * breakpoint on a fresh frame (not a resumed generator or coroutine); a
 * return (value NULL: an exception) is rt_stop_frame_exit() of a return,
 * a yield or an unwind. GIL held. */
void rt_stop_trace_call(rt_thread_t *t, PyFrameObject *frame, PyCodeObject *code);
void rt_stop_trace_return(rt_thread_t *t, PyFrameObject *frame, PyObject *value);
/* The calling thread t ends (GIL held): it is no longer a stop's owner,
 * and frames read while it was blocked in C are released. */
void rt_stop_thread_exit(rt_thread_t *t);
/* In a forked child: forget every stop, never stop again. */
void rt_stop_after_fork_child(void);

int rt_handle_threads(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_stack_trace(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_continue(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_next(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_step_in(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_step_out(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_pause(rt_channel_t *ch, const cJSON *req, cJSON **body);

/* The atexit hook (GIL held; released while it waits), after
 * rt_channel_at_exit: waits until the stand-in (rt_standin.c) has exited,
 * so that no thread of the runtime takes the GIL once the interpreter
 * finalizes (bounded: 5 s, then logged). */
void rt_standin_at_exit(void);

#endif
