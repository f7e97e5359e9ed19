//! Waiting for what happens outside the test (a process, the chain, a file) without sleeping a
//! fixed time: ask again every 100 ms until the answer comes, or fail after a deadline with a
//! message that says what was awaited and what was seen.

use std::{
    future::Future,
    time::{Duration, Instant},
};

/// How often a wait asks again.
pub const POLL: Duration = Duration::from_millis(100);

/// Asks `attempt` until it answers `Some`, blocking the thread; panics after `within` with
/// `failure()`.
pub fn until<T>(within: Duration, mut attempt: impl FnMut() -> Option<T>, failure: impl FnOnce() -> String) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(answer) = attempt() {
            return answer;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {}", failure());
        std::thread::sleep(POLL);
    }
}

/// Awaits `attempt` until it answers `Some`; panics after `within` with `failure()`.
pub async fn eventually<T, F>(within: Duration, mut attempt: impl FnMut() -> F, failure: impl FnOnce() -> String) -> T
where
    F: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(answer) = attempt().await {
            return answer;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {}", failure());
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_returns_the_first_answer() {
        let mut asked = 0;
        let answer = until(
            Duration::from_secs(5),
            || {
                asked += 1;
                (asked == 3).then_some(asked)
            },
            String::new,
        );
        assert_eq!(answer, 3);
    }

    #[test]
    #[should_panic(expected = "not within 150ms: the answer (asked")]
    fn until_fails_with_what_it_awaited() {
        let asked = std::cell::Cell::new(0);
        until::<()>(
            Duration::from_millis(150),
            || {
                asked.set(asked.get() + 1);
                None
            },
            || format!("the answer (asked {} times)", asked.get()),
        );
    }

    #[tokio::test]
    async fn eventually_awaits_the_first_answer() {
        let started = Instant::now();
        let answer = eventually(
            Duration::from_secs(5),
            || async { (started.elapsed() >= POLL).then_some("late") },
            String::new,
        )
        .await;
        assert_eq!(answer, "late");
    }
}
