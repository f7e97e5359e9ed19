//! Running one hook. The contract with the provider's script:
//!
//! - environment: `GPU_ESCROW_ACTION` (`provision` or `teardown`), `GPU_ESCROW_RENTAL_ID`,
//!   `GPU_ESCROW_RENTER`, `GPU_ESCROW_OFFER_ID`, `GPU_ESCROW_ACCESS_KEY` (one OpenSSH line),
//!   `GPU_ESCROW_GPU_UUIDS` (comma-separated), plus the configured `[access.env]`; the oracle's
//!   own `GPU_ORACLE_*` variables (which may hold key passwords) are removed;
//! - stdin: the same facts as one JSON object ([`HookInput`]), then end of file;
//! - exit status 0 is success, anything else a failure that is retried;
//! - stdout of a provisioning hook: one JSON object `{"host", "port", "user", "notes"?}`
//!   ([`ConnectionDetails`]); a teardown hook's stdout is ignored;
//! - a hook still running at the timeout is killed with SIGKILL, its whole process group with it
//!   (each hook starts its own group), and counts as failed. Processes a hook leaves running in
//!   the background must not keep its stdout open.

use std::{process::Stdio, time::Duration};

use nix::{
    sys::signal::{killpg, Signal},
    unistd::Pid,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    process::Command,
};

use super::{AccessHooks, Action, ConnectionDetails, HookInput};

/// Most bytes of stdout read from a hook; more is malformed output.
pub const MAX_STDOUT_BYTES: usize = 64 * 1024;
/// The tail of stderr kept for the error message.
const STDERR_TAIL_BYTES: usize = 2 * 1024;

/// Why a hook run failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The program could not be started.
    #[error("cannot start {program}: {source} (check that the hook exists and is executable)")]
    Spawn {
        /// The program.
        program: String,
        /// The error.
        source: std::io::Error,
    },
    /// It ran past the timeout and was killed.
    #[error("still running after {0:?}: killed it and its process group")]
    Timeout(Duration),
    /// It exited unsuccessfully.
    #[error("{status}{stderr}")]
    Failed {
        /// How it exited.
        status: String,
        /// The tail of its stderr (prefixed for display), empty if it wrote nothing.
        stderr: String,
    },
    /// Its stdout is not the connection details.
    #[error(
        "malformed output: {0}; a provisioning hook must print one JSON object {{\"host\": \"…\", \"port\": 22, \"user\": \"…\", \"notes\": \"…\"}} on stdout"
    )]
    Malformed(String),
    /// Talking to it failed.
    #[error("reading the hook's output failed: {0}")]
    Io(std::io::Error),
}

impl HookError {
    /// The `result` label of the hook metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "timeout",
            Self::Malformed(_) => "malformed",
            Self::Spawn { .. } | Self::Failed { .. } | Self::Io(_) => "failure",
        }
    }
}

/// Runs the provisioning hook and returns the connection details it printed.
pub async fn provision(hooks: &AccessHooks, input: &HookInput) -> Result<ConnectionDetails, HookError> {
    let stdout = run(hooks, Action::Provision, input).await?;
    parse_output(&stdout)
}

/// Runs the teardown hook.
pub async fn teardown(hooks: &AccessHooks, input: &HookInput) -> Result<(), HookError> {
    run(hooks, Action::Teardown, input).await.map(|_| ())
}

/// Validates a provisioning hook's stdout: exactly one JSON object with a non-empty `host` and
/// `user`, a `port` in 1..=65535 and optional `notes`, nothing else.
pub fn parse_output(stdout: &[u8]) -> Result<ConnectionDetails, HookError> {
    if stdout.len() > MAX_STDOUT_BYTES {
        return Err(HookError::Malformed(format!(
            "more than {MAX_STDOUT_BYTES} bytes on stdout"
        )));
    }
    let text = std::str::from_utf8(stdout).map_err(|_| HookError::Malformed("stdout is not UTF-8".into()))?;
    if text.trim().is_empty() {
        return Err(HookError::Malformed("nothing on stdout".into()));
    }
    let details: ConnectionDetails = serde_json::from_str(text.trim()).map_err(|e| {
        let shown: String = text.trim().chars().take(200).collect();
        HookError::Malformed(format!("{e} in {shown:?}"))
    })?;
    if details.host.trim().is_empty() || details.host.chars().any(char::is_whitespace) {
        return Err(HookError::Malformed(format!(
            "`host` must be a non-empty host name or address, got {:?}",
            details.host
        )));
    }
    if details.port == 0 {
        return Err(HookError::Malformed("`port` must be in 1..=65535, got 0".into()));
    }
    if details.user.trim().is_empty() || details.user.chars().any(char::is_whitespace) {
        return Err(HookError::Malformed(format!(
            "`user` must be a non-empty user name, got {:?}",
            details.user
        )));
    }
    Ok(details)
}

/// Kills the hook's process group unless disarmed (the hook exited by itself).
struct GroupKiller(Option<Pid>);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(group) = self.0 {
            // The group may be gone already; nothing else to do either way.
            let _ = killpg(group, Signal::SIGKILL);
        }
    }
}

