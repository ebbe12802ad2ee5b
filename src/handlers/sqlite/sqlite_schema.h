/* sqlite_schema: the database layout (tables, indexes, views; documented in
 * docs/handlers/sqlite.md) and opening a connection with the settings every
 * connection of this handler uses. */
#ifndef SQLITE_SCHEMA_H
#define SQLITE_SCHEMA_H

#include <sqlite3.h>

#include "rtwebhookd/handler.h"
#include "sqlite_config.h"

/* PRAGMA user_version of the layout this module writes. */
#define SQLITE_SCHEMA_VERSION 1

/* Opens (creating) cfg->path in WAL mode with cfg's synchronous level and
 * busy timeout, without automatic checkpoints (sqlite_checkpoint runs
 * them). Returns the connection, or NULL with a reason in err. */
sqlite3 *sqlite_schema_open(const struct sqlite_config *cfg,
			    struct rtw_error *err);
/* Creates the layout in an empty database, accepts one at
 * SQLITE_SCHEMA_VERSION, refuses any other version. 0 or -1 (err). */
int sqlite_schema_ensure(sqlite3 *db, const char *path, struct rtw_error *err);

#endif
