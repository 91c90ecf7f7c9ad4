#include "mail.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"

bool mail_address_plain(const char *s)
{
	if (!s[0] || s[0] == '-' || !strchr(s, '@'))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7F || *p == ',' || *p == '<' || *p == '>')
			return false;
	return true;
}

bool mail_send(const char *sendmail, const char *message, size_t len, char *err, size_t errlen)
{
	if (access(sendmail, X_OK) != 0) {
		snprintf(err, errlen,
		         "Could not run %s (%s). Check `sendmail` in the configuration.", sendmail,
		         strerror(errno));
		return false;
	}
	int pipe_fds[2];
	if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "Could not start sendmail (%s).", strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "Could not start sendmail (%s).", strerror(errno));
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return false;
	}
	if (pid == 0) {
		if (dup2(pipe_fds[0], STDIN_FILENO) < 0)
			_exit(127);
		execl(sendmail, sendmail, "-t", "-oi", (char *)NULL);
		_exit(127);
	}
	close(pipe_fds[0]);
	/* A sendmail that exits early must not kill us with SIGPIPE. */
	struct sigaction ignore = {0}, previous;
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGPIPE, &ignore, &previous);
	int write_error = write_all(pipe_fds[1], message, len);
	close(pipe_fds[1]);
	sigaction(SIGPIPE, &previous, NULL);
	int status;
	pid_t waited;
	do
		waited = waitpid(pid, &status, 0);
	while (waited < 0 && errno == EINTR);
	if (waited < 0) {
		snprintf(err, errlen, "Could not learn whether sendmail succeeded (%s).",
		         strerror(errno));
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && write_error == 0)
		return true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(err, errlen, "Could not run %s.", sendmail);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "%s failed (exit status %d).", sendmail, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "%s was stopped by signal %d.", sendmail, WTERMSIG(status));
	else
		snprintf(err, errlen, "Could not hand the message to %s (%s).", sendmail,
		         strerror(write_error));
	return false;
}
