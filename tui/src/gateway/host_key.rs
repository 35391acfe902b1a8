//! The gateway's ed25519 host key: made once in the data directory (mode 0600) and kept,
//! so users' `known_hosts` stays right across restarts.

use anyhow::{Context as _, bail};
use rand::Rng as _;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey};
use std::io::Write as _;
use std::path::Path;

pub const FILE_NAME: &str = "ssh_host_ed25519_key";

/// Reads the host key, or makes and saves one.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<PrivateKey> {
    let path = data_dir.join(FILE_NAME);
    if path.exists() {
        check_private(&path)?;
        let pem = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the host key {}", path.display()))?;
        return PrivateKey::from_openssh(pem)
            .with_context(|| format!("the host key {} is not an OpenSSH key", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    // A thread RNG seeded from the OS (ChaCha): fit for keys.
    let seed: [u8; 32] = rand::rng().random();
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let pem = key.to_openssh(LineEnding::LF)?;
    let mut file = open_new_private(&path)?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the host key {}", path.display()))?;
    tracing::info!(path = %path.display(), "made a new ssh host key");
    Ok(key)
}

/// "SHA256:…", as `ssh` shows it when it first meets the host.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(unix)]
fn open_new_private(path: &Path) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the host key {}", path.display()))
}

#[cfg(not(unix))]
fn open_new_private(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating the host key {}", path.display()))
}

/// Like sshd, a host key others can read is refused: it may have been copied.
#[cfg(unix)]
fn check_private(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "the host key {} is readable by others (mode {mode:o}); chmod 600 it",
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let made = load_or_create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let again = load_or_create(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(fingerprint(&made), fingerprint(&again));
        assert!(fingerprint(&made).starts_with("SHA256:"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let path = dir.path().join(FILE_NAME);
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or_default();
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                .unwrap_or_else(|e| panic!("{e}"));
            let refused = load_or_create(dir.path()).map(|_| ());
            assert!(refused.is_err(), "a readable key is refused");
        }
    }
}
