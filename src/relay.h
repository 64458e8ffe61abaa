/* relay.h - ship the spool to Kafka */
#ifndef SL_RELAY_H
#define SL_RELAY_H

#include <signal.h>
#include <stdbool.h>

#include "conf.h"

/*
 * Ship every record in cfg's spool to cfg's Kafka brokers.
 *
 * A file is claimed by renaming it (spool-X.jsonl -> relay-PID-X.jsonl),
 * so two relays never ship the same file; a claim whose relay is no
 * longer alive (it was killed) is taken back at start. Every line of the
 * file is produced; the file is deleted only once every record has been
 * reported delivered or, failing that, put back into the spool. A line
 * that does not parse (a torn last line) is logged and counted, and keeps
 * its file: it is renamed bad-X.jsonl for a human to look at.
 *
 * once: ship what is there now (closing the current file first) and
 * return. Otherwise follow the directory (inotify) until *stop is set.
 * Progress and totals go to stderr. Returns 0, 1 when something could
 * not be shipped, or SL_RELAY_NO_BROKERS when kafka.brokers is empty: a
 * spool-only deployment, for which a service manager should not restart
 * the relay.
 */
#define SL_RELAY_NO_BROKERS 78 /* EX_CONFIG of sysexits.h */

int sl_relay_run(const struct sl_config *cfg, bool once,
		 volatile sig_atomic_t *stop);

#endif /* SL_RELAY_H */
