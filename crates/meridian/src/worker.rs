//! The job worker of `meridian serve` and `meridian worker`: polls the queue, runs the jobs,
//! and at shutdown finishes or releases the job it runs.

use app::jobs::Worker;
use app::App;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often an idle worker looks for due jobs.
const POLL: Duration = Duration::from_secs(1);
/// How long a running job may go on after shutdown is asked before it is released.
const GRACE: Duration = Duration::from_secs(10);

/// Starts a worker with every built-in kind (notification mails included, rendered with the
/// web layer's catalogs); it stops when `shutdown` turns true.
pub fn spawn(app: &App, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    let worker = Worker::new(app.clone(), web::mail::job_registry());
    tokio::spawn(async move { worker.run(POLL, GRACE, shutdown).await })
}

/// A channel that turns true on Ctrl-C or SIGTERM.
pub fn on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        crate::shutdown_signal().await;
        let _ = tx.send(true);
    });
    rx
}

/// Completes when `shutdown` turns true.
pub async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}
