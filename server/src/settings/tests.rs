use super::load::load_with;
use super::*;
use std::collections::BTreeMap;
use std::path::Path;

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Loads in an empty working directory, so no developer's `config/` is read.
fn try_load_in(
    cwd: &Path,
    options: &LoadOptions,
    pairs: &[(&str, &str)],
) -> Result<Settings, String> {
    load_with(options, cwd, &vars(pairs)).map_err(|e| e.to_string())
}

fn try_load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
    let cwd = tempfile::tempdir().expect("tempdir");
    try_load_in(cwd.path(), &LoadOptions::default(), pairs)
}

fn load(pairs: &[(&str, &str)]) -> Settings {
    try_load(pairs).expect("settings load")
}

fn refused(pairs: &[(&str, &str)]) -> String {
    match try_load(pairs) {
        Ok(_) => panic!("{pairs:?} was accepted"),
        Err(e) => e,
    }
}

#[test]
fn defaults_match_the_design() {
    let s = load(&[]);
    assert_eq!(s.chat.required_reactions, 2);
    assert_eq!(s.auth.access_token_ttl_secs, 3600);
    assert_eq!(s.delivery.queue_cap, 10_000);
    assert_eq!(s.delivery.retention_secs, 7 * 24 * 3600);
    assert_eq!(s.chat.emoji.len(), 9);
    assert_eq!(s.chat.emoji[0], "👍");
    assert!(s.database.url.is_empty());
    assert_eq!(s.auth.registration, Registration::Open);
    assert!(s.server.metrics_addr.is_empty());
}

