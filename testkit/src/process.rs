//! What a test starts outside itself, and cleans up: child processes killed (and reaped) on drop
//! whose log's tail goes into failure messages, ports free at the time of asking, temporary
//! folders removed on drop, and the workspace's binaries.

use std::{
    fmt::Write as _,
    fs::{File, OpenOptions},
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use crate::{repo_root, wait};

/// How many lines of a child's log a failure message shows.
const TAIL_LINES: usize = 30;

/// A port on 127.0.0.1 that was free when asked (the listener is closed before returning).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// A workspace binary next to the running test's executable (`target/<profile>/`); panics with
/// what to build when it is missing.
pub fn workspace_bin(name: &str) -> PathBuf {
    let path = target_dir().join(name);
    assert!(
        path.exists(),
        "{} not found: build the workspace first (`cargo build --workspace`)",
        path.display()
    );
    path
}

/// As [`workspace_bin`], but builds the binary of `package` first when it is missing.
pub fn build_bin(package: &str, name: &str) -> PathBuf {
    let path = target_dir().join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", package])
            .current_dir(repo_root())
            .status()
            .unwrap_or_else(|e| panic!("cannot run cargo to build {package}: {e}"));
        assert!(status.success(), "cannot build {package}");
    }
    workspace_bin(name)
}

/// `target/<profile>/`: a test's executable lies in its `deps/`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own executable");
    exe.parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps/")
        .to_path_buf()
}

/// A folder under the system's temporary folder, unique to this process and call, removed when
/// dropped, unless the test is failing: then it stays, with its logs, for a look.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `gpu-escrow-<name>-<pid>-<n>` afresh.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("gpu-escrow-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Self { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `name` inside the folder.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.path.join(name)
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The last `lines` lines of a log file (empty when it is missing).
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A child process, killed and reaped when dropped; its stdout and stderr are appended to a log
/// file.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    name: String,
    log: PathBuf,
}

impl ChildGuard {
    /// Starts `command` (stdin closed, stdout and stderr appended to `log`), or panics saying
    /// which program did not start.
    pub fn spawn(command: &mut Command, log: &Path) -> Self {
        let name = command.get_program().to_string_lossy().into_owned();
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
        let err = out.try_clone().expect("a second handle on the log");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            child,
            name,
            log: log.to_owned(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The whole log (empty while there is none).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log's last lines, for a failure message.
    pub fn log_tail(&self) -> String {
        tail(&self.log, TAIL_LINES)
    }

    /// The exit status if the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the child's status")
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit; returns its status.
    pub fn terminate(&mut self, within: Duration) -> ExitStatus {
        let pid = self.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "cannot send SIGTERM to {} ({pid})", self.name);
        let child = &mut self.child;
        wait::until(
            within,
            || child.try_wait().expect("the child's status"),
            || {
                format!(
                    "{} did not exit after SIGTERM; log:\n{}",
                    self.name,
                    tail(&self.log, TAIL_LINES)
                )
            },
        )
    }

    /// Waits until `GET url` answers 200 (a health check), or panics with the log's tail when the
    /// process exits or `within` runs out.
    pub fn wait_healthy(&mut self, url: &str, within: Duration) {
        let child = &mut self.child;
        wait::until(
            within,
            || {
                let exited = child.try_wait().expect("the child's status");
                assert!(
                    exited.is_none(),
                    "{} exited ({exited:?}) before {url} answered",
                    self.name
                );
                (http_status(url) == Some(200)).then_some(())
            },
            || format!("{} did not answer {url}:\n{}", self.name, tail(&self.log, TAIL_LINES)),
        );
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status code of a plain `GET` of an `http://host:port/path` URL, or `None` when nothing
/// answers within a second: for health checks.
pub fn http_status(url: &str) -> Option<u16> {
    http_get(url).map(|(status, _)| status)
}

/// The status code and body of a plain `GET` of an `http://host:port/path` URL, or `None` when
/// nothing answers within a second.
pub fn http_get(url: &str) -> Option<(u16, String)> {
    http_request("GET", url, &[])
}

/// The status code and body of a `method` request with `headers` and no body to an
/// `http://host:port/path` URL (HTTP/1.1, the connection closed after the answer), or `None` when
/// nothing answers within a second. Blocking and dependency-free.
pub fn http_request(method: &str, url: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let address = host.parse().ok()?;
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.get(9..12)?.parse().ok()?;
    if read.is_err() && !answer.contains("\r\n\r\n") {
        return None;
    }
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Some((status, body.to_owned()))
}

/// Writes `text` to a file, creating it and its folder (a hook's plan, a config).
pub fn write_file(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
    }
    File::create(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temp_dir_is_fresh_per_call_and_gone_after_drop() {
        let (a, b) = (TempDir::new("testkit"), TempDir::new("testkit"));
        assert_ne!(a.path(), b.path());
        write_file(&a.join("x/y.txt"), "hello");
        let path = a.path().to_owned();
        drop(a);
        assert!(!path.exists());
    }

    #[test]
    fn a_child_is_killed_on_drop_and_its_log_tail_kept() {
        let dir = TempDir::new("testkit-child");
        let log = dir.join("child.log");
        let mut command = Command::new("sh");
        command.args(["-c", "for i in 1 2 3; do echo line $i; done; exec sleep 30"]);
        let mut child = ChildGuard::spawn(&mut command, &log);
        wait::until(
            Duration::from_secs(10),
            || child.log_text().contains("line 3").then_some(()),
            || "no output".to_owned(),
        );
        assert_eq!(tail(&log, 2), "line 2\nline 3");
        assert!(child.try_wait().is_none());
        let pid = child.pid();
        drop(child);
        assert!(!Path::new(&format!("/proc/{pid}")).exists(), "killed and reaped");
    }

    #[test]
    fn http_get_reads_the_status_and_body_and_none_when_nothing_listens() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/healthz", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 256];
            let n = stream.read(&mut request).unwrap();
            assert!(String::from_utf8_lossy(&request[..n]).starts_with("GET /healthz HTTP/1.1"));
            stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
        });
        assert_eq!(http_get(&url), Some((204, String::new())));
        server.join().unwrap();
        assert_eq!(http_status(&format!("http://127.0.0.1:{}/healthz", free_port())), None);
    }
}
