/* The adapter<->runtime wire: constants shared by both ends. Messages use
 * the DAP envelopes of message.h and the framer of framer.h; the message
 * list and their fields are in docs/wire-protocol.md. */
#ifndef DAPPER_WIRE_H
#define DAPPER_WIRE_H

#define WIRE_VERSION 1
#define WIRE_MAX_MESSAGE (64u * 1024u * 1024u)
#define WIRE_FD_ENV "DAPPER_RUNTIME_FD"
/* A program started in a terminal connects to this Unix socket instead and
 * sends this secret (hex) and a newline first (docs/security.md). */
#define WIRE_SOCKET_ENV "DAPPER_RUNTIME_SOCKET"
#define WIRE_SECRET_ENV "DAPPER_RUNTIME_SECRET"
/* dapper-adapter --connect: HOST:PORT the runtime connects to over TCP (an
 * adapter waiting with attach "listen"); no secret. */
#define WIRE_CONNECT_ENV "DAPPER_RUNTIME_CONNECT"

#endif
