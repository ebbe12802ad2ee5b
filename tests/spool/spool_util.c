/* Shared helpers of the spool tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool_util.h"

int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *tmp = getenv("TMPDIR");

	if (fx == NULL)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "%s/rtw-spool-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(fx->root) == NULL) {
		free(fx);
		return -1;
	}
	snprintf(fx->dir, sizeof(fx->dir), "%s/spool", fx->root);
	*state = fx;
	return 0;
}

int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	fixture_close(fx);
	remove_tree(fx->root);
	free(fx);
	return 0;
}

struct spool_options test_options(const char *dir, enum fsync_mode mode,
				  uint64_t segment_bytes)
{
	return (struct spool_options){.dir = dir,
				      .fsync = mode,
				      .segment_bytes = segment_bytes,
				      .retain_ms = CENTURY_MS};
}

void scan_log_record(const struct spool_record *r, void *arg)
{
	struct scan_log *log = arg;

	if (log->count == 0)
		log->first = r->seq;
	else if (r->seq != log->last + 1)
		log->out_of_order = 1;
	log->last = r->seq;
	log->count++;
}

struct spool *open_ok(const struct spool_options *o, struct scan_log *log)
{
	char why[512] = "";
	struct spool *s;

	if (log != NULL)
		*log = (struct scan_log){0};
	s = spool_open(o, log != NULL ? scan_log_record : NULL, log, why,
		       sizeof(why));
	if (s == NULL)
		fail_msg("spool_open %s: %s", o->dir, why);
	return s;
}

void fixture_open(struct fixture *fx, enum fsync_mode mode,
		  uint64_t segment_bytes, struct scan_log *log)
{
	fixture_open_dir(fx, fx->dir, mode, segment_bytes, log);
}

static void fixture_open_options(struct fixture *fx,
				 const struct spool_options *o,
				 struct scan_log *log)
{
	fx->s = open_ok(o, log);
	fx->rd = spool_reader_new(fx->s);
	assert_non_null(fx->rd);
}

void fixture_open_dir(struct fixture *fx, const char *dir, enum fsync_mode mode,
		      uint64_t segment_bytes, struct scan_log *log)
{
	struct spool_options o = test_options(dir, mode, segment_bytes);

	fixture_open_options(fx, &o, log);
}

void fixture_open_prewriting(struct fixture *fx, enum fsync_mode mode,
			     uint64_t segment_bytes, struct scan_log *log)
{
	struct spool_options o = test_options(fx->dir, mode, segment_bytes);

	o.prewrite = 1;
	fixture_open_options(fx, &o, log);
}

void fixture_close(struct fixture *fx)
{
	spool_reader_free(fx->rd);
	spool_close(fx->s);
	fx->rd = NULL;
	fx->s = NULL;
}

char *pattern_body(uint64_t n, size_t len)
{
	char *body = malloc(len > 0 ? len : 1);

	assert_non_null(body);
	for (size_t i = 0; i < len; i++)
		body[i] = (char)((n * 131 + i * 7 + i / 251) & 0xff);
	return body;
}

static void key_of(uint64_t n, char *key, size_t keylen)
{
	snprintf(key, keylen, "id:msg_%llu", (unsigned long long)n);
}

static void store_end(void *arg, uint64_t seq, const struct spool_position *end)
{
	*(struct spool_position *)arg = *end;
}

int append_raw(struct spool *s, struct spool_record *r,
	       struct spool_position *end)
{
	return spool_append(s, r, end != NULL ? store_end : NULL, end);
}

/* Appends record n with body: 0 with *seq, or -1 with errno. */
static int try_append_record(struct spool *s, uint64_t n, const char *body,
			     size_t len, struct spool_position *end,
			     uint64_t *seq)
{
	struct spool_record r;
	char key[64];

	key_of(n, key, sizeof(key));
	r = (struct spool_record){.received_ms = TEST_RECEIVED_MS + (int64_t)n,
				  .path = TEST_PATH,
				  .path_len = strlen(TEST_PATH),
				  .key = key,
				  .key_len = strlen(key),
				  .body = body,
				  .body_len = len};
	if (append_raw(s, &r, end) != 0)
		return -1;
	*seq = r.seq;
	return 0;
}

uint64_t append_record(struct spool *s, uint64_t n, const char *body,
		       size_t len, struct spool_position *end)
{
	uint64_t seq = 0;

	if (try_append_record(s, n, body, len, end, &seq) != 0)
		fail_msg("spool_append of record %llu (%zu bytes): %s",
			 (unsigned long long)n, len, strerror(errno));
	return seq;
}

