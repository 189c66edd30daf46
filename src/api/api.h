/* api.h - the DevServer API contract shared by the operator and devctl.
 *
 * Names both sides must agree on - annotations the operator writes and
 * devctl reads or clears - live here once, so a rename cannot split them.
 * Depends on nothing; everything above src/core may include it.
 */
#ifndef DEVSERVER_API_API_H
#define DEVSERVER_API_API_H

/* Why spec.stopped is true when the operator set it: "idle" (idle
 * shutdown). Absent: the user stopped it. devctl start and stop clear it. */
#define API_ANNOTATION_STOPPED_BY "devserver.io/stopped-by"
#define API_STOPPED_BY_IDLE "idle"

/* A restart the user asked for (devctl restart): an RFC 3339 time on the
 * DevServer; the operator copies it onto the pod template, which makes a new
 * pod, and applies any change it held back. */
#define API_ANNOTATION_RESTART "devserver.io/restart"

#endif
