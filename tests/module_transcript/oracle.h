/* oracle: the transcript files a meeting should produce, worked out from
 * the event bodies independently of the module (jansson, a few lines of
 * rules from docs/handlers/transcript.md), for the integration tests to
 * compare the daemon's output against. Feed it every body in the order
 * its bot's events are acknowledged. Texts in the bodies are assumed
 * free of line breaks and of & < > (the unit tests cover those). */
#ifndef RTW_TEST_ORACLE_H
#define RTW_TEST_ORACLE_H

struct oracle;

struct oracle *oracle_new(void);
void oracle_free(struct oracle *o);
/* Takes one event body (a NUL-terminated JSON text). */
void oracle_feed(struct oracle *o, const char *body);
/* The expected .txt and .vtt of bot ("" / the bare header when it had no
 * utterance); owned by the oracle. */
const char *oracle_txt(struct oracle *o, const char *bot);
const char *oracle_vtt(struct oracle *o, const char *bot);

#endif
