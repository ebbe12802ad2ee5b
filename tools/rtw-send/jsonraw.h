/* jsonraw.c: editing JSON text without re-serializing it, so that every
 * byte of an event that rtw-send does not mean to change stays as it was
 * (a signature covers the exact bytes). */
#ifndef RTWSEND_JSONRAW_H
#define RTWSEND_JSONRAW_H

#include <stddef.h>

/* Removes the top-level member named key (written without escapes) from
 * text, an object that a JSON parser has already accepted, together with
 * the comma that joined it to its neighbour. Edits text in place and
 * updates *len. Returns 1 when removed, 0 when no such member was found. */
int jsonraw_remove_member(char *text, size_t *len, const char *key);

#endif
