/* libFuzzer target: the runtime's end of the adapter<->runtime wire, without
 * Python. Each input is the byte stream the adapter sends: it goes through
 * the framer (fed in chunks of varying size), each body through
 * rt_wire_decode (dap_msg_parse and the reply to a bad message) and each
 * request through rt_wire_run with the runtime's real command table
 * (rt_command_table.c): lookup, handler, reply, and every reply is framed as
 * rt_channel_send would. The handlers themselves need Python and are stubs
 * here (fuzz_wire_stubs.c): what is fuzzed is decoding, validation of the
 * envelope, dispatch and reply building, not the handlers' argument
 * checks. */
#include <stdint.h>
#include <stdlib.h>

#include <dapper/framer.h>
#include <dapper/message.h>
#include <dapper/wire.h>

#include "rt_commands.h"
#include "rt_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long long out_seq;

static void send_reply(cJSON *reply) {
  char *frame = NULL;
  size_t len = 0;
  if (reply == NULL)
    return;
  if (dap_msg_frame(reply, ++out_seq, &frame, &len) == 0) {
    /* What the adapter's framer would read back. */
    cJSON *back = NULL;
    dap_msg_kind_t kind;
    const char *json = frame;
    while (json[0] != '\0' && !(json[0] == '\r' && json[1] == '\n' && json[2] == '\r' &&
                                json[3] == '\n'))
      json++;
    if (json[0] == '\0' || dap_msg_parse(json + 4, len - (size_t)(json + 4 - frame), &back,
                                         &kind, NULL) != 0 ||
        kind != DAP_MSG_RESPONSE)
      abort(); /* the runtime sent something the adapter cannot read */
    cJSON_Delete(back);
  }
  free(frame);
  cJSON_Delete(reply);
}

static int on_body(void *ud, const char *body, size_t len) {
  dap_msg_kind_t kind;
  cJSON *reply = NULL;
  dap_parse_error_t err;
  cJSON *request = rt_wire_decode(body, len, &kind, &reply, &err);
  if (request == NULL) {
    send_reply(reply);
    return 0;
  }
  bool deferred = false;
  send_reply(rt_wire_run(rt_command_table, rt_command_count, NULL, request, &deferred));
  cJSON_Delete(request);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t chunks[] = {4096, 1, 7, 64, 3, 512, 29, 65536};
  dap_framer_t *fr = dap_framer_new(WIRE_MAX_MESSAGE);
  if (fr == NULL)
    abort();
  out_seq = 0;
  size_t pos = 0, i = 0;
  while (pos < size) {
    size_t n = chunks[i++ % (sizeof(chunks) / sizeof(chunks[0]))];
    if (n > size - pos)
      n = size - pos;
    if (dap_framer_feed(fr, (const char *)data + pos, n, on_body, NULL) < 0)
      break; /* broken framing: the channel thread closes the channel */
    pos += n;
  }
  dap_framer_free(fr);
  return 0;
}
