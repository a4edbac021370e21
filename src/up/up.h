/*
 * up.h — `basin up` (run the local platform as supervised child processes)
 * and `basin status` (report on it). Both return the process exit code.
 */
#ifndef BS_UP_H
#define BS_UP_H

int bs_up_main(int argc, char **argv);
int bs_up_status_main(int argc, char **argv);

#endif
