//! `/healthz` and `/readyz`: whether the database answers reads and takes writes.
//!
//! Reads are checked with a query on a reader connection, writes with a probe that writes and
//! removes a row (`store::Db::probe_write`), so a full disk or a writer connection that cannot
//! start a transaction shows here instead of behind an `ok`. `/healthz` says what works and
//! what does not; `/readyz` answers 200 only when both work, for load balancers.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

struct Checks {
    reads: Result<(), store::StoreError>,
    writes: Result<(), store::StoreError>,
}

impl Checks {
    async fn run(state: &AppState) -> Checks {
        let reads = state.app.db.ping().await;
        let writes = state.app.db.probe_write(state.app.now()).await;
        for (what, result) in [("reads", &reads), ("writes", &writes)] {
            if let Err(e) = result {
                tracing::error!(error = %e, check = what, "health check failed");
            }
        }
        Checks { reads, writes }
    }

    fn ok(&self) -> bool {
        self.reads.is_ok() && self.writes.is_ok()
    }

    fn status(&self) -> StatusCode {
        if self.ok() {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

fn describe(result: &Result<(), store::StoreError>) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(e) if e.is_storage_full() => "failing: storage full",
        Err(_) => "failing: database unavailable",
    }
}

/// One line per check: `reads: ok`, `writes: failing: storage full`; 503 unless all pass.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, String) {
    let checks = Checks::run(&state).await;
    let text = format!(
        "{}\nreads: {}\nwrites: {}\n",
        if checks.ok() { "ok" } else { "failing" },
        describe(&checks.reads),
        describe(&checks.writes)
    );
    (checks.status(), text)
}

/// `ready` (200) when reads and writes work, else `not ready` (503).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    let checks = Checks::run(&state).await;
    let text = if checks.ok() {
        "ready\n"
    } else {
        "not ready\n"
    };
    (checks.status(), text)
}
