//! Storage: one diesel connection type that is either SQLite or PostgreSQL, a pool, the embedded
//! migrations per backend, and the two ways handlers reach the database off the async workers.
//!
//! Backend-specific SQL lives only in this module.

pub mod schema;

use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{AppError, AppResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any lock id will do, as long as every flexkeur node uses the same one: it keeps two nodes that
/// start together from migrating at the same time.
const MIGRATION_LOCK_ID: i64 = 0x666c_6578_6b65_7572;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names. SQLite accepts any string as a path, so the scheme decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err(format!("DATABASE_URL {url:?} names no SQLite file"));
        }
        if path.contains(":memory:") || path.contains("mode=memory") {
            // Each pooled connection would get its own empty database.
            return Err(
                "an in-memory SQLite database cannot be shared by a pool; name a file".into(),
            );
        }
        if url.contains("://") && !url.starts_with("sqlite://") {
            return Err(format!(
                "DATABASE_URL {url:?}: use sqlite://FILE or postgres://USER@HOST/DB"
            ));
        }
        Ok(Self::Sqlite(path.to_owned()))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Opens connections of the kind the URL names and prepares each one.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(diesel::r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Per connection: wait for the writer instead of failing at once, and enforce
                // foreign keys (off by default in SQLite). WAL is set once per file, in `connect`.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

type Pool = r2d2::Pool<Manager>;

/// The shared database handle of a node.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: &'static str,
    /// SQLite lets one writer in at a time, and a writer that finds the database busy sleeps
    /// in its busy handler in steps of up to 100 ms. This node's writes go to one writer
    /// thread instead (see [`group_commit`]).
    sqlite_writer: Option<mpsc::Sender<Job>>,
}

impl Db {
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Self> {
        let url = DatabaseUrl::parse(url).map_err(anyhow::Error::msg)?;
        let backend = url.backend();
        let mut sqlite_writer = None;
        if let DatabaseUrl::Sqlite(path) = &url {
            // WAL lets readers go on beside one writer. The mode is kept in the file; switching
            // needs the database to itself, so it happens here, before the pool opens more.
            SqliteConnection::establish(path)?
                .batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
            let mut writer = r2d2::ManageConnection::connect(&Manager { url: url.clone() })?;
            // The savepoint of each write in a group keeps its undo pages in memory, not in a
            // temporary file. The writer copies the log back into the database file itself,
            // after the commit that takes it past a thousand pages (SQLite's default): only then
            // does the next write find the log fully copied and start it over. A checkpoint on
            // another thread lags behind a busy writer for ever, and the log grows without end.
            writer.batch_execute("PRAGMA temp_store = MEMORY;")?;
            let (jobs, queue) = mpsc::channel();
            std::thread::Builder::new()
                .name("sqlite-writer".into())
                .spawn(move || group_commit(writer, queue))?;
            sqlite_writer = Some(jobs);
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            // A SQLite connection is a file handle that cannot drop; a PostgreSQL one can (server
            // restart, idle timeout), so only those are tested before use.
            .test_on_check_out(backend == "postgres")
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { url })?;
        Ok(Self {
            pool,
            backend,
            sqlite_writer,
        })
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// A pooled connection for synchronous callers (the command line, start-up).
    pub fn conn(&self) -> AppResult<r2d2::PooledConnection<Manager>> {
        Ok(self.pool.get()?)
    }

    /// Runs the pending migrations of this backend; returns how many ran.
    pub fn migrate(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get()?;
        let ran = match &mut *conn {
            DbConnection::Sqlite(c) => c
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
                .len(),
            DbConnection::Postgres(c) => {
                diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
                    .execute(c)?;
                let ran = c
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.len())
                    .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))
                    .execute(c)?;
                ran?
            }
        };
        Ok(ran)
    }

    /// Runs `f` on a pooled connection on the blocking thread pool, so that no async worker waits
    /// for the database.
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Runs `f` in a write transaction that commits when `f` succeeds and is rolled back when it
    /// fails; answers once the transaction has ended.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let Some(writer) = &self.sqlite_writer else {
            return self.read(move |conn| write_transaction(conn, f)).await;
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            Ran {
                ok: result.is_ok(),
                hand_over: Box::new(move |not_committed| {
                    let result = match (not_committed, result) {
                        (Some(why), Ok(_)) => Err(AppError::unavailable(anyhow::anyhow!(
                            "the write was not committed: {why}"
                        ))),
                        (_, result) => result,
                    };
                    // The caller may have gone (a dropped connection); the write stands.
                    let _ = answer.send(result);
                }),
            }
        });
        // Either the writer has stopped, or the write could not run (its error is logged).
        let lost = || AppError::unavailable(anyhow::anyhow!("the write could not be completed"));
        writer.send(job).map_err(|_| lost())?;
        answered.await.map_err(|_| lost())?
    }
}

