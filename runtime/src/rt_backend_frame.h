/* Shared machinery of the `evalframe` and `instrumented` backends (3.11):
 * a PEP 523 eval-frame hook that decides per frame, from the code's
 * codeinfo, whether C tracing is on for that frame (cframe->use_tracing),
 * and a scoped C trace function installed only on the threads that need it.
 *
 *   evalframe     the hook is installed for good; every frame whose code
 *                 has breakpoint lines (or a function breakpoint, or a
 *                 step into it) is traced, everything else runs untraced.
 *   instrumented  the hook is installed only while it is needed: fallback
 *                 codes exist (code that cannot serve its breakpoints
 *                 itself), a step lasts, stopOnEntry or the main script is
 *                 pending, or function breakpoints are set.
 *
 * Threads get the trace function while they step, while everything is
 * paused, while exception filters that need exception events are set
 * (`raised`, `userUnhandled`: every frame is traced then) or while they run
 * frames that started before their code got breakpoints (fallback frames).
 *
 * All functions need the GIL. */
#ifndef RT_BACKEND_FRAME_H
#define RT_BACKEND_FRAME_H

#include "rt_backend.h"
#include "rt_engine.h"

#if RT_HAVE_FRAME_HOOK

/* rt_codeinfo_t.armed bits of these backends. */
#define RT_FRAME_INS_CODE 1 /* instrumented code: calls the runtime at its
                               breakpoint lines itself */
#define RT_FRAME_FALLBACK 2 /* needs tracing (counted in the hook decision
                               unless the file's fallbacks are still lazy) */
#define RT_FRAME_ENTRY 4    /* instrumented code whose entry check has not run
                               yet: the file's lazy fallbacks count from then */

/* Sets up the machinery; permanent: the hook stays installed. Returns 0 or
 * -1 with an exception set (another PEP 523 user owns the hook). */
int rt_frame_install(bool permanent);
void rt_frame_uninstall(void);

/* Backend hooks shared by both backends. */
void rt_frame_control_changed(void);
void rt_frame_step_changed(rt_thread_t *t);
void rt_frame_exceptions_changed(void);
void rt_frame_thread_started(void);

/* The fallback state of one file after a breakpoint change: ncodes code
 * objects need tracing (the hook stays installed while any file has
 * some), the threads in `idents` (a list of ints, or NULL) run frames that
 * need it now. */
void rt_frame_set_fallback(const char *canon, int ncodes, PyObject *idents);

/* n more fallback codes for that file (a module imported later). */
void rt_frame_add_fallback(const char *canon, int n);

/* True until the main script's first frame (instrumented backend). */
bool rt_frame_program_pending(void);

/* Installs or removes the hook as the state requires. */
void rt_frame_update_hook(void);

/* The instrumented backend's main-script trampoline: called once for the
 * program's entry frame (fresh `<module>` code run in __main__'s
 * namespace) with its code; returns a new reference to the code to run
 * instead, or NULL (no exception) to run it as it is. */
extern PyObject *(*rt_frame_main_code)(PyObject *code);

/* The next fresh frame of `code` on this thread (exec'd code the `exec`
 * audit event announced) runs `other` (stolen) in its namespace instead.
 * The hook stays installed until it has run. */
void rt_frame_swap_next(PyObject *code, PyObject *other);

/* Traces the current frame from its next line on (the thread gets the
 * trace function unless another tool has one). */
void rt_frame_trace_here(void);

/* Called by the instrumented code's breakpoint builtin: true when the
 * trace function already evaluated the breakpoints of this line of this
 * frame (a step or pause traced the line), so the builtin must not. */
bool rt_frame_bp_skip(PyObject *frame, int line);

/* A jump (rt_goto.h) moved `frame` to `line`: the stop it makes there is
 * that line's stop, so the inserted checks of the line do not stop again. */
void rt_frame_line_done(PyObject *frame, int line);

/* A jump pending in the calling thread's current frame (rt_goto.h): true
 * when the thread can get the trace function (no other tool's is set). */
bool rt_frame_can_arm_opcode(void);
/* Turns on opcode events for `frame` (the calling thread's current frame)
 * so the trace function sees its next instruction. 0, or -1 when another
 * tool's trace function is set. */
int rt_frame_arm_opcode(PyObject *frame);

/* The Python side (runtime/python/_dapper_instrument.py), loaded on first
 * use from the runtime directory: a new reference, or NULL with an
 * exception set. rt_backend_instrumented.c. */
PyObject *rt_instrument_module(void);

/* What the `instrumented` backend compiled so far (`statistics`): [0]
 * functions recompiled from their own lines, [1] files recompiled whole,
 * [2] source lines parsed and compiled for them. Zeros before the Python
 * side is loaded. GIL held. rt_backend_instrumented.c. */
void rt_instrument_counts(double out[4]);

/* The instrumentation cache on disk (`statistics`, `disk_cache`): [0]
 * hits, [1] misses, [2] writes, [3] errors, [4] entries pruned. Zeros
 * before the Python side is loaded. GIL held. rt_backend_instrumented.c. */
void rt_instrument_disk_counts(double out[5]);

#endif /* RT_HAVE_FRAME_HOOK */
#endif
