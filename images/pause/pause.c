/*
 * images/pause/pause.c - the pod sandbox process of the local cluster.
 *
 * Holds the pod's namespaces open: sleeps until SIGTERM or SIGINT, then
 * exits 0, and reaps every child that is reparented to it (it is PID 1 of
 * the pod's PID namespace when the pod shares one). Built with
 * `gcc -static` by scripts/images into a one-file image, so it needs no libc
 * or anything else in its root filesystem.
 *
 * Why signals are blocked and taken with sigwaitinfo() rather than handled:
 * no race between checking a flag and going to sleep, and PID 1 of a
 * namespace still receives blocked signals (the kernel drops only signals
 * with the default action for it). Not a general init: it forwards nothing.
 *
 * `pause -v` prints the version and exits 0; any other argument is an error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "dev"
#endif

/* Reaps every child that has exited, without blocking. */
static void pause_reap(void)
{
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid > 0)
      continue;
    if (pid < 0 && errno == EINTR)
      continue;
    return; /* 0: children left but none exited; -1/ECHILD: none left */
  }
}

static void pause_ignore(int sig)
{
  (void)sig;
}

int main(int argc, char **argv)
{
  sigset_t set;
  struct sigaction sa;
  int sigs[] = {SIGTERM, SIGINT, SIGCHLD};
  size_t i;

  if (argc == 2 && strcmp(argv[1], "-v") == 0) {
    printf("devserver pause %s\n", PAUSE_VERSION);
    return 0;
  }
  if (argc > 1) {
    fprintf(stderr, "usage: pause [-v]\n");
    return 2;
  }

  /* A handler as well as the mask, so none of these is ever "ignored with
   * the default action" should something unblock it. */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = pause_ignore;
  sigemptyset(&set);
  for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    sigaddset(&set, sigs[i]);
    if (sigaction(sigs[i], &sa, NULL) != 0) {
      perror("pause: sigaction");
      return 1;
    }
  }
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
    perror("pause: sigprocmask");
    return 1;
  }

  for (;;) {
    int sig = sigwaitinfo(&set, NULL);
    if (sig < 0) {
      if (errno == EINTR)
        continue;
      perror("pause: sigwaitinfo");
      return 1;
    }
    if (sig == SIGCHLD) {
      pause_reap();
      continue;
    }
    /* SIGTERM or SIGINT: the sandbox is being stopped. */
    pause_reap();
    return 0;
  }
}
