/* Jumps and step-in targets (docs/runtime.md, "Jump to a line" and "Step
 * into a target").
 *
 * goto: CPython moves a frame to another line only from inside a trace
 * event of that frame (frame.f_lineno = n). A stopped thread that stopped
 * at a line event (breakpoint, step, pause, entry; every backend but the
 * breakpoint check of 3.11's instrumented code) is still inside that
 * event: the jump is made right away, the goto answered, and the thread
 * stops again (reason goto) without running a line. A thread stopped in
 * an instrumented breakpoint check (a call, where no jump is possible)
 * leaves the stop with the jump pending, gets an opcode trace event at
 * the frame's very next instruction, makes the jump there, answers and
 * stops again. The other threads stay parked meanwhile.
 *
 * stepIn with a targetId: stepInTargets lists the calls of the frame's
 * line (runtime/python/_dapper_targets.py) and registers the offsets of
 * each call instruction here; the step then stops only in a frame called
 * from that instruction of that frame, or, when the call enters no
 * Python code, at the stepping frame's next line. */
#ifndef RT_GOTO_H
#define RT_GOTO_H

#include "rt_compat.h"

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "rt_channel.h"
#include "rt_threads.h"

/* Python functions of the module for _dapper_targets.py: _goto_mode,
 * _goto_defer, _goto_restop, _set_step_targets. */
extern PyMethodDef rt_goto_methods[];

/* The stop of t at `frame` (borrowed) ended: arms a pending jump (GIL). */
void rt_goto_after_stop(rt_thread_t *t, PyObject *frame);
/* An opcode trace event of `frame` (3.11): makes t's pending jump there,
 * answers the goto and stops again (GIL). */
void rt_goto_opcode(rt_thread_t *t, PyObject *frame);

/* t resumed: a stepIn that chose a target steps into that call only. */
void rt_step_target_begin(rt_thread_t *t);
/* t's step ended: forgets its target. */
void rt_step_target_clear(rt_thread_t *t);
/* True unless t steps into a target and `frame` (borrowed) is neither the
 * stepping frame nor a frame that call entered. GIL held. */
bool rt_step_target_allows(rt_thread_t *t, PyObject *frame);
/* stepIn's optional targetId (channel thread): 0 when absent or known,
 * else the error code with rt_commands_fail's message. */
int rt_step_target_choose(const cJSON *req);

int rt_handle_goto(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_goto_targets(rt_channel_t *ch, const cJSON *req, cJSON **body);

#endif
