//! The connection one group-committed operation runs on: the shared transaction, watched.
//!
//! Operations share a transaction without a savepoint each (two more round trips per
//! operation, on the hottest path). That is safe as long as an operation that fails has
//! written nothing and met no database error: a refusal such as a closed gate or a
//! duplicate reaction. This wrapper records whether that holds, so the group commit can
//! tell a clean refusal (the others go on) from a failure that may have left partial
//! writes or, on PostgreSQL, an aborted transaction (the whole batch is rolled back).

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};
use std::sync::atomic::{AtomicBool, Ordering};

pub struct OpConn<'t> {
    txn: &'t DatabaseTransaction,
    touched: AtomicBool,
}

impl<'t> OpConn<'t> {
    pub(super) fn new(txn: &'t DatabaseTransaction) -> Self {
        Self {
            txn,
            touched: AtomicBool::new(false),
        }
    }

    /// Whether the operation wrote a row or met a database error.
    pub(super) fn touched(&self) -> bool {
        self.touched.load(Ordering::Acquire)
    }

    fn note<T>(
        &self,
        outcome: Result<T, DbErr>,
        wrote: impl FnOnce(&T) -> bool,
    ) -> Result<T, DbErr> {
        if outcome.as_ref().map_or(true, wrote) {
            self.touched.store(true, Ordering::Release);
        }
        outcome
    }
}

/// A query that is not a plain `SELECT` writes the rows it returns (`RETURNING`).
fn is_select(stmt: &Statement) -> bool {
    stmt.sql
        .trim_start()
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("select"))
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for OpConn<'_> {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let outcome = self.txn.execute_raw(stmt).await;
        self.note(outcome, |done| done.rows_affected() > 0)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let outcome = self.txn.execute_unprepared(sql).await;
        self.note(outcome, |done| done.rows_affected() > 0)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let select = is_select(&stmt);
        let outcome = self.txn.query_one_raw(stmt).await;
        self.note(outcome, |row| !select && row.is_some())
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let select = is_select(&stmt);
        let outcome = self.txn.query_all_raw(stmt).await;
        self.note(outcome, |rows| !select && !rows.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(sql: &str) -> Statement {
        Statement::from_string(DbBackend::Sqlite, sql)
    }

    #[test]
    fn only_plain_selects_count_as_reads() {
        assert!(is_select(&stmt("SELECT 1")));
        assert!(is_select(&stmt("  select * from t")));
        assert!(!is_select(&stmt("INSERT INTO t VALUES (1) RETURNING id")));
        assert!(!is_select(&stmt("WITH x AS (SELECT 1) DELETE FROM t")));
        assert!(!is_select(&stmt("")));
    }
}
