/* spool.h - append-only JSON-lines files that hold records for later */
#ifndef SL_SPOOL_H
#define SL_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The file writers append to; closed files are renamed away from it. */
#define SL_SPOOL_CURRENT "current.jsonl"

struct sl_spool;

/*
 * Open the spool in dir (created 0700 if missing). Files are created
 * 0600. Once the current file reaches rotate_bytes it is closed: renamed
 * to spool-<ms>-<pid>-<n>.jsonl, ready for the relay. fsync_ms says when
 * appends are followed by fdatasync(2): -1 never (the page cache survives
 * any process crash, not a power cut), 0 after every append, N > 0 after
 * the first append that comes N ms or more after the last sync. Returns 0 and *out, or a negative
 * errno (the directory cannot be made or written).
 */
int sl_spool_open(const char *dir, uint64_t rotate_bytes, int fsync_ms,
		  struct sl_spool **out);

/*
 * Set the high watermark: the spool is full when its files hold more than
 * max_bytes, or the file system has less than min_free bytes free (0: no
 * such limit). See sl_spool_is_full().
 */
void sl_spool_set_watermark(struct sl_spool *sp, uint64_t max_bytes,
			    uint64_t min_free);

/*
 * True while the spool is over its high watermark: formats that may
 * refuse then answer 503. Measured at most once a second per process, so
 * it costs nothing per request.
 */
bool sl_spool_is_full(struct sl_spool *sp);

/*
 * Append len bytes of whole lines (each ending in '\n') to the current
 * file in one write under an exclusive lock, so lines from concurrent
 * processes never interleave. A short write (disk full, file size limit)
 * is cut back off, so the file never keeps half a batch; a torn line left
 * by a writer that died mid-write is closed off before new lines follow.
 * Safe to call from several threads of one process.
 * Returns 0 or a negative errno (-ENOSPC, -EFBIG, -EACCES, ...).
 */
int sl_spool_append(struct sl_spool *sp, const void *lines, size_t len)
	__attribute__((warn_unused_result));

/*
 * Close the current file now if it holds anything (the relay calls this so
 * fresh records need not wait for rotate_size). Returns 1 when a file was
 * closed, 0 when there was nothing to close, or a negative errno.
 */
int sl_spool_seal(struct sl_spool *sp);

/*
 * Write len bytes to a new file dir/name (0600, synced to disk) that no
 * writer or relay touches: lines kept for a human. Fails with -EEXIST
 * rather than overwrite, and leaves no partial file behind.
 * Returns 0 or a negative errno.
 */
int sl_spool_put_aside(const struct sl_spool *sp, const char *name,
		       const void *data, size_t len)
	__attribute__((warn_unused_result));

/*
 * The backlog: non-empty *.jsonl files in the spool directory and their
 * bytes.
 * Returns 0 or a negative errno.
 */
int sl_spool_stats(const struct sl_spool *sp, unsigned long *files,
		   uint64_t *bytes);

/* Close the file and free sp. NULL is allowed. */
void sl_spool_close(struct sl_spool *sp);

#endif /* SL_SPOOL_H */
