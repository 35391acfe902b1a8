//! Stamps the binary with the commit it was built from (`chat-server --version`):
//! `CHAT_BUILD_COMMIT` when set (an image built without `.git`), else `git`, else
//! "unknown". Cargo reruns this only when HEAD or the branch it names moves.

use std::{path::Path, process::Command};

fn main() {
    println!("cargo:rerun-if-env-changed=CHAT_BUILD_COMMIT");
    let git_dir = Path::new("../.git");
    if git_dir.is_dir() {
        let head = git_dir.join("HEAD");
        println!("cargo:rerun-if-changed={}", head.display());
        if let Ok(text) = std::fs::read_to_string(&head)
            && let Some(branch) = text.trim().strip_prefix("ref: ")
        {
            let reference = git_dir.join(branch);
            if reference.exists() {
                println!("cargo:rerun-if-changed={}", reference.display());
            }
        }
        let packed = git_dir.join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
    }
    let commit = std::env::var("CHAT_BUILD_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CHAT_BUILD_COMMIT={commit}");
}

fn git_commit() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}
