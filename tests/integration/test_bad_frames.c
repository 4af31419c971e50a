/* Malformed and out-of-place input at a running pvmd: each case uses its own
 * raw connection, checks that the daemon closes that connection within 1 s,
 * and that a well-behaved client is still served afterwards. Then two raw
 * clients exchange a message through the daemon, and a halt must stop it
 * cleanly (exit 0 — which also means no sanitizer report — and no files
 * left). Usage: test_bad_frames <path of pvmd>. */
#include <pvm3.h>

#include "pvmd_raw.h"

/* The daemon must hang up on fd within 1 s. */
static void expect_closed(int fd, const char *what) {
  RAW_CHECK(raw_wait_eof(fd, 1.0), "%s: connection still open after 1 s", what);
  close(fd);
  raw_note("ok: %s: connection closed", what);
  raw_check_serving(what);
}

static void bad_magic(void) {
  uint8_t hdr[PVMW_HDR_LEN] = {0xde, 0xad, 0xbe, 0xef, 1, 1, 0, 0, 0, 0, 0, 4};
  int fd = raw_connect();
  raw_write_lenient(fd, hdr, sizeof hdr);
  raw_write_lenient(fd, "abcd", 4);
  expect_closed(fd, "bad magic");
}

static void oversized(void) {
  uint8_t hdr[PVMW_HDR_LEN];
  int fd = raw_connect();
  /* Message frame claiming 2 GiB - 1: refused before any allocation. */
  pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, 0x7fffffffu);
  raw_write_lenient(fd, hdr, sizeof hdr);
  expect_closed(fd, "oversized message frame");

  fd = raw_connect();
  /* Control frame just over the control cap. */
  pvmw_hdr_put(hdr, PVMW_FT_CONTROL, PVMW_MAX_CONTROL + 1);
  raw_write_lenient(fd, hdr, sizeof hdr);
  expect_closed(fd, "oversized control frame");
}

static void truncated(void) {
  uint8_t hdr[PVMW_HDR_LEN];
  int fd = raw_connect();
  pvmw_hdr_put(hdr, PVMW_FT_CONTROL, 100);
  raw_write_all(fd, hdr, sizeof hdr);
  raw_write_all(fd, "0123456789", 10);
  shutdown(fd, SHUT_WR); /* the frame will never be completed */
  expect_closed(fd, "truncated frame then end of stream");

  /* The same, with a plain close and nothing to read back. */
  fd = raw_connect();
  raw_write_all(fd, hdr, sizeof hdr);
  raw_write_all(fd, "01234", 5);
  close(fd);
  raw_check_serving("truncated frame then close");
}

static void message_before_hello(void) {
  int fd = raw_connect();
  pvmw_frame *f = raw_message(0x40001, 0x40001, 1, "x", 1);
  raw_write_lenient(fd, f->raw, f->raw_len);
  pvmw_frame_free(f);
  expect_closed(fd, "message frame before hello");
}

static void control_before_hello(void) {
  Pvmng__Control m = PVMNG__CONTROL__INIT;
  Pvmng__ConfigRequest cr = PVMNG__CONFIG_REQUEST__INIT;
  int fd = raw_connect();
  m.req_id = 5;
  m.body_case = PVMNG__CONTROL__BODY_CONFIG;
  m.config = &cr;
  raw_send_control(fd, &m);
  expect_closed(fd, "config request before hello");
}

