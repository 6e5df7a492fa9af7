/*
 * proc_count.h - what this process holds, for the console tests that
 * check nothing is left behind (check_console, console_driver): its
 * threads, its open file descriptors (handles on Windows), and a sleep.
 * One implementation per platform: proc_count_posix.c (Linux /proc),
 * proc_count_win32.c.  Every count is -1 when it cannot be taken.
 */
#ifndef PROC_COUNT_H
#define PROC_COUNT_H

/* Threads of this process as the system lists them.  On Linux a thread
 * just joined may still be listed for a moment (pthread_join returns when
 * the kernel clears its tid, a little before the task is gone). */
int proc_count_threads(void);

/* Threads of this process still running: on Linux those listed in
 * /proc/self/task that are not dead ('Z' or 'X' state); on Windows the
 * same as proc_count_threads. */
int proc_count_live_threads(void);

/* Open file descriptors (/proc/self/fd) or, on Windows, handles of the
 * process (wine 8 always says 0). */
int proc_count_fds(void);

/* Sleeps about `ms` milliseconds. */
void proc_sleep_ms(int ms);

#endif
