//! The deployment files checked against the code: every variable docker-compose.yml and
//! .env.example set is one the server reads (a typo would otherwise be ignored without a
//! word), config/docker.toml only sets real keys, and the Dockerfile builds with the same
//! command as CI.

use std::collections::BTreeSet;
use std::path::PathBuf;
use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn server_variables() -> BTreeSet<String> {
    chat_server::settings::environment_variables()
        .into_iter()
        .collect()
}

fn compose() -> Yaml {
    let docs = YamlLoader::load_from_str(&repo_file("docker-compose.yml")).expect("valid YAML");
    docs.into_iter().next().expect("one YAML document")
}

/// The names a service's `environment` sets, in map or `- NAME=value` list form.
fn environment_names(service: &Yaml) -> Vec<String> {
    match &service["environment"] {
        Yaml::Hash(map) => map
            .keys()
            .map(|k| k.as_str().expect("string key").to_owned())
            .collect(),
        Yaml::Array(items) => items
            .iter()
            .map(|i| {
                let item = i.as_str().expect("string item");
                item.split('=').next().unwrap_or(item).to_owned()
            })
            .collect(),
        Yaml::BadValue | Yaml::Null => Vec::new(),
        other => panic!("unexpected environment: {other:?}"),
    }
}

/// `${NAME}`, `${NAME:-default}`, `${NAME:?message}`: the names interpolated.
fn interpolated_names(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// `NAME=value` lines, comments and blank lines skipped.
fn env_example() -> Vec<(String, String)> {
    repo_file(".env.example")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, value) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("not NAME=value: {l}"));
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_variable_the_compose_server_sets_is_read_by_the_server() {
    let known = server_variables();
    let compose = compose();
    let server = &compose["services"]["server"];
    let names = environment_names(server);
    assert!(names.contains(&"JWT_SECRET_KEY".to_owned()), "{names:?}");
    let unknown: Vec<_> = names.iter().filter(|n| !known.contains(*n)).collect();
    assert!(
        unknown.is_empty(),
        "docker-compose.yml sets variables chat-server never reads: {unknown:?}"
    );
    // The TUI container: only variables chat-tui's flags read, and without a value, so
    // they are passed through only when set (chat-tui refuses an empty path).
    let tui_cli = repo_file("tui/src/cli.rs");
    let tui = &compose["services"]["tui"];
    for name in environment_names(tui) {
        assert!(
            tui_cli.contains(&format!("env = \"{name}\"")),
            "docker-compose.yml sets {name} for the tui, which chat-tui never reads"
        );
    }
    if let Some(items) = tui["environment"].as_vec() {
        for item in items {
            let item = item.as_str().expect("string item");
            assert!(
                !item.contains('='),
                "tui {item}: pass it through, unset when unset"
            );
        }
    }
}

#[test]
fn every_variable_in_env_example_is_read_by_the_server_or_the_compose_file() {
    let known = server_variables();
    let used_by_compose = interpolated_names(&repo_file("docker-compose.yml"));
    let orphans: Vec<_> = env_example()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| !known.contains(name) && !used_by_compose.contains(name))
        .collect();
    assert!(
        orphans.is_empty(),
        ".env.example sets variables neither chat-server nor docker-compose.yml reads: {orphans:?}"
    );
    // And the compose file only interpolates variables .env.example documents.
    let documented: BTreeSet<String> = env_example().into_iter().map(|(n, _)| n).collect();
    let undocumented: Vec<_> = used_by_compose.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "docker-compose.yml uses variables .env.example does not document: {undocumented:?}"
    );
}

#[test]
fn the_jwt_secret_is_required_and_has_no_default() {
    let text = repo_file("docker-compose.yml");
    assert!(
        text.contains("JWT_SECRET_KEY: ${JWT_SECRET_KEY:?"),
        "compose must refuse to start without JWT_SECRET_KEY"
    );
    assert!(!text.contains("${JWT_SECRET_KEY:-"), "a default secret");
    let example = env_example();
    let secret = example.iter().find(|(n, _)| n == "JWT_SECRET_KEY");
    assert_eq!(
        secret.map(|(_, v)| v.as_str()),
        Some(""),
        "JWT_SECRET_KEY must be in .env.example, empty"
    );
}

#[test]
fn the_docker_profile_only_sets_real_settings_and_loads() {
    let text = repo_file("config/docker.toml");
    let table: toml::Table = toml::from_str(&text).expect("valid TOML");
    let known = server_variables();
    for (section, keys) in &table {
        let keys = keys.as_table().expect("[section] tables only");
        for key in keys.keys() {
            let variable = format!("CHAT__{section}__{key}").to_uppercase();
            assert!(
                known.contains(&variable),
                "config/docker.toml: unknown key {section}.{key}"
            );
        }
    }
}

