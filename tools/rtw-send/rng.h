/* rng.c: a small deterministic random generator (splitmix64) for the
 * synthetic meetings. Not for secrets: the same seed must give the same
 * meeting on every machine, which a system generator cannot promise. */
#ifndef RTWSEND_RNG_H
#define RTWSEND_RNG_H

#include <stdint.h>

struct rng {
	uint64_t state;
};

#define RNG_UUID_LEN 37 /* 36 characters and the NUL */

/* Seeds r from a seed and a stream number, so that every bot of one seed
 * draws from its own independent sequence. */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
uint64_t rng_next(struct rng *r);
/* A uniform integer in [0, n); n must be > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* A uniform double in [lo, hi). */
double rng_range(struct rng *r, double lo, double hi);
/* 1 with probability p. */
int rng_chance(struct rng *r, double p);
/* A version 4 UUID (lower-case, dashed) drawn from r. */
void rng_uuid(struct rng *r, char out[RNG_UUID_LEN]);

#endif
