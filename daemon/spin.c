/* The polling window after traffic (see spin.h). An active libuv idle
 * handle makes the loop poll its descriptors without blocking; the handle
 * stops itself once no input has come for the window's length. */
#include "spin.h"

#include <uv.h>

#include "pollwin.h"
#include "pvmd.h"

static void on_idle(uv_idle_t *h) {
  struct pvmd *d = h->data;
  if (uv_hrtime() > d->spin_until)
    uv_idle_stop(h);
}

void pvmd_spin_init(struct pvmd *d) {
  uv_idle_init(&d->loop, &d->spin);
  d->spin.data = d;
  d->spin_open = 1;
}

/* Keeps the window open for at least us from now. */
static void kick(struct pvmd *d, unsigned us, uint64_t now) {
  uint64_t until;
  if (!d->spin_open || us == 0 || pvmw_cpu_crowded(now))
    return;
  until = now + (uint64_t)us * 1000u;
  if (!uv_is_active((uv_handle_t *)&d->spin) || until > d->spin_until)
    d->spin_until = until;
  if (!uv_is_active((uv_handle_t *)&d->spin))
    uv_idle_start(&d->spin, on_idle);
}

void pvmd_spin_kick(struct pvmd *d) {
  uint64_t now = uv_hrtime();
  /* Input: scores the window a message to another host opened, then the
   * one the previous input opened, and opens the next if inputs come
   * close together. */
  pvmw_pollwin_input(&d->spin_peer, now, d->lim.peer_spin_us);
  pvmw_pollwin_input(&d->spin_in, now, d->lim.spin_us);
  if (pvmw_pollwin_open(&d->spin_in, now, d->lim.spin_us))
    kick(d, d->lim.spin_us, now);
}

void pvmd_spin_kick_peer(struct pvmd *d) {
  uint64_t now = uv_hrtime();
  if (pvmw_pollwin_open(&d->spin_peer, now, d->lim.peer_spin_us))
    kick(d, d->lim.peer_spin_us, now);
}

void pvmd_spin_close(struct pvmd *d) {
  if (d->spin_open) {
    d->spin_open = 0;
    uv_close((uv_handle_t *)&d->spin, NULL);
  }
}