/// The argument list of `cargo build` in `.ci/release-build.sh`, e.g.
/// `--locked --release -p chat-server -p chat-tui`.
fn release_build_args() -> String {
    let script = repo_file(".ci/release-build.sh");
    let line = script
        .lines()
        .find(|l| l.trim_start().starts_with("cargo build "))
        .expect(".ci/release-build.sh runs cargo build");
    line.trim_start()["cargo build ".len()..].trim().to_owned()
}

#[test]
fn the_dockerfile_builds_with_the_same_command_as_ci() {
    let args = release_build_args();
    assert!(
        args.contains("--locked") && args.contains("--release"),
        "{args}"
    );
    assert!(args.contains("-p chat-server"), "{args}");
    let dockerfile = repo_file("Dockerfile");
    assert!(
        dockerfile.contains("RUN bash .ci/release-build.sh"),
        "the Dockerfile must build with .ci/release-build.sh"
    );
    assert!(
        repo_file(".ci/run").contains("bash .ci/release-build.sh"),
        "CI must build with .ci/release-build.sh"
    );
    // The cached dependency layer is only reused when it was cooked with the same flags.
    let cook = dockerfile
        .lines()
        .find(|l| l.contains("cargo chef cook"))
        .expect("a cargo chef cook layer");
    assert!(
        cook.contains(&format!("cargo chef cook {args} --recipe-path")),
        "cook with the build's arguments ({args}): {cook}"
    );
}

#[test]
fn the_image_runs_as_a_user_exposes_9000_and_checks_its_own_health() {
    let dockerfile = repo_file("Dockerfile");
    let runtime = dockerfile
        .split("AS runtime")
        .nth(1)
        .expect("a runtime stage");
    assert!(runtime.contains("\nUSER chat\n"), "non-root user");
    assert!(runtime.contains("EXPOSE 9000"));
    assert!(runtime.contains("CMD [\"chat-server\", \"healthcheck\"]"));
    assert!(runtime.contains("VOLUME [\"/app/data\", \"/app/logs\"]"));
    let compose = compose();
    let test = &compose["services"]["server"]["healthcheck"]["test"];
    assert_eq!(
        test.as_vec()
            .map(|v| v.iter().filter_map(Yaml::as_str).collect::<Vec<_>>()),
        Some(vec!["CMD", "chat-server", "healthcheck"])
    );
    // ENV lines in the Dockerfile are settings variables too.
    let known = server_variables();
    for line in runtime.lines().filter(|l| l.starts_with("ENV ")) {
        let name = line["ENV ".len()..].split('=').next().unwrap_or_default();
        assert!(
            known.contains(name),
            "Dockerfile ENV {name} is not read by chat-server"
        );
    }
}

#[test]
fn the_docker_profile_loads_as_the_image_loads_it() {
    use chat_server::settings::{LoadOptions, load::load_with};
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let vars = [
        ("CHAT_ENV", "docker"),
        ("CHAT_CONFIG_DIR", "config"),
        ("JWT_SECRET_KEY", "a-secret-of-at-least-thirty-two-bytes!"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings =
        load_with(&LoadOptions::default(), &repo, &vars).expect("config/docker.toml loads");
    assert_eq!(settings.storage.data_dir, PathBuf::from("/app/data"));
    assert_eq!(settings.log.dir, PathBuf::from("/app/logs"));
}

#[test]
fn the_dockerfile_builds_offline_strips_debug_info_and_pins_cargo_chef() {
    let dockerfile = repo_file("Dockerfile");
    // A `# syntax=` line makes BuildKit fetch a frontend image from a registry.
    assert!(
        !dockerfile
            .lines()
            .any(|l| l.trim_start().starts_with("# syntax")),
        "no syntax directive"
    );
    assert!(
        dockerfile.contains("strip --strip-debug /out/chat-server /out/chat-tui"),
        "the images carry no line tables"
    );
    let chef = dockerfile
        .lines()
        .find(|l| l.contains("cargo install cargo-chef"))
        .expect("cargo-chef is installed");
    assert!(
        chef.contains("--version ") && chef.contains("--locked"),
        "{chef}"
    );
}

/// `just --list` shows one comment line per recipe: a recipe documented with two loses
/// the first, so every recipe has exactly one.
#[test]
fn every_just_recipe_has_one_comment_line_and_tui_passes_its_flags_through() {
    let justfile = repo_file("justfile");
    let lines: Vec<&str> = justfile.lines().collect();
    let mut recipes = 0;
    for (i, line) in lines.iter().enumerate() {
        let is_recipe = line.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && line.ends_with(':')
            && !line.contains(":=");
        if !is_recipe {
            continue;
        }
        recipes += 1;
        assert!(
            i >= 1 && lines[i - 1].starts_with("# "),
            "recipe `{line}` has no comment"
        );
        assert!(
            i < 2 || !lines[i - 2].starts_with('#'),
            "recipe `{line}` has more than one comment line"
        );
    }
    assert!(recipes >= 10, "found {recipes} recipes");
    // A positional `server` parameter swallowed the first flag (`just tui --mouse`).
    assert!(
        justfile.contains("\ntui *args:\n"),
        "tui takes only pass-through args"
    );
}