static void wrong_source(void) {
  int fd = raw_connect();
  int tid = raw_hello(fd);
  pvmw_frame *f = raw_message(tid + 1, tid, 1, "spoof", 5);
  raw_write_lenient(fd, f->raw, f->raw_len);
  pvmw_frame_free(f);
  expect_closed(fd, "message with another task's source");

  /* A header that does not decode. */
  fd = raw_connect();
  raw_hello(fd);
  {
    uint8_t junk[8] = {0x00, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    raw_send_frame(fd, PVMW_FT_MESSAGE, junk, sizeof junk);
  }
  expect_closed(fd, "message with an undecodable header");
}

static void garbage_control(void) {
  static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f,
                                 0x12, 0x99, 0x01, 0x02, 0x03};
  int fd = raw_connect();
  raw_hello(fd);
  raw_send_frame(fd, PVMW_FT_CONTROL, junk, sizeof junk);
  expect_closed(fd, "garbage protobuf in a control frame");

  fd = raw_connect();
  raw_send_frame(fd, PVMW_FT_CONTROL, junk, sizeof junk);
  expect_closed(fd, "garbage protobuf as the first frame");

  /* Well-formed, but not a request: a reply body, and no req_id. */
  fd = raw_connect();
  raw_hello(fd);
  {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__Status s = PVMNG__STATUS__INIT;
    m.req_id = 3;
    m.body_case = PVMNG__CONTROL__BODY_STATUS;
    m.status = &s;
    raw_send_control(fd, &m);
  }
  expect_closed(fd, "a Status sent as a request");

  fd = raw_connect();
  raw_hello(fd);
  {
    Pvmng__Control m = PVMNG__CONTROL__INIT;
    Pvmng__ConfigRequest cr = PVMNG__CONFIG_REQUEST__INIT;
    m.req_id = 0;
    m.body_case = PVMNG__CONTROL__BODY_CONFIG;
    m.config = &cr;
    raw_send_control(fd, &m);
  }
  expect_closed(fd, "a request without req_id");
}

static void wrong_version(void) {
  int fd = raw_connect();
  Pvmng__Control *r = raw_hello_full(fd, PVMW_VERSION + 98, raw.vmid, 0);
  RAW_CHECK(r->hello_reply->code == PvmBadVersion,
            "wrong version answered with code %d, expected PvmBadVersion",
            r->hello_reply->code);
  RAW_CHECK(r->hello_reply->reason[0] != '\0', "no reason given");
  raw_note("ok: version refusal: \"%s\"", r->hello_reply->reason);
  pvmng__control__free_unpacked(r, NULL);
  expect_closed(fd, "hello with the wrong protocol version");

  /* A frame header of another protocol version, before any hello. */
  fd = raw_connect();
  {
    uint8_t hdr[PVMW_HDR_LEN];
    pvmw_hdr_put(hdr, PVMW_FT_CONTROL, 4);
    hdr[4] = (uint8_t)(PVMW_VERSION + 1);
    raw_write_lenient(fd, hdr, sizeof hdr);
    raw_write_lenient(fd, "abcd", 4);
    r = raw_recv_control(fd, 2, 0);
    RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_HELLO_REPLY &&
                  r->hello_reply->code == PvmBadVersion,
              "header of another version not answered with PvmBadVersion");
    pvmng__control__free_unpacked(r, NULL);
  }
  expect_closed(fd, "frame header of another protocol version");

  fd = raw_connect();
  r = raw_hello_full(fd, PVMW_VERSION, "another-vm", 0);
  RAW_CHECK(r->hello_reply->code == PvmDenied,
            "wrong VM id answered with code %d, expected PvmDenied",
            r->hello_reply->code);
  pvmng__control__free_unpacked(r, NULL);
  expect_closed(fd, "hello with the wrong VM id");
}

/* Two raw clients: a message goes through the daemon byte for byte, in
 * order, in both directions; messages to nobody are dropped quietly. */
