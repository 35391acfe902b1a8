//! A database that one test owns: a SQLite file in a temporary directory by default, or a
//! fresh `chat_test_<uuid>` database on the PostgreSQL server named by
//! `TEST_DATABASE_URL`, dropped again when the test ends.

use sea_orm::{ConnectionTrait, Database};
use std::path::PathBuf;

pub struct TestDb {
    /// The database URL for the server under test.
    pub url: String,
    /// A private data directory (JWT secret, SQLite file, logs).
    pub data_dir: PathBuf,
    postgres: Option<(String, String)>,
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
                postgres: None,
                _dir: dir,
            },
            Some(admin_url) => {
                let name = format!("chat_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL reachable at TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                Self {
                    url: replace_database(&admin_url, &name),
                    data_dir,
                    postgres: Some((admin_url, name)),
                    _dir: dir,
                }
            }
        }
    }
}

/// `postgres://u@h:5432/postgres?x=y` → `postgres://u@h:5432/<name>?x=y`.
fn replace_database(url: &str, name: &str) -> String {
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

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async: a short-lived runtime on its own thread does it.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await.ok();
                }
            });
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