#[test]
fn legacy_variables_are_honoured() {
    let s = load(&[
        ("PORT", "7001"),
        ("JWT_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
        ("JWT_EXPIRATION_TIME", "60"),
        ("DB_CONNECTION_STRING", "postgres://x@y/z"),
    ]);
    assert_eq!(s.server.port, 7001);
    assert_eq!(
        s.auth.jwt_secret.expose(),
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(s.auth.access_token_ttl_secs, 60);
    assert_eq!(s.database.url.expose(), "postgres://x@y/z");
    assert_eq!(s.origin("server.port"), "PORT");
}

#[test]
fn the_database_url_has_three_names_that_must_agree() {
    for name in [
        "DATABASE_URL",
        "DB_CONNECTION_STRING",
        "CHAT__DATABASE__URL",
    ] {
        let s = load(&[(name, "postgres://a@b/c")]);
        assert_eq!(s.database.url.expose(), "postgres://a@b/c", "{name}");
    }
    let same = load(&[
        ("DATABASE_URL", "postgres://a@b/c"),
        ("DB_CONNECTION_STRING", "postgres://a@b/c"),
    ]);
    assert_eq!(same.database.url.expose(), "postgres://a@b/c");
    let e = refused(&[
        ("DATABASE_URL", "postgres://a@b/c"),
        ("DB_CONNECTION_STRING", "postgres://a@b/other"),
    ]);
    assert!(
        e.contains("DATABASE_URL") && e.contains("DB_CONNECTION_STRING"),
        "{e}"
    );
    let chat_wins = load(&[
        ("DATABASE_URL", "postgres://a@b/c"),
        ("CHAT__DATABASE__URL", "postgres://a@b/d"),
    ]);
    assert_eq!(chat_wins.database.url.expose(), "postgres://a@b/d");
}

#[test]
fn chat_variables_win_over_legacy_ones() {
    let s = load(&[("PORT", "7001"), ("CHAT__SERVER__PORT", "7002")]);
    assert_eq!(s.server.port, 7002);
    assert_eq!(s.origin("server.port"), "CHAT__SERVER__PORT");
}

#[test]
fn tls_and_log_retention_can_be_set_from_the_environment() {
    let s = load(&[
        ("CHAT__SERVER__TLS_CERT", "/certs/chat.pem"),
        ("CHAT__SERVER__TLS_KEY", "/certs/chat.key"),
        ("CHAT__LOG__KEEP_FILES", "3"),
    ]);
    assert_eq!(s.server.tls_cert, PathBuf::from("/certs/chat.pem"));
    assert_eq!(s.server.tls_key, PathBuf::from("/certs/chat.key"));
    assert_eq!(s.log.keep_files, 3);
    let defaults = load(&[]);
    assert!(defaults.server.tls_cert.as_os_str().is_empty());
    assert_eq!(defaults.log.keep_files, 14);
}

#[test]
fn every_key_has_a_variable_in_the_list() {
    let vars = environment_variables();
    for name in [
        "CHAT__SERVER__TLS_CERT",
        "CHAT__SERVER__METRICS_ADDR",
        "JWT_SECRET_KEY",
        "JWT_SECRET_KEY_FILE",
        "DATABASE_URL",
        "CHAT_ENV",
        "CHAT_CONFIG_DIR",
    ] {
        assert!(vars.contains(&name.to_owned()), "{name}");
    }
}

#[test]
fn emoji_list_can_be_set_from_the_environment() {
    let s = load(&[("CHAT__CHAT__EMOJI", "👍 🎉")]);
    assert_eq!(s.chat.emoji, vec!["👍", "🎉"]);
}

#[test]
fn secrets_are_redacted_in_every_rendering() {
    let s = load(&[
        ("JWT_SECRET_KEY", "super-secret-value-that-is-long-enough!"),
        ("DATABASE_URL", "postgres://user:hunter2@db/chat"),
        (
            "CHAT__AUTH__GATEWAY_SECRET",
            "gateway-secret-value-that-is-long-enough",
        ),
    ]);
    assert_eq!(
        s.auth.gateway_secret.expose(),
        "gateway-secret-value-that-is-long-enough"
    );
    for shown in [s.redacted(), format!("{s:?}")] {
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("gateway-secret-value"), "{shown}");
    }
    let short = load(&[("CHAT__AUTH__GATEWAY_SECRET", "too short")]);
    let refused = short.check().expect_err("a short gateway secret");
    assert!(
        format!("{refused:#}").contains("at least 32"),
        "{refused:#}"
    );
    assert!(
        s.redacted()
            .contains("# jwt_secret is set by JWT_SECRET_KEY (redacted)")
    );
}

#[test]
fn a_misspelt_variable_is_refused_with_the_name_it_meant() {
    let e = refused(&[("CHAT__SERVER__PROT", "9001")]);
    assert!(e.contains("CHAT__SERVER__PROT"), "{e}");
    assert!(e.contains("did you mean `CHAT__SERVER__PORT`?"), "{e}");
    let e = refused(&[("CHAT__NOTHING__LIKE_IT_AT_ALL", "1")]);
    assert!(
        e.contains("unknown variable CHAT__NOTHING__LIKE_IT_AT_ALL"),
        "{e}"
    );
}

#[test]
fn a_value_of_the_wrong_type_or_range_names_its_variable() {
    let e = refused(&[("CHAT__SERVER__PORT", "nine thousand")]);
    assert!(e.starts_with("CHAT__SERVER__PORT:"), "{e}");
    assert!(e.contains("not a whole number"), "{e}");
    let e = refused(&[("PORT", "70000")]);
    assert!(e.starts_with("PORT:") && e.contains("server.port"), "{e}");
}

#[test]
fn log_format_and_level_list_the_valid_values() {
    let e = refused(&[("CHAT__LOG__FORMAT", "xml")]);
    assert!(
        e.contains("CHAT__LOG__FORMAT") && e.contains("text") && e.contains("json"),
        "{e}"
    );
    let e = refused(&[("CHAT__LOG__LEVEL", "loud")]);
    assert!(
        e.contains("CHAT__LOG__LEVEL") && e.contains("trace, debug, info"),
        "{e}"
    );
    assert_eq!(
        load(&[("CHAT__LOG__LEVEL", "chat_server=debug,info")])
            .log
            .level,
        "chat_server=debug,info"
    );
    let e = refused(&[("CHAT__AUTH__REGISTRATION", "invite")]);
    assert!(e.contains("open") && e.contains("closed"), "{e}");
}

#[test]
fn any_variable_can_come_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("jwt");
    std::fs::write(&secret, "from-a-file-from-a-file-from-a-file-0123\n").expect("write");
    let path = secret.display().to_string();
    let s = load(&[("JWT_SECRET_KEY_FILE", &path)]);
    assert_eq!(
        s.auth.jwt_secret.expose(),
        "from-a-file-from-a-file-from-a-file-0123"
    );
    assert!(
        s.origin("auth.jwt_secret")
            .starts_with("JWT_SECRET_KEY_FILE")
    );
    let s = load(&[("CHAT__AUTH__JWT_SECRET_FILE", &path)]);
    assert_eq!(
        s.auth.jwt_secret.expose(),
        "from-a-file-from-a-file-from-a-file-0123"
    );
    let e = refused(&[("JWT_SECRET_KEY_FILE", &path), ("JWT_SECRET_KEY", "x")]);
    assert!(
        e.contains("both JWT_SECRET_KEY and JWT_SECRET_KEY_FILE"),
        "{e}"
    );
    let e = refused(&[("DATABASE_URL_FILE", "/nonexistent/db-url")]);
    assert!(
        e.starts_with("DATABASE_URL_FILE: reading /nonexistent/db-url"),
        "{e}"
    );
}

