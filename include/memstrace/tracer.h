/* SPDX-License-Identifier: MIT */
/*
 * tracer: the ptrace event loop. It starts the program under a seccomp
 * filter that stops only the memory syscalls, follows every task it creates,
 * turns each stop into an event for the model, passes every signal through,
 * and writes the report when the last task is gone.
 */
#ifndef MEMSTRACE_TRACER_H
#define MEMSTRACE_TRACER_H

#include <stdio.h>

#include "memstrace/options.h"

/*
 * Runs opt->argv to its end and writes the report to out. Returns the exit
 * status memstrace should exit with: the program's, 128+N if signal N killed
 * it, or 1 if it could not be started (after one line on stderr).
 */
int tracer_launch(const struct options *opt, FILE *out);

/*
 * Attaches to every process of opt->pids, traces until SIGINT, SIGTERM or
 * SIGHUP (or until they all exit), writes the report taken while every
 * thread is stopped, and detaches leaving each as it was. Returns 0, or 1
 * after one line on stderr if a pid cannot be traced (then nothing is).
 */
int tracer_attach(const struct options *opt, FILE *out);

/*
 * Finds the program as execvp() would. Returns 0 and a malloc'd path, or
 * -errno with one line on stderr.
 */
int tracer_resolve_program(const char *name, char **path);

#endif
