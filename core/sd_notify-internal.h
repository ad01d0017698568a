/*
 * galvani core — private. systemd readiness notification (Type=notify)
 * without libsystemd: one datagram to $NOTIFY_SOCKET.
 */
#ifndef GLV_SD_NOTIFY_INTERNAL_H
#define GLV_SD_NOTIFY_INTERNAL_H

/* Sends state ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=…").
 * Returns 1 when sent, 0 when not under systemd, negative errno on error. */
int glv_sd_notify(const char *state);

#endif