/// Runs the hook of `action`; returns its stdout (at most `MAX_STDOUT_BYTES + 1` bytes).
pub async fn run(hooks: &AccessHooks, action: Action, input: &HookInput) -> Result<Vec<u8>, HookError> {
    let argv = match action {
        Action::Provision => &hooks.provision,
        Action::Teardown => &hooks.teardown,
    };
    let (program, args) = argv.split_first().ok_or_else(|| HookError::Spawn {
        program: String::new(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"),
    })?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("GPU_ORACLE_") {
            cmd.env_remove(key);
        }
    }
    cmd.envs(&hooks.env)
        .env("GPU_ESCROW_ACTION", action.as_str())
        .env("GPU_ESCROW_RENTAL_ID", format!("{:#x}", input.rental_id))
        .env("GPU_ESCROW_RENTER", format!("{:#x}", input.renter))
        .env("GPU_ESCROW_OFFER_ID", input.offer_id.to_string())
        .env("GPU_ESCROW_ACCESS_KEY", &input.access_key)
        .env("GPU_ESCROW_GPU_UUIDS", input.gpu_uuids.join(","));
    let stdin_json = serde_json::to_vec(input).map_err(|e| HookError::Io(std::io::Error::other(e)))?;

    let mut child = cmd.spawn().map_err(|source| HookError::Spawn {
        program: program.clone(),
        source,
    })?;
    let mut killer = GroupKiller(child.id().and_then(|id| i32::try_from(id).ok()).map(Pid::from_raw));
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let exchange = async {
        let feed = async {
            if let Some(mut stdin) = stdin {
                // A hook that does not read stdin may exit first: a broken pipe is its choice.
                let _ = stdin.write_all(&stdin_json).await;
                let _ = stdin.shutdown().await;
            }
        };
        let (((), out, err), status) = tokio::join!(
            async {
                tokio::join!(
                    feed,
                    read_head(stdout, MAX_STDOUT_BYTES + 1),
                    read_tail(stderr, STDERR_TAIL_BYTES)
                )
            },
            child.wait()
        );
        (out, err, status)
    };
    let (out, err, status) = tokio::time::timeout(hooks.timeout, exchange)
        .await
        .map_err(|_| HookError::Timeout(hooks.timeout))?;
    // It exited by itself: what it left running on purpose (a daemon) is its business.
    killer.0 = None;
    let status = status.map_err(HookError::Io)?;
    let out = out.map_err(HookError::Io)?;
    let err = err.unwrap_or_default();
    if !status.success() {
        let tail = String::from_utf8_lossy(&err).trim().to_owned();
        return Err(HookError::Failed {
            status: status.to_string(),
            stderr: if tail.is_empty() {
                String::new()
            } else {
                format!("; stderr: {tail}")
            },
        });
    }
    if !err.is_empty() {
        tracing::debug!(target: "oracle::access", action = action.as_str(), rental = %input.rental_id,
            stderr = %String::from_utf8_lossy(&err).trim(), "hook stderr");
    }
    Ok(out)
}

/// Reads to the end, keeping the first `keep` bytes (the rest is drained so the writer never
/// blocks).
async fn read_head(reader: Option<impl AsyncRead + Unpin>, keep: usize) -> std::io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    let Some(mut reader) = reader else { return Ok(kept) };
    let mut buf = vec![0_u8; 8 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(kept);
        }
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
}

