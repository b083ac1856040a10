/* ThreadSanitizer harness for the runtime's channel (label `sanitize`).
 *
 * runtime/src/rt_channel.c and rt_wire.c, with the protocol library, built
 * with -fsanitize=thread into a program with no Python: rt_channel.c
 * includes the Python headers (rt_compat.h) but calls into the interpreter
 * only through the functions stubbed below (command dispatch, the fork
 * hooks, Py_IsFinalizing), so the whole process is instrumented.
 *
 * Each round, over a socketpair: rt_channel_open() (hello, seq 1) starts the
 * channel thread; SENDERS threads call rt_channel_send() concurrently while
 * the test sends REQUESTS requests which the channel thread decodes
 * (rt_wire_decode) and answers through rt_wire_run + rt_channel_send (so
 * the reader thread sends too), plus `start` (rt_channel_mark_started, with
 * a waiter in rt_channel_wait_start), and invalid messages (answered with
 * an error response). A peer thread reads the test's end with the framer
 * and checks every frame: seqs 1, 2, 3, ... in order, each message once.
 * Then the test closes its end: the channel thread sees end-of-file, calls
 * rt_commands_on_close() and closes its descriptor; sends after that fail
 * with DAPPER_ERUNTIME. The next round opens the channel again.
 *
 * Exits 0 when every check passed; TSan makes a data race exit 66
 * (TSAN_OPTIONS=exitcode=66, halt_on_error=1 set by CMake). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <dapper/errors.h>
#include <dapper/framer.h>
#include <dapper/message.h>

#include "rt_channel.h"
#include "rt_commands.h"
#include "rt_log.h"
#include "rt_wire.h"

#define ROUNDS 3
#define SENDERS 4
#define EVENTS_PER_SENDER 300
#define REQUESTS 200
#define BAD_MESSAGES 5

/* ---- stubs of the runtime parts that need Python ---------------------- */

_Thread_local int rt_tls_in_debugger;
int Py_IsFinalizing(void);
int _Py_IsFinalizing(void);
int Py_IsFinalizing(void) { return 0; }
int _Py_IsFinalizing(void) { return 0; }
void rt_stop_after_fork_child(void) {}
void rt_threads_after_fork_child(void) {}
void rt_stats_after_fork_child(void) {}
void rt_stats_tick(rt_channel_t *ch) { (void)ch; }
int rt_stats_wait_ms(int max_ms) { return max_ms; }
void rt_log(rt_log_level_t level, const char *fmt, ...) {
  (void)level;
  (void)fmt;
}

static atomic_int closes; /* rt_commands_on_close calls */
static atomic_int pings;  /* requests handled */

static int handle_ping(rt_channel_t *ch, const cJSON *request, cJSON **body) {
  (void)ch;
  (void)request;
  *body = cJSON_CreateObject();
  atomic_fetch_add(&pings, 1);
  return 0;
}

static int handle_start(rt_channel_t *ch, const cJSON *request, cJSON **body) {
  (void)request;
  (void)body;
  rt_channel_mark_started(ch);
  return 0;
}

static const rt_command_t table[] = {{"ping", handle_ping}, {"start", handle_start}};

void rt_commands_dispatch(rt_channel_t *ch, const cJSON *request) {
  bool deferred = false;
  cJSON *reply = rt_wire_run(table, sizeof table / sizeof table[0], ch, request, &deferred);
  if (reply != NULL) (void)rt_channel_send(ch, reply);
}

void rt_commands_on_close(rt_channel_t *ch) {
  (void)ch;
  atomic_fetch_add(&closes, 1);
}

/* ---- the test --------------------------------------------------------- */

static int failures;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                        \
      fputc('\n', stderr);                                 \
      failures++;                                          \
    }                                                      \
  } while (0)

typedef struct {
  int fd;
  long long next_seq; /* the seq expected next */
  int hello, events, responses, errors, other;
  char problem[256];
} peer_t;

static int peer_on_body(void *ud, const char *body, size_t len) {
  peer_t *p = ud;
  cJSON *msg = cJSON_ParseWithLength(body, len);
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(msg, "seq");
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "type"));

  if (msg == NULL || !cJSON_IsNumber(seq) || type == NULL) {
    snprintf(p->problem, sizeof p->problem, "bad frame %.*s", (int)len, body);
  } else if ((long long)seq->valuedouble != p->next_seq) {
    snprintf(p->problem, sizeof p->problem, "seq %lld, expected %lld",
             (long long)seq->valuedouble, p->next_seq);
  }
  p->next_seq++;
  if (type != NULL && strcmp(type, "event") == 0) {
    const char *ev = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(msg, "event"));
    if (ev != NULL && strcmp(ev, "hello") == 0)
      p->hello++;
    else
      p->events++;
  } else if (type != NULL && strcmp(type, "response") == 0) {
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success")))
      p->responses++;
    else
      p->errors++;
  } else {
    p->other++;
  }
  cJSON_Delete(msg);
  return 0;
}

/* Reads the test's end until end-of-file. */
static void *peer_main(void *arg) {
  peer_t *p = arg;
  dap_framer_t *fr = dap_framer_new(1 << 20);
  char buf[4096];

  for (;;) {
    ssize_t n = read(p->fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (dap_framer_feed(fr, buf, (size_t)n, peer_on_body, p) < 0) {
      snprintf(p->problem, sizeof p->problem, "broken framing from the channel");
      break;
    }
  }
  dap_framer_free(fr);
  return NULL;
}

typedef struct {
  rt_channel_t *ch;
  int index;
  int failed;
} sender_t;

static void *sender_main(void *arg) {
  sender_t *s = arg;
  for (int i = 0; i < EVENTS_PER_SENDER; i++) {
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "sender", s->index);
    cJSON_AddNumberToObject(body, "i", i);
    if (rt_channel_send(s->ch, dap_msg_event("output", body)) != 0) s->failed++;
  }
  return NULL;
}

