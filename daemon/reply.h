/* Answers to a task's control requests: the reply repeats the request's
 * req_id. Apart from the dispatcher (request.c) so that the subsystems
 * that answer requests depend on the connection, not on the dispatcher
 * that calls them. */
#ifndef PVMD_REPLY_H
#define PVMD_REPLY_H

#include <stdint.h>

#include "frame.h"

struct pvmd_conn;

/* Sends m (not taken) to c as the answer to request req_id (sets
 * m->req_id). */
void pvmd_reply_send(struct pvmd_conn *c, Pvmng__Control *m, uint32_t req_id);

/* Answers request req_id with a Status (code, value, optional reason). */
void pvmd_reply_status(struct pvmd_conn *c, uint32_t req_id, int code,
                       int value, const char *reason);

#endif