int try_append_pattern(struct spool *s, uint64_t n, size_t len,
		       uint64_t *seq)
{
	char *body = pattern_body(n, len);
	int rc = try_append_record(s, n, body, len, NULL, seq);

	free(body);
	return rc;
}

uint64_t append_pattern(struct spool *s, uint64_t n, size_t len,
			struct spool_position *end)
{
	char *body = pattern_body(n, len);
	uint64_t seq = append_record(s, n, body, len, end);

	free(body);
	return seq;
}

void expect_record(struct spool_reader *rd, uint64_t seq, uint64_t n,
		   const char *body, size_t len)
{
	struct spool_record r;
	char key[64];

	key_of(n, key, sizeof(key));
	assert_int_equal(spool_reader_read(rd, seq, &r), 0);
	assert_int_equal(r.seq, seq);
	assert_int_equal(r.received_ms, TEST_RECEIVED_MS + (int64_t)n);
	assert_int_equal(r.path_len, strlen(TEST_PATH));
	assert_memory_equal(r.path, TEST_PATH, r.path_len);
	assert_int_equal(r.key_len, strlen(key));
	assert_memory_equal(r.key, key, r.key_len);
	assert_int_equal(r.body_len, len);
	if (len > 0)
		assert_memory_equal(r.body, body, len);
}

void expect_pattern(struct spool_reader *rd, uint64_t seq, uint64_t n,
		    size_t len)
{
	char *body = pattern_body(n, len);

	expect_record(rd, seq, n, body, len);
	free(body);
}

void wait_spare(struct spool *s)
{
	struct timespec pause = {0, 5 * 1000 * 1000};

	for (int i = 0; i < 2000 && !spool_spare_ready(s); i++)
		nanosleep(&pause, NULL);
	assert_true(spool_spare_ready(s));
}

void commit_outcome_record(void *outcome, int ok)
{
	struct commit_outcome *o = outcome;

	pthread_mutex_lock(&o->lock);
	o->done = 1;
	o->ok = ok;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->lock);
}

int commit_outcome(struct spool *s, uint64_t seq)
{
	struct commit_outcome o = COMMIT_OUTCOME_INIT;

	spool_on_commit(s, seq, commit_outcome_record, &o);
	pthread_mutex_lock(&o.lock);
	while (!o.done)
		pthread_cond_wait(&o.cv, &o.lock);
	pthread_mutex_unlock(&o.lock);
	return o.ok;
}

void wait_committed(struct spool *s, uint64_t seq)
{
	for (int i = 0; i < 100 && !spool_wait(s, seq, 100); i++)
		;
	if (spool_committed(s) < seq)
		fail_msg("seq %llu not committed within 10 s (committed %llu)",
			 (unsigned long long)seq,
			 (unsigned long long)spool_committed(s));
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t list_segments(const char *dir, uint64_t *firsts, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		uint64_t first;

		if (spool_segment_name_parse(e->d_name, &first) != 0)
			continue;
		assert_true(n < max);
		firsts[n++] = first;
	}
	closedir(d);
	qsort(firsts, n, sizeof(*firsts), compare_u64);
	return n;
}

void segment_file(const char *dir, uint64_t first, char *out)
{
	assert_int_equal(spool_segment_path(dir, first, out, PATH_MAX), 0);
}

off_t file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_size;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	assert_true(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

void copy_segments(const char *from, const char *to)
{
	uint64_t firsts[256];
	size_t n = list_segments(from, firsts, 256);

	assert_int_equal(mkdir(to, 0700), 0);
	for (size_t i = 0; i < n; i++) {
		char src[PATH_MAX], dst[PATH_MAX];

		segment_file(from, firsts[i], src);
		segment_file(to, firsts[i], dst);
		copy_file(src, dst);
	}
}

void flip_byte(const char *path, off_t offset)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, offset), 1);
	c ^= 0x01;
	assert_int_equal(pwrite(fd, &c, 1, offset), 1);
	close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	return remove(path);
}

void remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int append_fails(struct spool *s, uint64_t n, size_t len)
{
	char *body = pattern_body(n, len);
	struct spool_record r = {.path = TEST_PATH,
				 .path_len = strlen(TEST_PATH),
				 .key = "id:x",
				 .key_len = 4,
				 .body = body,
				 .body_len = len};
	struct spool_position end;
	int rc, err;

	errno = 0;
	rc = append_raw(s, &r, &end);
	err = errno;
	free(body);
	if (rc != -1)
		fail_msg("append of record %llu succeeded (seq %llu)",
			 (unsigned long long)n, (unsigned long long)r.seq);
	assert_int_not_equal(err, 0);
	return err;
}
