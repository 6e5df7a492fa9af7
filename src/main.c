/*
 * main.c - the shipped binary: the driver around the LPC application
 * (src/lpc_app.h).  The end-to-end tests use their own echo application
 * (testsuite/echo_app.c) around the same driver.
 */
#include "driver.h"
#include "lpc_app.h"

int main(int argc, char **argv)
{
    return driver_main(argc, argv, &lpc_app);
}
