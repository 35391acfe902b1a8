//! The JWT signing secret: the configured one (at least 32 bytes), or one generated on
//! first start. On SQLite (one server per database) the generated one is kept in the data
//! directory, readable by the owner only. On PostgreSQL it is kept in the database, so
//! every replica signs and accepts the same tokens without sharing a data directory.

use crate::{db::Db, entity::server_meta};
use anyhow::{Context, bail};
use rand::RngCore;
use sea_orm::{DbBackend, EntityTrait, Set, sea_query::OnConflict};
use std::path::Path;

/// The `server_meta` key of the secret generated for replicas on PostgreSQL.
const SHARED_KEY: &str = "jwt_secret";

/// The secret for this server: configured, else shared through PostgreSQL, else the
/// data directory's.
pub async fn for_server(configured: &str, db: &Db, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if configured.is_empty() && db.backend() == DbBackend::Postgres {
        shared(db).await
    } else {
        resolve(configured, data_dir)
    }
}

/// The first replica to start stores its candidate; every replica reads what was stored.
async fn shared(db: &Db) -> anyhow::Result<Vec<u8>> {
    server_meta::Entity::insert(server_meta::ActiveModel {
        key: Set(SHARED_KEY.to_owned()),
        value: Set(generate()),
    })
    .on_conflict(
        OnConflict::column(server_meta::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db.conn())
    .await
    .context("storing a generated JWT secret")?;
    let stored = server_meta::Entity::find_by_id(SHARED_KEY)
        .one(db.conn())
        .await
        .context("reading the shared JWT secret")?
        .context("the shared JWT secret vanished")?;
    if stored.value.len() < MIN_SECRET_BYTES {
        bail!("the JWT secret stored in the database is shorter than {MIN_SECRET_BYTES} bytes");
    }
    Ok(stored.value.into_bytes())
}

fn generate() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub const MIN_SECRET_BYTES: usize = 32;

pub fn resolve(configured: &str, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if !configured.is_empty() {
        if configured.len() < MIN_SECRET_BYTES {
            bail!(
                "the JWT secret is {} bytes; at least {MIN_SECRET_BYTES} are required",
                configured.len()
            );
        }
        return Ok(configured.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            return Ok(existing.as_bytes().to_vec());
        }
        bail!(
            "{} holds a secret shorter than {MIN_SECRET_BYTES} bytes",
            path.display()
        );
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let secret = generate();
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("chat-secret-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_short_configured_secret_is_refused() {
        let err = resolve("secret", &temp_dir()).expect_err("too short");
        assert!(err.to_string().contains("at least 32"));
    }

    #[test]
    fn a_generated_secret_is_kept_private_and_reused() {
        let dir = temp_dir();
        let first = resolve("", &dir).expect("generate");
        assert!(first.len() >= MIN_SECRET_BYTES);
        assert_eq!(resolve("", &dir).expect("reuse"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt_secret"))
                .expect("stat")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