/// A write for the SQLite writer thread.
type Job = Box<dyn FnOnce(&mut DbConnection) -> Ran + Send>;

/// A write that has run in its group: whether it succeeded, and what hands its result to the
/// caller once the group's transaction has ended.
struct Ran {
    ok: bool,
    hand_over: HandOver,
}

/// Called with why the group's commit failed, if it did.
type HandOver = Box<dyn FnOnce(Option<&str>) + Send>;

/// The most writes committed together.
const MAX_GROUP: usize = 64;

/// The SQLite writer: takes every write that is waiting, runs each in a savepoint of one
/// transaction (a write that fails is rolled back alone), commits once, then answers them all.
/// Writes still run one at a time, as SQLite demands, but back to back on one thread (no hand-off
/// between threads while a write holds the lock), and a group shares one commit.
fn group_commit(mut conn: DbConnection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let group: Vec<Job> = std::iter::once(first)
            .chain(jobs.try_iter().take(MAX_GROUP - 1))
            .collect();
        let DbConnection::Sqlite(inner) = &mut conn else {
            return;
        };
        if let Err(err) = AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE") {
            // Dropped unrun, each write answers that the writer could not take it.
            tracing::error!(error = %err, "a write transaction could not begin");
            continue;
        }
        let mut ran = Vec::with_capacity(group.len());
        for job in group {
            if let Err(err) = DbConnection::begin_transaction(&mut conn) {
                tracing::error!(error = %err, "a savepoint could not be set");
                continue;
            }
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut conn))) {
                Ok(done) if done.ok => match DbConnection::commit_transaction(&mut conn) {
                    Ok(()) => ran.push(done),
                    Err(err) => tracing::error!(error = %err, "a savepoint could not be released"),
                },
                outcome => {
                    if outcome.is_err() {
                        tracing::error!("a write panicked; it is rolled back");
                    }
                    if let Err(err) = DbConnection::rollback_transaction(&mut conn) {
                        tracing::error!(error = %err, "a savepoint could not be rolled back");
                    }
                    ran.extend(outcome.ok());
                }
            }
        }
        let committed = DbConnection::commit_transaction(&mut conn).map_err(|err| {
            tracing::error!(error = %err, "a group of writes could not be committed");
            if let Err(rollback) = DbConnection::rollback_transaction(&mut conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            err.to_string()
        });
        for done in ran {
            (done.hand_over)(committed.as_ref().err().map(String::as_str));
        }
    }
}

/// A transaction for work that reads and then writes.
///
/// On SQLite it starts with `BEGIN IMMEDIATE`: a deferred transaction that reads and then wants
/// to write fails with SQLITE_BUSY at once when another writer is active, whatever the busy
/// timeout says; an immediate one waits for the write lock up front.
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(_) => DbConnection::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            DbConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = DbConnection::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

/// A new time-ordered identifier (UUIDv7): unique across nodes, and it keeps inserts together in
/// the index.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The next number of the sequence `name` (1 for a new one), within the caller's transaction:
/// one statement that counts on and reads back, so two nodes never draw the same number.
pub fn next_in_sequence(conn: &mut DbConnection, name: &str) -> AppResult<i64> {
    #[derive(QueryableByName)]
    struct Drawn {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        value: i64,
    }
    const DRAW: &str = "INSERT INTO sequences (name, value) VALUES ({}, 1) \
                        ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 \
                        RETURNING value";
    let drawn: Drawn = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(DRAW.replace("{}", "?"))
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(DRAW.replace("{}", "$1"))
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(c)?,
    };
    Ok(drawn.value)
}

