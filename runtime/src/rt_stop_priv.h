/* Internals of stops shared by rt_stop.c (stopping, parking, resuming, the
 * execution requests), rt_step.c (stepping) and rt_standin.c (the stand-in
 * for threads blocked in C). (mu): guarded by the threads lock
 * (rt_threads_lock). */
#ifndef RT_STOP_PRIV_H
#define RT_STOP_PRIV_H

#include "rt_compat.h"

#include <stdbool.h>
#include <time.h>

#include "rt_threads.h"

/* ---- the stop in progress (rt_stop.c) ---------------------------------- */

/* (mu) The thread that reported the current stop, and the thread a pause
 * request targets (0 = none). */
extern rt_thread_t *rt_stop_owner;
extern int rt_pause_target;
/* (mu) A pause still waits for its stop and the stand-in asked a parked
 * thread to report it (the thread asked for is blocked in C). */
extern bool rt_pause_promote;
/* (mu) A `stopped` event went out and no continue of every thread came
 * since: threads blocked in C count as stopped (their requests go to the
 * stand-in, rt_standin.c). */
extern bool rt_stop_shown;
/* (mu) Counts the continues of every thread: the stop a snapshot of a
 * blocked thread was read for. */
extern unsigned rt_stop_gen;
/* (mu) When the pending pause was asked (CLOCK_MONOTONIC). */
extern struct timespec rt_pause_since;

/* The body of a `stopped` event for thread_id (a new cJSON tree, or NULL
 * when out of memory). ids: hit breakpoint ids; description: or NULL. */
cJSON *rt_stopped_body(int thread_id, const char *reason, const int *ids, int nids,
                       const char *description);
/* GIL held. Releases the frames recorded for thread_id's stop (or read
 * for it while blocked): its references are stale from here on. */
void rt_frames_end_id(int thread_id);
void rt_frames_end(rt_thread_t *t);
/* Answers cmd (owned, freed here) with "thread thread_id is not stopped
 * any more": a request queued to a thread, or to the stand-in, that
 * resumed before running it. Called without the threads lock; no GIL. */
void rt_stop_refuse_cmd(rt_cmd_t *cmd, int thread_id);

/* ---- stepping (rt_step.c) ---------------------------------------------- */

/* GIL held. A resumed t starts a step of `kind` relative to `frame`
 * (borrowed), or none (RT_STEP_NONE, or frame NULL); forgets the return
 * values kept for the stop it leaves. */
void rt_step_begin(rt_thread_t *t, rt_step_kind_t kind, PyObject *frame);
/* The return values to show at a stop in `frame` (a new tuple of (code,
 * value) pairs, in call order), or NULL: the function a step left, or the
 * calls a `next` stepped over in that frame. Forgets them. GIL held. */
PyObject *rt_take_return_values(rt_thread_t *t, PyObject *frame);

/* ---- threads blocked in C (rt_standin.c) ------------------------------- */

/* (mu) Starts the stand-in, or wakes it. */
void rt_standin_kick_locked(void);
/* (mu) Queues cmd (owned from here on; cmd->thread_id set) for the
 * stand-in, which answers it for its blocked thread, and wakes it. */
void rt_standin_queue_locked(rt_cmd_t *cmd);
/* (mu) rt_stop_cancel for the stand-in's requests. */
bool rt_standin_cancel_locked(long long seq);
/* In a forked child: the stand-in does not exist there. */
void rt_standin_after_fork_child(void);
/* GIL held. t is about to record frames of its own (a stop or a park):
 * waits while the stand-in releases a snapshot of it, and takes over one
 * of the current stop (t's own frames replace it; its references stay
 * valid until t resumes); one of an earlier stop is released now. */
void rt_snapshot_take_over(rt_thread_t *t);

#endif
