//! The binary: configuration validation at start.

use std::process::Command;

#[test]
fn bad_bind_addr_exits_2_naming_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
        .env("BIND_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("BIND_ADDR"), "{err}");
}

#[test]
fn unknown_subcommand_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

use crate::common;

#[test]
fn indexes_seed_and_doctor_exit_cleanly() {
    let prefix = common::unique_prefix();
    for cmd in ["indexes", "seed", "seed", "doctor"] {
        let out = Command::new(env!("CARGO_BIN_EXE_shiku-api"))
            .arg(cmd)
            .env_clear()
            .envs(common::test_env(&prefix, &[]))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{cmd}: {err}");
        assert!(!err.contains("panicked"), "{cmd}: {err}");
    }
}
