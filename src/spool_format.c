/* Spool record encoding and decoding. */
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "spool_format.h"

static void put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint16_t get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t payload_crc(const unsigned char *fixed, const char *path,
			    size_t path_len, const char *key, size_t key_len,
			    const char *body, size_t body_len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, fixed, SPOOL_FIXED_LEN);
	crc = crc32(crc, (const Bytef *)path, (uInt)path_len);
	crc = crc32(crc, (const Bytef *)key, (uInt)key_len);
	crc = crc32(crc, (const Bytef *)body, (uInt)body_len);
	return (uint32_t)crc;
}

size_t spool_record_encode(const struct spool_record *r, unsigned char *hdr,
			   struct iovec iov[4])
{
	unsigned char *fixed = hdr + SPOOL_FRAME_LEN;
	size_t payload = SPOOL_FIXED_LEN + r->path_len + r->key_len +
			 r->body_len;

	put_u64(fixed, r->seq);
	put_u64(fixed + 8, (uint64_t)r->received_ms);
	put_u16(fixed + 16, (uint16_t)r->path_len);
	put_u16(fixed + 18, (uint16_t)r->key_len);
	put_u32(fixed + 20, (uint32_t)r->body_len);
	put_u32(hdr, SPOOL_MAGIC);
	put_u32(hdr + 4, (uint32_t)payload);
	put_u32(hdr + 8, payload_crc(fixed, r->path, r->path_len, r->key,
				     r->key_len, r->body, r->body_len));
	iov[0] = (struct iovec){hdr, SPOOL_FRAME_LEN + SPOOL_FIXED_LEN};
	iov[1] = (struct iovec){(void *)r->path, r->path_len};
	iov[2] = (struct iovec){(void *)r->key, r->key_len};
	iov[3] = (struct iovec){(void *)r->body, r->body_len};
	return SPOOL_FRAME_LEN + payload;
}

ssize_t spool_record_decode(const unsigned char *buf, size_t len,
			    struct spool_record *r, size_t *need)
{
	const unsigned char *fixed = buf + SPOOL_FRAME_LEN;
	uint32_t payload;
	size_t total;

	*need = SPOOL_FRAME_LEN + SPOOL_FIXED_LEN;
	if (len < *need)
		return 0;
	payload = get_u32(buf + 4);
	if (get_u32(buf) != SPOOL_MAGIC || payload < SPOOL_FIXED_LEN ||
	    payload > SPOOL_FIXED_LEN + SPOOL_MAX_PATH + SPOOL_MAX_KEY +
			      SPOOL_MAX_BODY)
		return -1;
	r->seq = get_u64(fixed);
	r->received_ms = (int64_t)get_u64(fixed + 8);
	r->path_len = get_u16(fixed + 16);
	r->key_len = get_u16(fixed + 18);
	r->body_len = get_u32(fixed + 20);
	if (SPOOL_FIXED_LEN + r->path_len + r->key_len + r->body_len !=
	    payload)
		return -1;
	total = SPOOL_FRAME_LEN + payload;
	*need = total;
	if (len < total)
		return 0;
	r->path = (const char *)fixed + SPOOL_FIXED_LEN;
	r->key = r->path + r->path_len;
	r->body = r->key + r->key_len;
	if (payload_crc(fixed, r->path, r->path_len, r->key, r->key_len,
			r->body, r->body_len) != get_u32(buf + 8))
		return -1;
	return (ssize_t)total;
}

int spool_segment_path(const char *dir, uint64_t first_seq, char *out,
		       size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%020llu.seg", dir,
			 (unsigned long long)first_seq);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int spool_segment_name_parse(const char *name, uint64_t *first_seq)
{
	uint64_t v = 0;

	if (strlen(name) != 24 || strcmp(name + 20, ".seg") != 0)
		return -1;
	for (int i = 0; i < 20; i++) {
		uint64_t digit = (uint64_t)(name[i] - '0');

		if (name[i] < '0' || name[i] > '9' ||
		    v > (UINT64_MAX - digit) / 10)
			return -1;
		v = v * 10 + digit;
	}
	*first_seq = v;
	return 0;
}
