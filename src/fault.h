/* fault.h - failures on demand, for the tests of the paths that keep records
 *
 * Built with ./configure --enable-fault-injection, the environment
 * variable SLUICE_FAULT names calls that fail as if memory had run out:
 * "batch_add:3" makes the third record added to a request's batch fail,
 * "produce:1,relay_spill:1" the first produce and the first line the
 * relay keeps back for the spool. Each count is per process and names one
 * call. Without the switch sl_fault() is false and costs nothing.
 */
#ifndef SL_FAULT_H
#define SL_FAULT_H

#include <stdbool.h>

enum sl_fault_site {
	SL_FAULT_BATCH_ADD,	/* sink.c: a record joins its batch */
	SL_FAULT_SPOOL_LINE,	/* spoolline.c: a record becomes a line */
	SL_FAULT_PRODUCE,	/* kafka.c: librdkafka takes a record */
	SL_FAULT_RELAY_SPILL,	/* relay.c: a line is kept for the spool */
	SL_FAULT_SITES,
};

#ifdef SL_FAULT_INJECTION
/* True when this call at site is one SLUICE_FAULT says must fail. */
bool sl_fault(enum sl_fault_site site);
#else
static inline bool sl_fault(enum sl_fault_site site)
{
	(void)site;
	return false;
}
#endif

#endif /* SL_FAULT_H */
