/*
 * server: the FastCGI process model shared by every program.
 *
 * A supervising parent opens (or inherits) the listening socket, forks N
 * workers and replaces any worker that dies. Each worker waits for a
 * connection with ppoll(), so SIGTERM is only ever delivered while it is
 * idle: a request in flight always finishes. On SIGTERM or SIGINT the parent
 * tells the workers, waits for them and exits 0.
 *
 * Listen addresses: "unix:/path" (the socket file is replaced, mode 0666:
 * put it in a directory that only the web server can reach), "host:port" or
 * ":port" (loopback unless a host is named), or "" to use an inherited
 * listening socket: fd 0 (spawn-fcgi, mod_fcgid, systemd StandardInput=socket)
 * or systemd's LISTEN_FDS (fd 3).
 */
#ifndef CLINIC_SERVER_H
#define CLINIC_SERVER_H

#include <stdbool.h>

#include "http.h"
#include "sandbox.h"

struct server_options {
	const char *name;   /* for log lines */
	const char *listen; /* see above */
	int workers;
	/* Called in each worker after fork, before it accepts: open databases
	 * here, never before fork. Returns false (after logging) to stop. A
	 * program keeps its state in its own file: one worker, one request at
	 * a time. */
	bool (*worker_start)(void);
	/* Called once per request; the request is finished by the server. */
	void (*handle)(struct request *req);
	/* Entered by each worker right after worker_start succeeds; a worker
	 * that cannot enter it exits instead of serving unconfined. */
	enum sandbox_profile sandbox;
};

/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int server_run(const struct server_options *options);

/* Opens the listening socket described by address (see above); -1 on failure
 * with the reason in err. Exposed for tests and tools. */
int server_listen(const char *address, char *err, size_t errlen);

#endif