/// Reads to the end, keeping the last `keep` bytes.
async fn read_tail(reader: Option<impl AsyncRead + Unpin>, keep: usize) -> std::io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    let Some(mut reader) = reader else { return Ok(kept) };
    let mut buf = vec![0_u8; 8 * 1024];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(kept);
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > keep {
            kept.drain(..kept.len() - keep);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::{collections::BTreeMap, os::unix::fs::PermissionsExt, path::PathBuf};

    use alloy::primitives::{Address, B256};

    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gpu-oracle-hook-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn script(dir: &std::path::Path, name: &str, body: &str) -> String {
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn hooks(provision: &str, timeout_ms: u64) -> AccessHooks {
        AccessHooks {
            provision: vec![provision.to_owned()],
            teardown: vec![provision.to_owned()],
            timeout: Duration::from_millis(timeout_ms),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(1),
            env: BTreeMap::from([("EXTRA".to_owned(), "from-config".to_owned())]),
        }
    }

    fn input() -> HookInput {
        HookInput {
            rental_id: B256::repeat_byte(0x11),
            renter: Address::repeat_byte(0x22),
            offer_id: 7,
            access_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK gpu-escrow-111111111111".into(),
            gpu_uuids: vec!["GPU-a".into(), "GPU-b".into()],
        }
    }

    #[tokio::test]
    async fn the_hook_gets_the_rental_in_its_environment_and_on_stdin() {
        let dir = temp_dir("env");
        let seen = dir.join("seen");
        let body = format!(
            r#"cat > {seen}.stdin
env | grep -E '^(GPU_ESCROW_|EXTRA=|GPU_ORACLE_)' | sort > {seen}.env
printf '{{"host": "gpu1.example", "port": 2222, "user": "renter", "notes": "hi"}}\n'"#,
            seen = seen.display()
        );
        let hook = script(&dir, "ok.sh", &body);
        let details = provision(&hooks(&hook, 10_000), &input()).await.unwrap();
        assert_eq!(
            details,
            ConnectionDetails {
                host: "gpu1.example".into(),
                port: 2222,
                user: "renter".into(),
                notes: Some("hi".into())
            }
        );
        let stdin: HookInput = serde_json::from_str(&std::fs::read_to_string(dir.join("seen.stdin")).unwrap()).unwrap();
        assert_eq!(stdin, input());
        let env = std::fs::read_to_string(dir.join("seen.env")).unwrap();
        let expected = format!(
            "EXTRA=from-config\nGPU_ESCROW_ACCESS_KEY={}\nGPU_ESCROW_ACTION=provision\nGPU_ESCROW_GPU_UUIDS=GPU-a,GPU-b\n\
             GPU_ESCROW_OFFER_ID=7\nGPU_ESCROW_RENTAL_ID=0x{}\nGPU_ESCROW_RENTER=0x{}\n",
            input().access_key,
            "11".repeat(32),
            "22".repeat(20)
        );
        assert_eq!(env, expected);
        let raw = std::fs::read_to_string(dir.join("seen.stdin")).unwrap();
        assert!(raw.contains("\"rentalId\"") && raw.contains("\"gpuUuids\""), "{raw}");
    }

    #[tokio::test]
    async fn a_failing_hook_reports_its_exit_status_and_stderr() {
        let dir = temp_dir("fail");
        let hook = script(&dir, "fail.sh", "echo 'no such user: renter' >&2\nexit 3");
        let err = provision(&hooks(&hook, 10_000), &input()).await.unwrap_err();
        assert_eq!(err.kind(), "failure");
        let msg = err.to_string();
        assert!(
            msg.contains("exit status: 3") && msg.contains("no such user: renter"),
            "{msg}"
        );

        let err = teardown(&hooks("/nonexistent/hook", 1_000), &input())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("cannot start /nonexistent/hook"), "{err}");
    }

    #[tokio::test]
    async fn a_hook_past_the_timeout_is_killed_with_its_children() {
        let dir = temp_dir("timeout");
        let pid_file = dir.join("child.pid");
        let hook = script(
            &dir,
            "slow.sh",
            &format!("sleep 30 &\necho $! > {}\nwait", pid_file.display()),
        );
        let started = std::time::Instant::now();
        let err = provision(&hooks(&hook, 700), &input()).await.unwrap_err();
        assert!(matches!(err, HookError::Timeout(_)), "{err}");
        assert_eq!(err.kind(), "timeout");
        assert!(started.elapsed() < Duration::from_secs(5), "did not wait for the sleep");
        let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
        // The background `sleep` was in the hook's process group: gone (or a zombie awaiting
        // its reaper), never still sleeping.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
            let alive = state
                .as_deref()
                .and_then(|s| s.rsplit_once(") "))
                .is_some_and(|(_, rest)| !rest.starts_with('Z'));
            if !alive {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the hook's child {pid} survived");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn a_hook_that_exits_leaves_its_intended_background_processes_alone() {
        let dir = temp_dir("daemon");
        let pid_file = dir.join("daemon.pid");
        let hook = script(
            &dir,
            "daemon.sh",
            &format!(
                "sleep 3 >/dev/null 2>&1 </dev/null &\necho $! > {}\necho '{{\"host\":\"h\",\"port\":22,\"user\":\"u\"}}'",
                pid_file.display()
            ),
        );
        provision(&hooks(&hook, 5_000), &input()).await.unwrap();
        let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_owned();
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "a background process of a successful hook keeps running"
        );
    }

    #[test]
    fn malformed_output_is_refused_with_the_reason() {
        let cases: [(&str, &str); 8] = [
            ("", "nothing on stdout"),
            ("ready", "expected"),
            (r#"{"host": "h", "port": 22}"#, "missing field `user`"),
            (r#"{"host": "", "port": 22, "user": "u"}"#, "`host` must be"),
            (
                r#"{"host": "h", "port": 0, "user": "u"}"#,
                "`port` must be in 1..=65535",
            ),
            (r#"{"host": "h", "port": 70000, "user": "u"}"#, "invalid value"),
            (r#"{"host": "h", "port": 22, "user": " "}"#, "`user` must be"),
            (
                r#"{"host": "h", "port": 22, "user": "u"} {"host": "x"}"#,
                "trailing characters",
            ),
        ];
        for (out, why) in cases {
            let err = parse_output(out.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), "malformed", "{out}");
            assert!(err.to_string().contains(why), "{out:?}: {err}");
        }
        let err = parse_output(br#"{"host": "h", "port": 22, "user": "u", "pasword": "x"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let ok = parse_output(b"\n{\"host\": \"10.0.0.5\", \"port\": 22, \"user\": \"u\"}\n").unwrap();
        assert_eq!(ok.ssh_command(), "ssh -p 22 u@10.0.0.5");
        assert_eq!(ok.notes, None);
    }
}