#[test]
fn a_config_file_is_checked_key_by_key_and_its_paths_are_its_own() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let etc = tempfile::tempdir().expect("tempdir");
    let file = etc.path().join("chat.toml");
    std::fs::write(
        &file,
        "[server]\nport = 9100\ntls_cert = \"certs/c.pem\"\n[log]\ndir = \"logs\"\n",
    )
    .expect("write");
    let options = LoadOptions {
        config: Some(file.clone()),
        data_dir: None,
    };
    let s = try_load_in(
        cwd.path(),
        &options,
        &[("CHAT__STORAGE__DATA_DIR", "state")],
    )
    .expect("load");
    assert_eq!(s.server.port, 9100);
    assert_eq!(s.server.tls_cert, etc.path().join("certs/c.pem"));
    assert_eq!(s.log.dir, etc.path().join("logs"));
    assert_eq!(s.storage.data_dir, cwd.path().join("state"));
    assert_eq!(s.origin("server.port"), file.display().to_string());

    let flag = LoadOptions {
        config: Some(file.clone()),
        data_dir: Some(PathBuf::from("/srv/chat")),
    };
    let s = try_load_in(cwd.path(), &flag, &[("CHAT__STORAGE__DATA_DIR", "state")]).expect("load");
    assert_eq!(s.storage.data_dir, PathBuf::from("/srv/chat"));
    let defaults = try_load_in(cwd.path(), &LoadOptions::default(), &[]).expect("load");
    assert_eq!(defaults.storage.data_dir, cwd.path().join("data"));

    std::fs::write(&file, "[server]\nprot = 9100\n").expect("write");
    let e = try_load_in(cwd.path(), &options, &[]).expect_err("refused");
    assert!(
        e.contains(&file.display().to_string()) && e.contains("did you mean `server.port`?"),
        "{e}"
    );
    std::fs::write(&file, "[sever]\nport = 9100\n").expect("write");
    let e = try_load_in(cwd.path(), &options, &[]).expect_err("refused");
    assert!(
        e.contains("unknown section [sever] (did you mean `server`?)"),
        "{e}"
    );
    std::fs::write(&file, "[server]\nport = \"9100\"\n").expect("write");
    let e = try_load_in(cwd.path(), &options, &[]).expect_err("refused");
    assert!(
        e.contains("`server.port` must be an integer, not a string"),
        "{e}"
    );
    let missing = LoadOptions {
        config: Some(etc.path().join("absent.toml")),
        data_dir: None,
    };
    let e = try_load_in(cwd.path(), &missing, &[]).expect_err("refused");
    assert!(e.contains("absent.toml"), "{e}");
}

#[test]
fn a_profile_that_names_no_file_is_refused() {
    let e = refused(&[("CHAT_ENV", "prodution")]);
    assert!(
        e.contains("CHAT_ENV=prodution") && e.contains("prodution.toml"),
        "{e}"
    );
}

#[test]
fn the_printed_configuration_loads_back_the_same() {
    let s = load(&[
        ("CHAT__SERVER__PORT", "9555"),
        ("CHAT__CHAT__EMOJI", "👍 🎉"),
        ("CHAT__AUTH__REGISTRATION", "closed"),
        ("CHAT__LOG__FORMAT", "json"),
        ("CHAT__SERVER__METRICS_ADDR", "127.0.0.1:9100"),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("printed.toml");
    std::fs::write(&file, s.redacted()).expect("write");
    let options = LoadOptions {
        config: Some(file),
        data_dir: None,
    };
    let again = try_load_in(dir.path(), &options, &[]).expect("the printed TOML loads");
    assert_eq!(again.server.port, 9555);
    assert_eq!(again.chat.emoji, vec!["👍", "🎉"]);
    assert_eq!(again.auth.registration, Registration::Closed);
    assert_eq!(again.log.format, LogFormat::Json);
    let table = |s: &Settings| toml::Table::try_from(s).expect("serializes");
    assert_eq!(table(&again), table(&s));
}

#[test]
fn the_config_directorys_files_keep_paths_relative_to_the_working_directory() {
    // The quick start: `config/default.toml` says `data_dir = "data"`, which is ./data.
    let cwd = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(cwd.path().join("config")).expect("mkdir");
    std::fs::write(
        cwd.path().join("config/default.toml"),
        "[storage]\ndata_dir = \"data\"\n[log]\ndir = \"logs\"\n",
    )
    .expect("write");
    let s = try_load_in(cwd.path(), &LoadOptions::default(), &[]).expect("load");
    assert_eq!(s.storage.data_dir, cwd.path().join("data"));
    assert_eq!(s.log.dir, cwd.path().join("logs"));
}
