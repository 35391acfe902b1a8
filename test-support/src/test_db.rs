//! A database that one test owns: a SQLite file in a temporary directory by default, or a
//! fresh `chat_test_<uuid>` database on the PostgreSQL server named by
//! `TEST_DATABASE_URL`, dropped again when the test ends.

use sea_orm::{ConnectionTrait, Database, DbErr};
use std::path::PathBuf;

pub struct TestDb {
    /// The database URL for the server under test.
    pub url: String,
    /// A private data directory (JWT secret, SQLite file, logs).
    pub data_dir: PathBuf,
    _postgres: Option<ScratchDatabase>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_path_buf();
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            None => Self {
                url: format!("sqlite://{}?mode=rwc", data_dir.join("chat.db").display()),
                data_dir,
                _postgres: None,
                _dir: dir,
            },
            Some(admin_url) => {
                let scratch = ScratchDatabase::create(&admin_url, "chat_test")
                    .await
                    .expect("a test database on the PostgreSQL server at TEST_DATABASE_URL");
                Self {
                    url: scratch.url.clone(),
                    data_dir,
                    _postgres: Some(scratch),
                    _dir: dir,
                }
            }
        }
    }
}

/// A new PostgreSQL database `<prefix>_<uuid>` on the server `admin_url` points at,
/// dropped (even with connections still open) when this is dropped or [`Self::remove`]d.
pub struct ScratchDatabase {
    /// The URL of the new database.
    pub url: String,
    admin_url: String,
    name: Option<String>,
}

impl ScratchDatabase {
    pub async fn create(admin_url: &str, prefix: &str) -> Result<Self, DbErr> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await.ok();
        Ok(Self {
            url: replace_database(admin_url, &name),
            admin_url: admin_url.to_owned(),
            name: Some(name),
        })
    }

    /// Drops the database now, on the caller's runtime.
    pub async fn remove(mut self) {
        if let Some(name) = self.name.take() {
            drop_database(&self.admin_url, &name).await;
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(admin) = Database::connect(admin_url).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin.close().await.ok();
    }
}

/// `postgres://u@h:5432/postgres?x=y` → `postgres://u@h:5432/<name>?x=y`.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let Some(name) = self.name.take() else {
            return;
        };
        let admin_url = self.admin_url.clone();
        // Drop runs outside async: a short-lived runtime on its own thread does it.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(drop_database(&admin_url, &name));
        })
        .join();
    }
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        replace_database("postgres://p@h:5432/postgres", "x"),
        "postgres://p@h:5432/x"
    );
    assert_eq!(
        replace_database("postgres://p@h:5432", "x"),
        "postgres://p@h:5432/x"
    );
    assert_eq!(
        replace_database("postgres://p@h/db?sslmode=disable", "x"),
        "postgres://p@h/x?sslmode=disable"
    );
}
