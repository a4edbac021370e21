/*
 * registry.h — `basin registry`: Confluent-compatible Schema Registry.
 */
#ifndef BS_REGISTRY_H
#define BS_REGISTRY_H

/* Entry point of the `registry` subcommand (argv after "registry").
 * Returns the process exit status. */
int bs_registry_main(int argc, char **argv);

#endif
