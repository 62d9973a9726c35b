//! The certificates that verification by number has looked up, kept in this node's memory, so
//! that the check an agency repeats all day is answered without a trip to the database.
//!
//! Only on SQLite, whose file serves one node, which holds a lock on it for as long as it runs:
//! with PostgreSQL another node may change a status that this node would not hear of, so there
//! every check reads the database.
//!
//! The rows are kept, not the answers: the status by date is worked out on every check, so a
//! certificate still expires on its last day. Every write that may change a status clears the
//! memory once it has ended ([`Verified::write_status`]); a generation count stops a read that
//! was already under way from putting back the row as it stood before.

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context as _;
use chrono::NaiveDate;

use super::store::{self, CertificateRow, CoveredLocation, PublicCertificate};
use super::verify::NumberAnswer;
use crate::db::{Db, DbConnection};
use crate::error::{AppError, AppResult};

/// How many certificates are kept at most; when full, the memory starts again empty. The
/// Dutch register holds a few thousand.
const CAPACITY: usize = 20_000;

/// A certificate as it was read, with its addresses already parsed.
#[derive(Debug)]
struct Known {
    row: CertificateRow,
    locations: Vec<CoveredLocation>,
}

impl Known {
    fn new(row: CertificateRow) -> AppResult<Self> {
        let locations = row.public_locations()?;
        Ok(Self { row, locations })
    }

    fn public(&self, today: NaiveDate) -> AppResult<PublicCertificate> {
        self.row.public_with(today, self.locations.clone())
    }
}

#[derive(Debug, Default)]
struct Memory {
    generation: u64,
    rows: HashMap<String, Arc<Known>>,
}

/// Certificates by number, or nothing kept at all when off. Clones share the memory.
#[derive(Debug, Default, Clone)]
pub struct Verified {
    memory: Option<Arc<Mutex<Memory>>>,
    /// Held (locked) while the memory is in use: no other node may write the database then.
    _sole_node: Option<Arc<File>>,
}

impl Verified {
    /// Keeps nothing: every check reads the database.
    pub fn off() -> Self {
        Self::default()
    }

