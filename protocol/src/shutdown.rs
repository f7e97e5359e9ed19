//! The daemons' shutdown signal: the oracle and the keeper stop cleanly on SIGINT (Ctrl-C) or
//! SIGTERM (systemd, Docker, Kubernetes).

/// Resolves on SIGINT or SIGTERM (SIGINT only where there is no SIGTERM).
pub async fn signal() {
    let ctrl_c = async {
        // An error means no handler could be installed: then only SIGTERM stops the daemon.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
