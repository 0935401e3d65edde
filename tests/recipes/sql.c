/* An in-memory SQLite database: a table, a JSON query, a full-text (FTS5) search, and the
 * threading mode the library was built with. */
#include <sqlite3.h>
#include <stdio.h>

static int row(void *unused, int n, char **values, char **names) {
    (void)unused;
    for (int i = 0; i < n; i++) printf("%s%s=%s", i ? " " : "", names[i], values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

int main(void) {
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
    const char *sql =
        "CREATE TABLE t(target TEXT, size INTEGER);"
        "INSERT INTO t VALUES ('x86_64', 7000), ('aarch64', 6976), ('armv7', 4092);"
        "SELECT count(*) AS n, sum(size) AS total FROM t;"
        "SELECT json_extract('{\"a\":{\"b\":[1,2,42]}}', '$.a.b[2]') AS json;"
        "CREATE VIRTUAL TABLE docs USING fts5(body);"
        "INSERT INTO docs VALUES ('static binaries for every target'), ('dynamic linking');"
        "SELECT body AS fts FROM docs WHERE docs MATCH 'static AND target';";
    char *err = NULL;
    if (sqlite3_exec(db, sql, row, NULL, &err) != SQLITE_OK) {
        printf("error: %s\n", err);
        return 1;
    }
    printf("sqlite %s threadsafe=%d\n", sqlite3_libversion(), sqlite3_threadsafe());
    sqlite3_close(db);
    return 0;
}
