/* spool.c - append-only JSON-lines files that hold records for later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "spool.h"

struct sl_spool {
	char *dir;
	char *current;		/* dir/current.jsonl */
	int fd;			/* open on current, or -1 */
	uint64_t rotate_bytes;
	int fsync_ms;		/* see sl_spool_open() */
	int64_t synced;		/* monotonic ms of the last fdatasync */
	unsigned long seq;	/* closed files made by this process */
	pthread_mutex_t lock;	/* flock does not part threads sharing fd */
	uint64_t max_bytes;	/* high watermark: bytes in files (0: none) */
	uint64_t min_free;	/* ... or free bytes on the fs (0: none) */
	time_t checked;		/* when full was last measured */
	bool full;
};

int sl_spool_open(const char *dir, uint64_t rotate_bytes, int fsync_ms,
		  struct sl_spool **out)
{
	struct sl_spool *sp;
	size_t len = strlen(dir);

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (access(dir, W_OK | X_OK))
		return -errno;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	pthread_mutex_init(&sp->lock, NULL);
	sp->dir = strdup(dir);
	sp->current = malloc(len + sizeof(SL_SPOOL_CURRENT) + 1);
	if (!sp->dir || !sp->current) {
		sl_spool_close(sp);
		return -ENOMEM;
	}
	snprintf(sp->current, len + sizeof(SL_SPOOL_CURRENT) + 1, "%s/%s",
		 dir, SL_SPOOL_CURRENT);
	sp->fd = -1;
	sp->rotate_bytes = rotate_bytes;
	sp->fsync_ms = fsync_ms;
	*out = sp;
	return 0;
}

/* Open and lock the file now named current. Another process may rename
 * it between our open and our lock: then the inode behind the name has
 * changed and we open again. Returns 0 with st filled, or -errno. */
static int lock_current(struct sl_spool *sp, struct stat *st)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		struct stat named;

		if (sp->fd < 0) {
			sp->fd = open(sp->current,
				      O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
				      0600);
			if (sp->fd < 0)
				return -errno;
		}
		if (flock(sp->fd, LOCK_EX))
			return -errno;
		if (fstat(sp->fd, st))
			return -errno;
		if (stat(sp->current, &named) == 0 &&
		    named.st_ino == st->st_ino && named.st_dev == st->st_dev)
			return 0;
		flock(sp->fd, LOCK_UN);
		close(sp->fd);
		sp->fd = -1;
	}
	return -EAGAIN;
}

/* True when the file's last byte is not a newline (a torn line). The
 * file is opened O_RDWR for this one read. */
static bool ends_torn(int fd, off_t size)
{
	char last;

	return size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n';
}

/* Rename the locked current file to a closed spool file. */
static void rotate(struct sl_spool *sp)
{
	char name[PATH_MAX];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "%s/spool-%lld%03ld-%ld-%lu.jsonl",
		 sp->dir, (long long)ts.tv_sec, ts.tv_nsec / 1000000,
		 (long)getpid(), sp->seq++);
	/* A failed rename leaves the file current: it only grows longer. */
	(void)rename(sp->current, name);
}

static ssize_t write_all(int fd, const char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENOSPC;
		done += (size_t)n;
	}
	return 0;
}

static int append_locked(struct sl_spool *sp, const void *lines, size_t len)
{
	struct stat st;
	int rc;

	rc = lock_current(sp, &st);
	if (rc) {
		if (sp->fd >= 0) {
			close(sp->fd);
			sp->fd = -1;
		}
		return rc;
	}
	if (ends_torn(sp->fd, st.st_size))
		rc = (int)write_all(sp->fd, "\n", 1);
	if (!rc)
		rc = (int)write_all(sp->fd, lines, len);
	if (!rc && sp->fsync_ms >= 0) {
		struct timespec ts;
		int64_t now;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (now - sp->synced >= sp->fsync_ms) {
			if (fdatasync(sp->fd))
				rc = -errno;
			else
				sp->synced = now;
		}
	}
	if (rc) {
		/* Take back whatever part of the batch reached the file. */
		if (ftruncate(sp->fd, st.st_size)) {
			/* The torn tail is closed off by the next append. */
		}
	} else if ((uint64_t)st.st_size + len >= sp->rotate_bytes) {
		rotate(sp);
	}
	flock(sp->fd, LOCK_UN);
	return rc;
}

