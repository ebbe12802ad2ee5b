/* The spool's record format (spool_format.h): encoding and decoding round
 * trip, partial buffers ask for more bytes, invalid bytes are refused, and
 * segment file names are exactly 20 digits + ".seg". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spool_format.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Encodes r into one malloc'd buffer, as writev would lay it out. */
static unsigned char *encode(const struct spool_record *r, size_t *total)
{
	unsigned char hdr[SPOOL_FRAME_LEN + SPOOL_FIXED_LEN], *buf, *p;
	struct iovec iov[4];
	size_t sum = 0;

	*total = spool_record_encode(r, hdr, iov);
	buf = p = malloc(*total);
	assert_non_null(buf);
	for (int i = 0; i < 4; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
		sum += iov[i].iov_len;
	}
	assert_int_equal(sum, *total);
	return buf;
}

static struct spool_record record_of(uint64_t seq, int64_t ms, const char *path,
				     const char *key, const char *body,
				     size_t body_len)
{
	return (struct spool_record){.seq = seq,
				     .received_ms = ms,
				     .path = path,
				     .path_len = strlen(path),
				     .key = key,
				     .key_len = strlen(key),
				     .body = body,
				     .body_len = body_len};
}

static void expect_bytes(const char *got, size_t got_len, const char *want,
			 size_t want_len)
{
	assert_int_equal(got_len, want_len);
	if (want_len > 0)
		assert_memory_equal(got, want, want_len);
}

static void expect_same(const struct spool_record *got,
			const struct spool_record *want)
{
	assert_int_equal(got->seq, want->seq);
	assert_int_equal(got->received_ms, want->received_ms);
	expect_bytes(got->path, got->path_len, want->path, want->path_len);
	expect_bytes(got->key, got->key_len, want->key, want->key_len);
	expect_bytes(got->body, got->body_len, want->body, want->body_len);
}

static char long_path[SPOOL_MAX_PATH + 1], long_key[SPOOL_MAX_KEY + 1];

static void records_round_trip_through_encode_and_decode(void **state)
{
	static const char binary[] = "a\0b\0\xff\x01";
	const char *unicode = "{\"words\":\"héllo 世界 🎙️\"}";
	struct spool_record cases[] = {
	    record_of(1, 0, "", "", "", 0),
	    record_of(2, 1764174001480, "/recall/events", "id:msg_1", "{}", 2),
	    record_of(UINT64_MAX, -1, "/p", "body:00ff", binary,
		      sizeof(binary)),
	    record_of(42, INT64_MAX, "/u", "id:é", unicode, strlen(unicode)),
	    record_of(7, 1, long_path, long_key, "x", 1),
	};

	memset(long_path, 'p', SPOOL_MAX_PATH);
	memset(long_key, 'k', SPOOL_MAX_KEY);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct spool_record got;
		size_t total, need = 0;
		unsigned char *buf = encode(&cases[i], &total);

		assert_int_equal(spool_record_decode(buf, total, &got, &need),
				 total);
		expect_same(&got, &cases[i]);
		free(buf);
	}
}

static void decoding_stops_at_the_end_of_the_first_record(void **state)
{
	struct spool_record a = record_of(1, 5, "/a", "id:a", "first", 5);
	struct spool_record b = record_of(2, 6, "/b", "id:b", "second", 6);
	size_t alen, blen, need;
	unsigned char *ea = encode(&a, &alen), *eb = encode(&b, &blen);
	unsigned char *both = malloc(alen + blen);
	struct spool_record got;

	memcpy(both, ea, alen);
	memcpy(both + alen, eb, blen);
	assert_int_equal(spool_record_decode(both, alen + blen, &got, &need),
			 alen);
	expect_same(&got, &a);
	assert_int_equal(spool_record_decode(both + alen, blen, &got, &need),
			 blen);
	expect_same(&got, &b);
	free(ea);
	free(eb);
	free(both);
}

/* Below the fixed header the decoder needs the header; from there on it
 * knows the record's size and asks for all of it. */
static void every_truncation_of_a_record_asks_for_more(void **state)
{
	struct spool_record r =
	    record_of(9, 3, "/recall/events", "id:m", "{\"event\":\"x\"}", 13);
	size_t total, header = SPOOL_FRAME_LEN + SPOOL_FIXED_LEN;
	unsigned char *buf = encode(&r, &total);

	for (size_t len = 0; len < total; len++) {
		struct spool_record got;
		size_t need = 0;

		assert_int_equal(spool_record_decode(buf, len, &got, &need), 0);
		assert_int_equal(need, len < header ? header : total);
	}
	free(buf);
}

/* A byte of the record (at offset) changed by adding delta. The record
 * below is "/p", "id:k", "body": the path starts at offset 36. */
struct corruption {
	const char *what;
	size_t offset;
	int delta;
};

