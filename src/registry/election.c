/*
 * election.c — leader election for the Schema Registry.
 *
 * Single-instance mode (this version): the instance is the leader when
 * leader.eligibility is true; otherwise no leader is known and writes get
 * 50004. The group-protocol election (protocol type "sr") replaces this.
 */
#include "registry/registry_int.h"

int bs_reg_election_start(bs_registry_t *r, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    r->elections = false;
    bs_reg_set_leader(r, r->cfg->leader_eligibility, NULL);
    return 0;
}

void bs_reg_election_stop(bs_registry_t *r)
{
    (void)r;
}