    /// Keeps certificates in memory for the one node that serves the SQLite file at `path`. It
    /// locks `path.node-lock` until it stops (the system lets go of the lock when the process
    /// ends, however it ends); a second node on the same file is refused.
    pub fn sole_node_of(path: &str) -> anyhow::Result<Self> {
        let lock_path = format!("{}.node-lock", path.split('?').next().unwrap_or(path));
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening the node lock {lock_path}"))?;
        match file.try_lock() {
            Ok(()) => Ok(Self {
                memory: Some(Arc::default()),
                _sole_node: Some(Arc::new(file)),
            }),
            Err(TryLockError::WouldBlock) => Err(anyhow::anyhow!(
                "another flexkeur node serves the SQLite database {path} (it holds {lock_path}); \
                 a SQLite file serves one node: run several nodes on PostgreSQL"
            )),
            Err(TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("locking the node lock {lock_path}"))
            }
        }
    }

    /// The certificate with this number as it stands on `today`; `None` for a number never
    /// issued.
    pub async fn by_number(
        &self,
        db: &Db,
        number: &str,
        today: NaiveDate,
    ) -> AppResult<Option<PublicCertificate>> {
        let Some(number) = super::normalise_number(number) else {
            return Ok(None);
        };
        let found = self.lookup(db, vec![number]).await?;
        found.values().next().map(|k| k.public(today)).transpose()
    }

    /// Every number, answered in the order sent.
    pub async fn by_numbers(
        &self,
        db: &Db,
        numbers: &[String],
        today: NaiveDate,
    ) -> AppResult<Vec<NumberAnswer>> {
        let normalised: Vec<Option<String>> =
            numbers.iter().map(|n| super::normalise_number(n)).collect();
        let mut wanted: Vec<String> = normalised.iter().flatten().cloned().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let found = self.lookup(db, wanted).await?;
        numbers
            .iter()
            .zip(normalised)
            .map(
                |(sent, number)| match number.as_deref().and_then(|n| found.get(n)) {
                    Some(known) => known.public(today).map(NumberAnswer::Known),
                    None => Ok(NumberAnswer::Unknown {
                        number: sent.clone(),
                        status: "unknown",
                    }),
                },
            )
            .collect()
    }

    /// The certificates with these (normalised, distinct) numbers that were issued: from
    /// memory where kept, the others from the database in one read.
    async fn lookup(
        &self,
        db: &Db,
        numbers: Vec<String>,
    ) -> AppResult<HashMap<String, Arc<Known>>> {
        let (mut found, missing, generation) = self.recall(numbers);
        let rows = match missing.as_slice() {
            [] => Vec::new(),
            [number] => {
                let number = number.clone();
                db.read(move |c| store::by_number(c, &number))
                    .await?
                    .into_iter()
                    .collect()
            }
            _ => db.read(move |c| store::by_numbers(c, &missing)).await?,
        };
        let read = rows
            .into_iter()
            .map(|row| Known::new(row).map(Arc::new))
            .collect::<AppResult<Vec<_>>>()?;
        self.keep(generation, &read);
        found.extend(read.into_iter().map(|k| (k.row.number.clone(), k)));
        Ok(found)
    }

    /// The certificates kept of `numbers`, the numbers not kept, and the generation to
    /// [`keep`](Self::keep) rows read now under.
    fn recall(&self, numbers: Vec<String>) -> (HashMap<String, Arc<Known>>, Vec<String>, u64) {
        let Some(memory) = self.lock() else {
            return (HashMap::new(), numbers, 0);
        };
        let (mut found, mut missing) = (HashMap::new(), Vec::new());
        for number in numbers {
            match memory.rows.get(&number) {
                Some(known) => {
                    found.insert(number, Arc::clone(known));
                }
                None => missing.push(number),
            }
        }
        (found, missing, memory.generation)
    }

    /// Keeps rows read in `generation`, unless a write has ended since.
    fn keep(&self, generation: u64, read: &[Arc<Known>]) {
        let Some(mut memory) = self.lock() else {
            return;
        };
        if memory.generation != generation || read.is_empty() {
            return;
        }
        if memory.rows.len() + read.len() > CAPACITY {
            memory.rows.clear();
        }
        for known in read.iter().take(CAPACITY) {
            memory
                .rows
                .insert(known.row.number.clone(), Arc::clone(known));
        }
    }

    /// Runs a write that may change a certificate's status, then forgets every certificate
    /// kept. The write runs to its end even if the caller goes away meanwhile (a dropped
    /// request), so the memory is never left holding a status from before a commit.
    pub async fn write_status<T, F>(&self, db: &Db, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (verified, db) = (self.clone(), db.clone());
        actix_web::rt::spawn(async move {
            let written = db.write(f).await;
            verified.forget();
            written
        })
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("a certificate write stopped: {e}")))?
    }

    /// Drops every certificate kept, and turns away what reads under way would put back.
    fn forget(&self) {
        if let Some(mut memory) = self.lock() {
            memory.generation += 1;
            memory.rows.clear();
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, Memory>> {
        // Nothing that runs under the lock panics; a poisoned lock still holds a whole map.
        self.memory
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::Status;

    fn known(number: &str, status: Status, valid_until: NaiveDate) -> Arc<Known> {
        let at = NaiveDate::from_ymd_opt(2026, 1, 5)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("date");
        let row = CertificateRow {
            id: "c1".into(),
            number: number.into(),
            provider_id: "p1".into(),
            kvk_number: "12345678".into(),
            provider_name: "Huisvesting BV".into(),
            scheme: "snf".into(),
            norm_version: "2025-07-01".into(),
            norm_hash: "ab".into(),
            locations: r#"[{"id":"l1","street":"Dorpsstraat","house_number":"1","postcode":"1234 AB","city":"Zoëterwoude"}]"#.into(),
            inspections: "[]".into(),
            valid_from: at.date(),
            valid_until,
            status: <&str>::from(status).into(),
            status_reason: None,
            status_changed_at: at,
            kid: "k1".into(),
            token: "t".into(),
            issued_by: "admin".into(),
            issued_at: at,
        };
        Arc::new(Known::new(row).expect("locations parse"))
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    /// Recalls one number: the certificate kept, or the generation to keep it under.
    fn recall_one(verified: &Verified, number: &str) -> Result<Arc<Known>, u64> {
        let (mut found, _, generation) = verified.recall(vec![number.to_owned()]);
        found.remove(number).ok_or(generation)
    }

    /// A node's memory, on a SQLite file in a directory that lives as long as it.
    fn sole() -> (tempfile::TempDir, Verified) {
        let dir = tempfile::tempdir().expect("directory");
        let path = dir.path().join("t.db");
        let verified = Verified::sole_node_of(path.to_str().expect("path")).expect("locked");
        (dir, verified)
    }

    #[test]
    fn a_second_node_on_the_same_file_is_refused_until_the_first_stops() {
        let (dir, first) = sole();
        let path = dir.path().join("t.db");
        let path = path.to_str().expect("path");
        let refused = Verified::sole_node_of(path).expect_err("the file has a node");
        assert!(
            refused.to_string().contains("another flexkeur node"),
            "{refused}"
        );
        // A clone is the same node.
        let clone = first.clone();
        drop(first);
        assert!(
            Verified::sole_node_of(path).is_err(),
            "still held by the clone"
        );
        drop(clone);
        Verified::sole_node_of(path).expect("free once the first node has stopped");
    }

    #[test]
    fn a_kept_certificate_still_expires_by_date_and_hides_register_ids() {
        let (_dir, verified) = sole();
        let generation = recall_one(&verified, "SNF-2026-00001").expect_err("empty");
        verified.keep(
            generation,
            &[known("SNF-2026-00001", Status::Valid, day(10))],
        );
        let kept = recall_one(&verified, "SNF-2026-00001").expect("kept");
        assert_eq!(kept.public(day(10)).expect("public").status, Status::Valid);
        let after = kept.public(day(11)).expect("public");
        assert_eq!(after.status, Status::Expired);
        assert_eq!(after.locations[0].id, None);
        assert_eq!(after.locations[0].city, "Zoëterwoude");
    }

    #[test]
    fn a_read_under_way_during_a_write_is_not_kept() {
        let (_dir, verified) = sole();
        verified.keep(0, &[known("SNF-2026-00002", Status::Valid, day(31))]);
        let (found, missing, generation) =
            verified.recall(vec!["SNF-2026-00001".into(), "SNF-2026-00002".into()]);
        assert_eq!(found.len(), 1);
        assert_eq!(missing, ["SNF-2026-00001"]);
        // A status write ends while the read of the old row is under way.
        verified.forget();
        assert!(
            recall_one(&verified, "SNF-2026-00002").is_err(),
            "forgotten"
        );
        verified.keep(
            generation,
            &[known("SNF-2026-00001", Status::Valid, day(31))],
        );
        let next = recall_one(&verified, "SNF-2026-00001").expect_err("the old row was not kept");
        verified.keep(next, &[known("SNF-2026-00001", Status::Suspended, day(31))]);
        let kept = recall_one(&verified, "SNF-2026-00001").expect("kept");
        assert_eq!(
            kept.public(day(1)).expect("public").status,
            Status::Suspended
        );
    }

    #[test]
    fn off_keeps_nothing() {
        let verified = Verified::off();
        let generation = recall_one(&verified, "SNF-2026-00001").expect_err("nothing");
        verified.keep(
            generation,
            &[known("SNF-2026-00001", Status::Valid, day(31))],
        );
        assert!(recall_one(&verified, "SNF-2026-00001").is_err());
    }
}