/// Inserts many rows in one statement, with what follows the rows (an `.on_conflict(…)`
/// clause, say). `MultiConnection` cannot carry a multi-row insert, so each backend runs it on
/// its own connection type.
#[macro_export]
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr $(, $($then:tt)+)?) => {{
        use diesel::RunQueryDsl as _;
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows)$($($then)+)?.execute(c)
            }
            $crate::db::DbConnection::Postgres(c) => {
                diesel::insert_into($table).values($rows)$($($then)+)?.execute(c)
            }
        }
    }};
}

/// The first row of `$query`, or none, locked against other changes until the transaction
/// ends: on PostgreSQL with `FOR UPDATE`; SQLite's write transaction holds the whole database
/// already, so it reads plainly.
#[macro_export]
macro_rules! first_for_update {
    ($conn:expr, $query:expr) => {{
        use diesel::{OptionalExtension as _, QueryDsl as _, RunQueryDsl as _};
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => $query.first(c).optional(),
            $crate::db::DbConnection::Postgres(c) => $query.for_update().first(c).optional(),
        }
    }};
}

// `lower(text)`, for case-insensitive search on both backends.
diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

impl From<diesel::r2d2::Error> for AppError {
    fn from(err: diesel::r2d2::Error) -> Self {
        AppError::unavailable(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node's handle on a new SQLite file `t.db` in a directory that lives as long as it.
    fn scratch() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        (dir, Db::connect(&url, 2).unwrap())
    }

    #[actix_web::test]
    async fn a_group_keeps_its_good_writes_and_only_those() {
        let (_dir, db) = scratch();
        db.write(|c| Ok(c.batch_execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")?))
            .await
            .unwrap();
        // The first holds the writer while the others queue, so they run as one group.
        let writes = (0..60).map(|n: i32| {
            db.write(move |c| {
                if n == 0 {
                    std::thread::sleep(Duration::from_millis(200));
                }
                diesel::sql_query(format!("INSERT INTO t (n) VALUES ({n})")).execute(c)?;
                match n % 3 {
                    0 => Ok(n),
                    1 => Err(AppError::conflict("refused", "this write fails")),
                    _ if n == 5 => panic!("this write panics"),
                    _ => Ok(n),
                }
            })
        });
        let results = futures_util::future::join_all(writes).await;
        for (n, result) in (0..).zip(&results) {
            match result {
                Ok(kept) => assert!(*kept == n && (n % 3 != 1 && n != 5), "{n} kept"),
                Err(err) => assert!(n % 3 == 1 || n == 5, "{n}: {err:?}"),
            }
        }
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            n: i32,
        }
        let stored: Vec<i32> = db
            .read(|c| Ok(diesel::sql_query("SELECT n FROM t ORDER BY n").load::<Row>(c)?))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.n)
            .collect();
        let expected: Vec<i32> = (0..60).filter(|n| n % 3 != 1 && *n != 5).collect();
        assert_eq!(stored, expected);
    }

    #[actix_web::test]
    async fn the_write_ahead_log_stays_bounded_under_steady_writes() {
        let (dir, db) = scratch();
        db.write(|c| Ok(c.batch_execute("CREATE TABLE t (body TEXT NOT NULL)")?))
            .await
            .unwrap();
        // 12 MB of rows, a page each, written back to back.
        for _ in 0..3000 {
            db.write(|c| {
                Ok(diesel::sql_query("INSERT INTO t (body) VALUES (?)")
                    .bind::<diesel::sql_types::Text, _>("x".repeat(4000))
                    .execute(c)?)
            })
            .await
            .unwrap();
        }
        let log = std::fs::metadata(dir.path().join("t.db-wal"))
            .unwrap()
            .len();
        assert!(log < 6_000_000, "the log holds {log} bytes");
    }

    #[test]
    fn url_scheme_decides_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://flexkeur.db"),
            Ok(DatabaseUrl::Sqlite("flexkeur.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/flexkeur.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/flexkeur.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("data/flexkeur.db"),
            Ok(DatabaseUrl::Sqlite("data/flexkeur.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1/test"),
            Ok(DatabaseUrl::Postgres(
                "postgres://postgres@127.0.0.1/test".into()
            ))
        );
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("mysql://root@localhost/x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
