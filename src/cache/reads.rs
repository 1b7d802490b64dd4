//! The tables one request's statements read, gathered as they run, so its
//! response is stored under them and ends when one of them is written.

use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct ReadLog(Mutex<Vec<String>>);

impl ReadLog {
    /// Notes the tables `sql` reads.
    pub fn record(&self, sql: &str) {
        let mut tables = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for t in crate::sql::tables::read_by(sql) {
            if !tables.contains(&t) {
                tables.push(t);
            }
        }
    }

    /// What was read so far.
    pub fn tables(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
