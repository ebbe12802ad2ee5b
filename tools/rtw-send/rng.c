/* splitmix64 (Steele, Lea, Flood 2014): one 64-bit add and a mix per draw,
 * good enough statistics for test data and trivially reproducible. */
#include <stdio.h>

#include "rng.h"

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	/* Mixing the stream in (rather than adding it) keeps neighbouring
	 * streams from sharing most of their sequence. */
	r->state = mix64(seed ^ mix64(stream + GOLDEN_GAMMA));
}

uint64_t rng_next(struct rng *r)
{
	r->state += GOLDEN_GAMMA;
	return mix64(r->state);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	/* The top 32 bits scaled by n: bias below 2^-32, no division. */
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double rng_range(struct rng *r, double lo, double hi)
{
	double unit = (double)(rng_next(r) >> 11) * 0x1.0p-53;

	return lo + unit * (hi - lo);
}

int rng_chance(struct rng *r, double p)
{
	return rng_range(r, 0.0, 1.0) < p;
}

void rng_uuid(struct rng *r, char out[RNG_UUID_LEN])
{
	uint64_t hi = rng_next(r), lo = rng_next(r);

	/* Version 4 and the RFC 4122 variant, as random UUIDs carry. */
	hi = (hi & ~0xf000ULL) | 0x4000ULL;
	lo = (lo & ~(0x3ULL << 62)) | (0x2ULL << 62);
	snprintf(out, RNG_UUID_LEN, "%08x-%04x-%04x-%04x-%012llx",
		 (unsigned)(hi >> 32), (unsigned)((hi >> 16) & 0xffff),
		 (unsigned)(hi & 0xffff), (unsigned)(lo >> 48),
		 (unsigned long long)(lo & 0xffffffffffffULL));
}
