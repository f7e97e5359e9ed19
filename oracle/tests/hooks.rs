//! The example hooks in `hooks/`, run as the oracle runs them (environment + JSON on stdin):
//! their syntax, the exact `docker` commands of `docker-gpu.sh` (through a recording `docker`
//! stand-in, so no Docker daemon is needed), and `authorized-keys.sh` under concurrent runs.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK gpu-escrow-1a2b3c4d5e6f";

fn hook(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hooks")
        .join(name)
        .canonicalize()
        .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpu-oracle-hooks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rental(n: u8) -> String {
    format!("0x{}", format!("{n:02x}").repeat(32))
}

/// Runs `script` for `action` on `rental` with `env`, like the oracle does.
fn run(script: &Path, action: &str, rental: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(script);
    cmd.env("GPU_ESCROW_ACTION", action)
        .env("GPU_ESCROW_RENTAL_ID", rental)
        .env("GPU_ESCROW_RENTER", "0x00000000000000000000000000000000000000aa")
        .env("GPU_ESCROW_OFFER_ID", "1")
        .env("GPU_ESCROW_ACCESS_KEY", KEY)
        .env("GPU_ESCROW_GPU_UUIDS", "GPU-aaaa-1,GPU-bbbb-2")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    cmd.output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn the_example_hooks_parse() {
    for (shell, name) in [("sh", "authorized-keys.sh"), ("bash", "docker-gpu.sh")] {
        let out = Command::new(shell).arg("-n").arg(hook(name)).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let mode = std::fs::metadata(hook(name)).unwrap().permissions().mode();
        assert_ne!(mode & 0o111, 0, "{name} is executable");
    }
}

/// A `docker` that records each call's arguments (one per line, calls separated by `--`) and
/// answers like Docker: the container exists once `run` was called, until `rm -f`.
const FAKE_DOCKER: &str = r#"#!/bin/sh
log="$FAKE_DOCKER_DIR/calls"
for a in "$@"; do printf '%s\n' "$a" >> "$log"; done
echo -- >> "$log"
case "$1 ${2:-}" in
"container inspect") [ -e "$FAKE_DOCKER_DIR/exists" ] ;;
"run "*) touch "$FAKE_DOCKER_DIR/exists"; echo 4f1c0ffee ;;
"port "*) echo "0.0.0.0:49153"; echo "[::]:49153" ;;
"rm -f") rm -f "$FAKE_DOCKER_DIR/exists" ;;
*) echo "unexpected docker call: $*" >&2; exit 1 ;;
esac
"#;

fn calls(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("calls"))
        .unwrap_or_default()
        .split("--\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.lines().map(str::to_owned).collect())
        .collect()
}

