/*
 * tools.h — entry points of the console tools (`basin topics|produce|consume|
 * groups`). Each takes the arguments after the subcommand name and returns
 * the process exit code: 0 success, 1 a failure talking to Kafka (message
 * printed), 2 bad arguments (message naming the problem printed).
 */
#ifndef BS_TOOLS_H
#define BS_TOOLS_H

int bs_tools_topics_main(int argc, char **argv);
int bs_tools_produce_main(int argc, char **argv);
int bs_tools_consume_main(int argc, char **argv);
int bs_tools_groups_main(int argc, char **argv);

#endif
