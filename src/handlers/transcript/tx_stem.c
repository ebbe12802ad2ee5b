/* tx_stem: a bot id as a file name that cannot leave the output
 * directory. Recall's bot ids are UUIDs, which pass unchanged; anything
 * else a hostile or broken sender puts there ('/', "..", control
 * characters, dots, '%') is percent-encoded byte by byte. Encoding '%'
 * itself keeps the mapping one-to-one, so two bots never share files. */
#include <string.h>

#include "transcript.h"

static int stem_keeps(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int tx_stem_encode(const char *id, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (id == NULL || id[0] == '\0')
		return -1;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		size_t need = stem_keeps(*p) ? 1 : 3;

		if (o + need > TX_STEM_MAX)
			return -1;
		if (need == 1) {
			out[o++] = (char)*p;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[*p >> 4];
		out[o++] = hex[*p & 0xf];
	}
	out[o] = '\0';
	return 0;
}