static void invalid_records_are_refused(void **state)
{
	static const struct corruption cases[] = {
	    {"magic", 0, 1},
	    {"payload length below the fixed part", 4, -0x20},
	    {"payload length above the maximum", 7, 0x10},
	    {"payload length one more than its parts", 4, 1},
	    {"crc", 8, 1},
	    {"seq (covered by the crc)", 12, 1},
	    {"received_ms (covered by the crc)", 20, 1},
	    {"path length disagrees with the payload", 28, 1},
	    {"key length disagrees with the payload", 30, 1},
	    {"body length disagrees with the payload", 32, 1},
	    {"a byte of the path", 36, 1},
	    {"a byte of the key", 38, 1},
	    {"a byte of the body", 42 + 3, 1},
	};
	struct spool_record r = record_of(3, 4, "/p", "id:k", "body", 4), ok;
	size_t total, ok_need;
	unsigned char *good = encode(&r, &total);

	/* Unchanged, the record is valid: each refusal is the change's. */
	assert_int_equal(total, 46);
	assert_int_equal(spool_record_decode(good, total, &ok, &ok_need),
			 total);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		/* One spare byte: a longer length is not mere truncation. */
		unsigned char *bad = calloc(1, total + 1);
		struct spool_record got;
		size_t need;

		memcpy(bad, good, total);
		bad[cases[i].offset] =
		    (unsigned char)(bad[cases[i].offset] + cases[i].delta);
		if (spool_record_decode(bad, total + 1, &got, &need) != -1)
			fail_msg("corrupt %s was not refused", cases[i].what);
		free(bad);
	}
	free(good);
}

static void segment_path_is_the_first_seq_in_20_digits(void **state)
{
	char out[64];

	assert_int_equal(spool_segment_path("/s", 42, out, sizeof(out)), 0);
	assert_string_equal(out, "/s/00000000000000000042.seg");
	assert_int_equal(spool_segment_path("d", UINT64_MAX, out, sizeof(out)),
			 0);
	assert_string_equal(out, "d/18446744073709551615.seg");
}

static void segment_path_that_does_not_fit_is_refused(void **state)
{
	char out[27]; /* "/s/" + 24 needs 28 with the NUL */

	assert_int_equal(spool_segment_path("/s", 1, out, sizeof(out)), -1);
}

static void segment_names_of_20_digits_and_seg_are_accepted(void **state)
{
	static const struct {
		const char *name;
		uint64_t first;
	} cases[] = {
	    {"00000000000000000000.seg", 0},
	    {"00000000000000000001.seg", 1},
	    {"00000000000001041234.seg", 1041234},
	    {"18446744073709551615.seg", UINT64_MAX},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t first = 99;

		assert_int_equal(
		    spool_segment_name_parse(cases[i].name, &first), 0);
		assert_int_equal(first, cases[i].first);
	}
}

static void other_segment_names_are_refused(void **state)
{
	static const char *const cases[] = {
	    "",
	    ".seg",
	    "0000000000000000001.seg",	 /* 19 digits */
	    "000000000000000000001.seg", /* 21 digits */
	    "0000000000000000000a.seg",
	    "-0000000000000000001.seg",
	    " 0000000000000000001.seg",
	    "00000000000000000001.SEG",
	    "00000000000000000001.sex",
	    "00000000000000000001.seg.tmp",
	    "00000000000000000001.se",
	    "00000000000000000001",
	    "lock",
	    "progress",
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t first = 99;

		if (spool_segment_name_parse(cases[i], &first) != -1)
			fail_msg("\"%s\" was accepted", cases[i]);
		assert_int_equal(first, 99);
	}
}

/* Regression (found by this test, fixed): a 20-digit name above UINT64_MAX is accepted with a
 * wrapped value; spool_open then looks for a file of that other name and
 * refuses to start ("cannot read the spool") because of one stray file. */
static void test_segment_name_above_uint64_max_is_refused(void **state)
{
	uint64_t first = 99;

	if (spool_segment_name_parse("99999999999999999999.seg", &first) == 0)
		fail_msg("accepted as %llu", (unsigned long long)first);
	assert_int_equal(
	    spool_segment_name_parse("18446744073709551616.seg", &first), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(records_round_trip_through_encode_and_decode),
	    cmocka_unit_test(decoding_stops_at_the_end_of_the_first_record),
	    cmocka_unit_test(every_truncation_of_a_record_asks_for_more),
	    cmocka_unit_test(invalid_records_are_refused),
	    cmocka_unit_test(segment_path_is_the_first_seq_in_20_digits),
	    cmocka_unit_test(segment_path_that_does_not_fit_is_refused),
	    cmocka_unit_test(segment_names_of_20_digits_and_seg_are_accepted),
	    cmocka_unit_test(other_segment_names_are_refused),
	    cmocka_unit_test(test_segment_name_above_uint64_max_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