static void routing(void) {
  int ta, tb, a = raw_good_client(&ta), b = raw_good_client(&tb);
  char body[3000];
  pvmw_frame *sent[3], *got;

  RAW_CHECK(ta != tb, "two clients got the same tid 0x%x", (unsigned)ta);
  for (size_t i = 0; i < sizeof body; i++)
    body[i] = (char)(i * 7);
  sent[0] = raw_message(ta, tb, 11, "first", 5);
  sent[1] = raw_message(ta, tb, 12, body, sizeof body);
  sent[2] = raw_message(ta, tb, 13, "", 0);
  for (int i = 0; i < 3; i++)
    raw_write_all(a, sent[i]->raw, sent[i]->raw_len);
  /* Dropped: no such task, the daemon itself, another host. */
  {
    pvmw_frame *f = raw_message(ta, pvmw_tid_make(1, 0x3fff0), 1, "x", 1);
    raw_write_all(a, f->raw, f->raw_len);
    pvmw_frame_free(f);
    f = raw_message(ta, 0x40000, 1, "x", 1);
    raw_write_all(a, f->raw, f->raw_len);
    pvmw_frame_free(f);
    f = raw_message(ta, pvmw_tid_make(7, 1), 1, "x", 1);
    raw_write_all(a, f->raw, f->raw_len);
    pvmw_frame_free(f);
  }
  for (int i = 0; i < 3; i++) {
    got = raw_recv_frame(b, 5, NULL);
    RAW_CHECK(got != NULL, "message %d did not arrive", i);
    RAW_CHECK(got->raw_len == sent[i]->raw_len &&
                  memcmp(got->raw, sent[i]->raw, got->raw_len) == 0,
              "message %d changed on the way", i);
    pvmw_frame_free(got);
    pvmw_frame_free(sent[i]);
  }
  got = raw_message(tb, ta, 21, "reply", 5);
  raw_write_all(b, got->raw, got->raw_len);
  pvmw_frame_free(got);
  got = raw_recv_frame(a, 5, NULL);
  RAW_CHECK(got != NULL && got->type == PVMW_FT_MESSAGE,
            "reply did not arrive");
  {
    Pvmng__MsgHeader h;
    const uint8_t *p;
    uint32_t n;
    RAW_CHECK(pvmw_msghdr_decode(got->payload, got->len, &h, &p, &n) == 0 &&
                  (int)h.src == tb && (int)h.dst == ta && h.tag == 21 &&
                  n == 5 && memcmp(p, "reply", 5) == 0,
              "reply header or body wrong");
  }
  pvmw_frame_free(got);
  raw_note("ok: routing between two raw clients");
  /* The sender is still served after its dropped messages. */
  {
    Pvmng__Control m = PVMNG__CONTROL__INIT, *r;
    Pvmng__PstatRequest ps = PVMNG__PSTAT_REQUEST__INIT;
    ps.tid = (uint32_t)tb;
    m.body_case = PVMNG__CONTROL__BODY_PSTAT;
    m.pstat = &ps;
    r = raw_request(a, &m, 31);
    RAW_CHECK(r->body_case == PVMNG__CONTROL__BODY_STATUS &&
                  r->status->code == 0 && r->status->value == PvmOk,
              "pstat of a connected task is not PvmOk");
    pvmng__control__free_unpacked(r, NULL);
  }
  close(b);
  close(a);
}

/* Many bad connections at once, interleaved with good traffic. */
static void burst(void) {
  int fds[64];
  uint8_t hdr[PVMW_HDR_LEN];
  for (int i = 0; i < 64; i++) {
    fds[i] = raw_connect();
    if (i % 2)
      pvmw_hdr_put(hdr, PVMW_FT_MESSAGE, 0xfffffff0u);
    else
      memset(hdr, 'A' + i % 26, sizeof hdr);
    raw_write_lenient(fds[i], hdr, sizeof hdr);
  }
  for (int i = 0; i < 64; i++) {
    RAW_CHECK(raw_wait_eof(fds[i], 2.0), "burst connection %d still open", i);
    close(fds[i]);
  }
  raw_check_serving("a burst of 64 bad connections");
}

int main(int argc, char **argv) {
  pid_t pid;
  if (argc != 2) {
    fprintf(stderr, "usage: %s <path of pvmd>\n", argv[0]);
    return 2;
  }
  raw_setup(argv[0], argv[1], 100);
  pid = raw_start_pvmd();
  raw_check_serving("start-up");

  bad_magic();
  oversized();
  truncated();
  message_before_hello();
  control_before_hello();
  wrong_source();
  garbage_control();
  wrong_version();
  routing();
  burst();

  raw_halt_and_check(pid);
  raw_cleanup();
  raw_note("PASS");
  return 0;
}
