/*
 * proc_count_win32.c - proc_count.h on Windows (a Toolhelp snapshot of
 * the system's threads, the process's handle count).
 */
#include "config.h"
#include "proc_count.h"

#include <windows.h>
#include <tlhelp32.h>

int proc_count_threads(void)
{
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    if (snap == INVALID_HANDLE_VALUE)
        return -1;
    THREADENTRY32 te;
    te.dwSize = sizeof(te);
    int n = 0;
    DWORD self = GetCurrentProcessId();
    for (BOOL ok = Thread32First(snap, &te); ok; ok = Thread32Next(snap, &te))
        if (te.th32OwnerProcessID == self)
            n++;
    CloseHandle(snap);
    return n;
}

/* The same count: no dying-thread state to filter out here. */
int proc_count_live_threads(void)
{
    return proc_count_threads();
}

int proc_count_fds(void)
{
    DWORD n = 0;
    return GetProcessHandleCount(GetCurrentProcess(), &n) ? (int)n : -1;
}

void proc_sleep_ms(int ms)
{
    Sleep((DWORD)ms);
}
