/*
 * run-child: runs one program of benches/compare.sh and reports the peak
 * RSS of that program alone, its wall time and the moment it exited.
 *
 *     run-child REPORT_FD COMMAND [ARG...]
 *
 * Writes two lines to the file descriptor REPORT_FD (which the command
 * does not inherit):
 *
 *     pid PID                                  as soon as it has started
 *     done STATUS MAXRSS_KB WALL_NS EXITED_NS  once it has exited
 *
 * STATUS is the exit code, or minus the signal that ended it (as Python's
 * returncode); MAXRSS_KB is ru_maxrss from wait4(2) of the command, in KB;
 * WALL_NS is the time from just before fork(2) to wait4's return
 * (CLOCK_MONOTONIC); EXITED_NS is the moment wait4 returned
 * (CLOCK_REALTIME, nanoseconds since the epoch, as Go's time.Now().UnixNano()
 * and the Rust sides' `main-end` lines). The command's standard streams are
 * run-child's own.
 *
 * Why a C program and not Popen + os.wait4 in the harness: at exec(2)
 * Linux folds the high-water RSS of the memory the process had before
 * (its parent's, copied by fork or shared by vfork) into the ru_maxrss
 * that wait4 reports, so a child started straight from Python reports at
 * least the Python harness's own peak RSS (14 MB and more). Forked from
 * this small static program instead, the floor is a few hundred KB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: run-child REPORT_FD COMMAND [ARG...]\n");
        return 125;
    }
    int fd = atoi(argv[1]);
    FILE *report = fdopen(fd, "w");
    if (report == NULL || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        perror("run-child: report fd");
        return 125;
    }
    long long start = now_ns(CLOCK_MONOTONIC);
    pid_t pid = fork();
    if (pid < 0) {
        perror("run-child: fork");
        return 125;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "run-child: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    fprintf(report, "pid %d\n", (int)pid);
    fflush(report);
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("run-child: wait4");
            return 125;
        }
    }
    long long exited = now_ns(CLOCK_REALTIME);
    long long wall = now_ns(CLOCK_MONOTONIC) - start;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    fprintf(report, "done %d %ld %lld %lld\n", code, usage.ru_maxrss, wall, exited);
    return fclose(report) == 0 ? 0 : 125;
}
