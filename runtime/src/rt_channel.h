/* The runtime's end of the adapter<->runtime wire (docs/wire-protocol.md).
 *
 * One channel per process: the descriptor the debuggee inherited, a plain
 * pthread that blocks in read() WITHOUT the GIL, frames and parses messages
 * WITHOUT the GIL and hands requests to the command table (rt_commands.h),
 * and a write mutex through which every thread sends.
 *
 * Lifetime: rt_channel_open() takes the descriptor; the channel thread closes
 * it when the adapter's end closes or the framing breaks, after marking the
 * channel disconnected and waking waiters. The thread is detached: at
 * interpreter exit it is simply abandoned in read(). It never touches Python
 * objects; work that will need them takes the GIL through rt_python_enter()
 * (rt_threads.h), never with a bare PyGILState_Ensure().
 * After fork() the child's channel is disconnected and its copy of the
 * descriptor closed (pthread_atfork child handler): the channel belongs to
 * the parent. */
#ifndef RT_CHANNEL_H
#define RT_CHANNEL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

typedef struct rt_channel rt_channel_t;

/* The process's channel (never NULL; initialised on first use). */
rt_channel_t *rt_channel_get(void);

/* Takes ownership of fd on success: marks it close-on-exec, sends hello_body
 * as the `hello` event (seq 1) and starts the channel thread. hello_body is
 * consumed in every case. Call WITHOUT the GIL (it writes to the socket).
 * Returns 0, -EALREADY when the channel is open (or its thread still
 * exiting), a negative errno (bad descriptor, write failure, thread creation)
 * or DAPPER_ENOMEM. On failure the caller still owns fd. */
int rt_channel_open(rt_channel_t *ch, int fd, cJSON *hello_body);

/* Sends one message (a cJSON envelope from dapper/message.h), stamping the
 * channel's next seq. Consumes msg on success and on error. Thread-safe, call
 * WITHOUT the GIL (it may block on a full socket). Returns 0, DAPPER_ERUNTIME
 * when the channel is closed, DAPPER_ENOMEM or a negative errno. */
int rt_channel_send(rt_channel_t *ch, cJSON *msg);

/* Waits until `start` arrives (returns true) or the channel is closed or
 * timeout_s seconds passed (returns false). timeout_s < 0 waits without
 * limit. Call WITHOUT the GIL. Returns true at once if start already came. */
bool rt_channel_wait_start(rt_channel_t *ch, double timeout_s);

/* Marks the program as started and wakes rt_channel_wait_start(). Returns
 * false if it was started already. */
bool rt_channel_mark_started(rt_channel_t *ch);
/* The boot (a launch) holds the program before its first line until
 * `start`: rt_channel_is_holding() is true from now until then. */
void rt_channel_hold_for_start(rt_channel_t *ch);
bool rt_channel_is_holding(rt_channel_t *ch);

bool rt_channel_is_connected(rt_channel_t *ch);

/* Whether a client is attached, as the adapter says with the `client`
 * command (an attach finished configuring, or the client detached). */
void rt_channel_set_client(rt_channel_t *ch, bool attached);
bool rt_channel_has_client(rt_channel_t *ch);
/* Waits until a client is attached (true) or the channel is closed or
 * timeout_s seconds passed (false); timeout_s < 0 waits without limit.
 * Call WITHOUT the GIL. */
bool rt_channel_wait_client(rt_channel_t *ch, double timeout_s);

/* Marks the channel `exiting`: the interpreter ran the runtime's atexit
 * hook. Called by rt_python_close() under the threads' mutex. */
void rt_channel_at_exit(rt_channel_t *ch);

/* True when the interpreter is neither finalizing nor past the runtime's
 * atexit hook. Read under the threads' mutex, the decision of
 * rt_python_enter(); elsewhere only a hint (the program may begin to exit
 * right after): take the GIL through rt_python_enter(). */
bool rt_channel_python_allowed(rt_channel_t *ch);

#endif