#[test]
fn docker_gpu_runs_one_container_with_the_rentals_gpus_and_key_and_removes_it() {
    let dir = temp_dir("docker");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("docker"), FAKE_DOCKER).unwrap();
    std::fs::set_permissions(bin.join("docker"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let env = [
        ("PATH", path.as_str()),
        ("FAKE_DOCKER_DIR", dir.to_str().unwrap()),
        ("ACCESS_HOST", "gpu1.example"),
        ("DOCKER_RUN_ARGS", "--shm-size 16g"),
    ];
    let id = rental(0xab);
    let name = format!("gpu-escrow-{}", "ab".repeat(32));

    let out = ok(&run(&hook("docker-gpu.sh"), "provision", &id, &env));
    let details: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(details["host"], "gpu1.example");
    assert_eq!(details["port"], 49153);
    assert_eq!(details["user"], "renter");
    assert!(details["notes"].as_str().unwrap().contains(&name), "{details}");
    let expected_run: Vec<String> = [
        "run",
        "-d",
        "--name",
        &name,
        "--restart",
        "unless-stopped",
        "--label",
        &format!("gpu-escrow.rental={id}"),
        "--label",
        "gpu-escrow.renter=0x00000000000000000000000000000000000000aa",
        "--label",
        "gpu-escrow.offer=1",
        "--gpus",
        "\"device=GPU-aaaa-1,GPU-bbbb-2\"",
        "-p",
        "0.0.0.0::2222",
        "-e",
        &format!("PUBLIC_KEY={KEY}"),
        "-e",
        "USER_NAME=renter",
        "-e",
        "PASSWORD_ACCESS=false",
        "-e",
        "SUDO_ACCESS=false",
        "--shm-size",
        "16g",
        "lscr.io/linuxserver/openssh-server:latest",
    ]
    .map(str::to_owned)
    .to_vec();
    assert_eq!(
        calls(&dir),
        vec![
            vec!["container".to_owned(), "inspect".into(), name.clone()],
            expected_run.clone(),
            vec!["port".to_owned(), name.clone(), "2222/tcp".into()],
        ]
    );

    // A retried provisioning replaces the earlier container.
    std::fs::remove_file(dir.join("calls")).unwrap();
    ok(&run(&hook("docker-gpu.sh"), "provision", &id, &env));
    let c = calls(&dir);
    assert_eq!(c[1], vec!["rm".to_owned(), "-f".into(), name.clone()]);
    assert_eq!(c[2], expected_run);

    // Teardown removes it; a second teardown finds nothing and still succeeds.
    std::fs::remove_file(dir.join("calls")).unwrap();
    assert_eq!(ok(&run(&hook("docker-gpu.sh"), "teardown", &id, &env)), "");
    ok(&run(&hook("docker-gpu.sh"), "teardown", &id, &env));
    assert_eq!(
        calls(&dir),
        vec![
            vec!["container".to_owned(), "inspect".into(), name.clone()],
            vec!["rm".to_owned(), "-f".into(), name.clone()],
            vec!["container".to_owned(), "inspect".into(), name],
        ]
    );

    // Refusals: no GPUs, a key that is not one line, a bad rental id.
    let no_gpus = run(
        &hook("docker-gpu.sh"),
        "provision",
        &id,
        &[env[0], env[1], ("GPU_ESCROW_GPU_UUIDS", "")],
    );
    assert!(!no_gpus.status.success());
    let bad_key = run(
        &hook("docker-gpu.sh"),
        "provision",
        &id,
        &[env[0], env[1], ("GPU_ESCROW_ACCESS_KEY", "hello")],
    );
    assert!(String::from_utf8_lossy(&bad_key.stderr).contains("not one OpenSSH public key"));
    let bad_id = run(&hook("docker-gpu.sh"), "teardown", "0x12; rm -rf /", &env);
    assert!(String::from_utf8_lossy(&bad_id.stderr).contains("unexpected rental id"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn authorized_keys_keeps_one_line_per_rental_under_concurrent_runs() {
    let dir = temp_dir("authorized-keys");
    let file = dir.join("ssh/authorized_keys");
    let env = [
        ("AUTHORIZED_KEYS_FILE", file.to_str().unwrap()),
        ("ACCESS_HOST", "gpu1.example"),
        ("ACCESS_PORT", "2200"),
        ("ACCESS_USER", "renter"),
    ];
    let script = hook("authorized-keys.sh");
    let out = ok(&run(&script, "provision", &rental(1), &env));
    let details: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&details["host"], &details["port"], &details["user"]),
        (
            &serde_json::json!("gpu1.example"),
            &serde_json::json!(2200),
            &serde_json::json!("renter")
        )
    );
    // Provisioning the same rental again does not add a second line.
    ok(&run(&script, "provision", &rental(1), &env));
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 1);

    // Sixteen rentals provisioned at once: every line survives the concurrent edits.
    std::thread::scope(|s| {
        for n in 2..18 {
            let (script, env) = (&script, &env);
            s.spawn(move || ok(&run(script, "provision", &rental(n), env)));
        }
    });
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 17, "{text}");
    for n in 1..18 {
        assert_eq!(
            text.matches(&format!("# gpu-escrow {}\n", rental(n))).count(),
            1,
            "{text}"
        );
    }
    // And torn down at once: exactly those lines go.
    std::thread::scope(|s| {
        for n in (2..18).step_by(2) {
            let (script, env) = (&script, &env);
            s.spawn(move || ok(&run(script, "teardown", &rental(n), env)));
        }
    });
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 9, "{text}");
    assert!(!text.contains(&rental(2)) && text.contains(&rental(3)));
    ok(&run(&script, "teardown", &rental(2), &env));
    let bad = run(
        &script,
        "provision",
        &rental(30),
        &[env[0], ("GPU_ESCROW_ACCESS_KEY", "garbage")],
    );
    assert!(!bad.status.success());
    assert!(!std::fs::read_to_string(&file).unwrap().contains(&rental(30)));
    let _ = std::fs::remove_dir_all(&dir);
}