static void *start_waiter_main(void *arg) {
  rt_channel_t *ch = arg;
  return rt_channel_wait_start(ch, 30.0) ? (void *)1 : NULL;
}

static void write_all(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      perror("write");
      exit(1);
    }
    data += n;
    len -= (size_t)n;
  }
}

static void send_request(int fd, long long seq, const char *command) {
  char *frame = NULL;
  size_t len = 0;
  cJSON *msg = dap_msg_request(command, NULL);
  if (msg == NULL || dap_msg_frame(msg, seq, &frame, &len) != 0) exit(1);
  cJSON_Delete(msg);
  write_all(fd, frame, len);
  free(frame);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void run_round(int round) {
  rt_channel_t *ch = rt_channel_get();
  int sv[2];
  int rc = 0;
  peer_t peer = {.next_seq = 1};
  pthread_t peer_tid, waiter_tid, senders[SENDERS];
  sender_t args[SENDERS];
  void *waited = NULL;

  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
    perror("socketpair");
    exit(1);
  }
  peer.fd = sv[1];
  pthread_create(&peer_tid, NULL, peer_main, &peer);

  /* The previous round's channel thread may still be on its way out. */
  for (int tries = 0; tries < 500; tries++) {
    cJSON *hello = cJSON_CreateObject();
    cJSON_AddNumberToObject(hello, "round", round);
    rc = rt_channel_open(ch, sv[0], hello);
    if (rc != -EALREADY) break;
    sleep_ms(10);
  }
  CHECK(rc == 0, "round %d: rt_channel_open: %d", round, rc);
  if (rc != 0) exit(1);
  CHECK(rt_channel_is_connected(ch), "round %d: not connected after open", round);

  pthread_create(&waiter_tid, NULL, start_waiter_main, ch);
  for (int i = 0; i < SENDERS; i++) {
    args[i] = (sender_t){.ch = ch, .index = i};
    pthread_create(&senders[i], NULL, sender_main, &args[i]);
  }
  long long seq = 1;
  for (int i = 0; i < REQUESTS; i++) {
    send_request(sv[1], seq++, "ping");
    if (i == REQUESTS / 2) send_request(sv[1], seq++, "start");
    if (i % (REQUESTS / BAD_MESSAGES) == 0) {
      /* a request for nothing, then a message that is not a request */
      send_request(sv[1], seq++, "nothing");
      static const char bad[] = "Content-Length: 2\r\n\r\n[]";
      write_all(sv[1], bad, sizeof bad - 1);
    }
  }
  for (int i = 0; i < SENDERS; i++) {
    pthread_join(senders[i], NULL);
    CHECK(args[i].failed == 0, "round %d: sender %d: %d sends failed", round, i,
          args[i].failed);
  }
  pthread_join(waiter_tid, &waited);
  CHECK(waited != NULL, "round %d: rt_channel_wait_start did not see start", round);

  /* Let the channel thread answer everything, then close our end for
   * writing: it sees end-of-file, closes its descriptor, and the peer sees
   * end-of-file in turn. */
  int expected_responses = REQUESTS + 1;
  for (int tries = 0; tries < 3000 && atomic_load(&pings) < (round + 1) * REQUESTS; tries++)
    sleep_ms(1);
  shutdown(sv[1], SHUT_WR);
  pthread_join(peer_tid, NULL);
  for (int tries = 0; tries < 3000 && rt_channel_is_connected(ch); tries++) sleep_ms(1);
  CHECK(!rt_channel_is_connected(ch), "round %d: still connected after end-of-file", round);
  CHECK(rt_channel_send(ch, dap_msg_event("late", NULL)) == DAPPER_ERUNTIME,
        "round %d: a send after the close did not fail", round);

  CHECK(peer.problem[0] == '\0', "round %d: %s", round, peer.problem);
  CHECK(peer.hello == 1, "round %d: %d hello events", round, peer.hello);
  CHECK(peer.events == SENDERS * EVENTS_PER_SENDER, "round %d: %d events, expected %d", round,
        peer.events, SENDERS * EVENTS_PER_SENDER);
  CHECK(peer.responses == expected_responses, "round %d: %d responses, expected %d", round,
        peer.responses, expected_responses);
  CHECK(peer.errors == BAD_MESSAGES, "round %d: %d error responses, expected %d", round,
        peer.errors, BAD_MESSAGES);
  CHECK(peer.other == 0, "round %d: %d unexpected messages", round, peer.other);
  close(sv[1]);
  printf("round %d: %lld frames in order (%d events, %d responses, %d errors)\n", round,
         peer.next_seq - 1, peer.events, peer.responses, peer.errors);
}

int main(void) {
  for (int round = 0; round < ROUNDS; round++) run_round(round);
  for (int tries = 0; tries < 3000 && atomic_load(&closes) < ROUNDS; tries++) sleep_ms(1);
  CHECK(atomic_load(&closes) == ROUNDS, "rt_commands_on_close ran %d times, expected %d",
        atomic_load(&closes), ROUNDS);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("tsan_channel: OK\n");
  return 0;
}
