/* Answers to a task's control requests (reply.h). */
#include "reply.h"

#include "taskconn.h"

void pvmd_reply_send(struct pvmd_conn *c, Pvmng__Control *m, uint32_t req_id) {
  m->req_id = req_id;
  pvmd_conn_send_control(c, m);
}

void pvmd_reply_status(struct pvmd_conn *c, uint32_t req_id, int code,
                       int value, const char *reason) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__Status s = PVMNG__STATUS__INIT;
  s.code = code;
  s.value = value;
  if (reason)
    s.reason = (char *)reason;
  m.body_case = PVMNG__CONTROL__BODY_STATUS;
  m.status = &s;
  pvmd_reply_send(c, &m, req_id);
}
