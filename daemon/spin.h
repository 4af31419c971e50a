/* Polling after traffic: for a short window after it has handled input the
 * daemon keeps polling its sockets instead of sleeping in the kernel, so
 * the answer to a message it just forwarded is picked up without a process
 * wakeup. The window is short (lim.spin_us) and ends with the traffic, so an
 * idle daemon sleeps as before.
 *
 * A window opens only while it pays (wire/pollwin.h): while recent windows
 * of its kind caught their input, and never while the host's processors
 * are all taken. */
#ifndef PVMD_SPIN_H
#define PVMD_SPIN_H

struct pvmd;

void pvmd_spin_init(struct pvmd *d);
/* Input was handled: (re)open the polling window. */
void pvmd_spin_kick(struct pvmd *d);
/* A message left for another host: keep the window open long enough
 * (lim.peer_spin_us) for its answer to come back. */
void pvmd_spin_kick_peer(struct pvmd *d);
void pvmd_spin_close(struct pvmd *d);

#endif