int sl_spool_append(struct sl_spool *sp, const void *lines, size_t len)
{
	int rc;

	pthread_mutex_lock(&sp->lock);
	rc = append_locked(sp, lines, len);
	pthread_mutex_unlock(&sp->lock);
	if (rc) {
		sl_metrics_add(SL_M_SPOOL_ERRORS, 1);
	} else {
		const char *p = lines, *end = p + len;
		uint64_t n = 0;

		while ((p = memchr(p, '\n', (size_t)(end - p)))) {
			n++;
			p++;
		}
		sl_metrics_add(SL_M_SPOOLED, n);
	}
	return rc;
}

int sl_spool_seal(struct sl_spool *sp)
{
	struct stat st;
	int rc;

	pthread_mutex_lock(&sp->lock);
	if (access(sp->current, F_OK)) {
		pthread_mutex_unlock(&sp->lock);
		return 0;
	}
	rc = lock_current(sp, &st);
	if (!rc && st.st_size > 0) {
		if (ends_torn(sp->fd, st.st_size))
			rc = (int)write_all(sp->fd, "\n", 1);
		rotate(sp);
		rc = rc ? rc : 1;
	}
	if (sp->fd >= 0) {
		flock(sp->fd, LOCK_UN);
		close(sp->fd);
		sp->fd = -1;
	}
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

int sl_spool_put_aside(const struct sl_spool *sp, const char *name,
		       const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd, rc;

	if (snprintf(path, sizeof(path), "%s/%s", sp->dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = (int)write_all(fd, data, len);
	if (!rc && fdatasync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
	return rc;
}

void sl_spool_set_watermark(struct sl_spool *sp, uint64_t max_bytes,
			    uint64_t min_free)
{
	sp->max_bytes = max_bytes;
	sp->min_free = min_free;
}

int sl_spool_stats(const struct sl_spool *sp, unsigned long *files,
		   uint64_t *bytes)
{
	DIR *dir = opendir(sp->dir);
	struct dirent *de;
	struct stat st;

	*files = 0;
	*bytes = 0;
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.' && strlen(de->d_name) > 6 &&
		    !strcmp(de->d_name + strlen(de->d_name) - 6, ".jsonl") &&
		    !fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode) && st.st_size > 0) {
			(*files)++;
			*bytes += (uint64_t)st.st_size;
		}
	closedir(dir);
	return 0;
}

bool sl_spool_is_full(struct sl_spool *sp)
{
	struct timespec now;
	struct statvfs vfs;
	bool full = false;

	if (!sp->max_bytes && !sp->min_free)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Measured this second: the answer without the lock (checked is
	 * stored after full, with release order). */
	if (now.tv_sec && __atomic_load_n(&sp->checked, __ATOMIC_ACQUIRE) ==
			  now.tv_sec)
		return __atomic_load_n(&sp->full, __ATOMIC_RELAXED);
	pthread_mutex_lock(&sp->lock);
	if (sp->checked && now.tv_sec == sp->checked) {
		full = sp->full;
		goto out;
	}
	if (sp->max_bytes) {
		unsigned long files;
		uint64_t bytes;

		if (!sl_spool_stats(sp, &files, &bytes) && bytes > sp->max_bytes)
			full = true;
	}
	if (sp->min_free && !statvfs(sp->dir, &vfs) &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < sp->min_free)
		full = true;
	__atomic_store_n(&sp->full, full, __ATOMIC_RELAXED);
	__atomic_store_n(&sp->checked, now.tv_sec ? now.tv_sec : 1,
			 __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&sp->lock);
	return full;
}

void sl_spool_close(struct sl_spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	pthread_mutex_destroy(&sp->lock);
	free(sp->dir);
	free(sp->current);
	free(sp);
}
