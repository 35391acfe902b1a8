//! Where the settings come from, later layers winning:
//!
//! 1. the built-in defaults (`config/default.toml`, compiled in);
//! 2. `default.toml` and `{CHAT_ENV}.toml` in the config directory (`CHAT_CONFIG_DIR`,
//!    else `config/` in the working directory), both optional unless `CHAT_ENV` names a
//!    file that is not there;
//! 3. the file given with `--config PATH` (or `CHAT_CONFIG`), which must exist;
//! 4. the aliases (`PORT`, `JWT_SECRET_KEY`, `JWT_EXPIRATION_TIME`, `DATABASE_URL`,
//!    `DB_CONNECTION_STRING`), then the `CHAT__SECTION__KEY` variables;
//! 5. the `--data-dir` flag.
//!
//! Any variable `X` may be given as `X_FILE`, the path of a file holding its value.
//! Relative paths in the `--config` file are relative to that file's directory; all
//! others (the defaults, the config directory's files, variables, flags) to the working
//! directory. Every path is made absolute here, so what the server logs and uses is what
//! it says.
//!
//! Everything that cannot be right is refused with the key or variable it came from: an
//! unknown key or `CHAT__` variable (with the nearest valid name), a value of the wrong
//! type, a log level or format that does not exist.

use super::{Settings, keys, suggest};
use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
};
use toml::{Table, Value};

/// What the command line adds to the environment.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// `--config PATH`: a TOML file on top of the config directory's files.
    pub config: Option<PathBuf>,
    /// `--data-dir DIR`: `storage.data_dir`, winning over every other layer.
    pub data_dir: Option<PathBuf>,
}

/// A configuration that cannot be used, saying where the wrong value came from.
#[derive(Debug)]
pub struct ConfigError(String);

impl ConfigError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

pub(super) fn from_process(options: &LoadOptions) -> Result<Settings, ConfigError> {
    let cwd = std::env::current_dir()
        .map_err(|e| ConfigError::new(format!("reading the working directory: {e}")))?;
    let vars: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    load_with(options, &cwd, &vars)
}

pub(super) fn defaults() -> Result<Settings, ConfigError> {
    typed(Layers::new()?)
}

/// Every layer, from the given working directory and variables (tests pass their own).
pub fn load_with(
    options: &LoadOptions,
    cwd: &Path,
    vars: &BTreeMap<String, String>,
) -> Result<Settings, ConfigError> {
    let mut layers = Layers::new()?;
    let config_dir = vars
        .get("CHAT_CONFIG_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| cwd.join("config"), |d| cwd.join(d));
    // The config directory's files are part of the installation (`config/` beside
    // `data/` and `logs/`): their relative paths mean the working directory, as the
    // built-in defaults' do. A file given with --config is the operator's own, so its
    // paths are relative to where it lives.
    layers.file(&config_dir.join("default.toml"), false, cwd)?;
    if let Some(profile) = vars.get("CHAT_ENV").filter(|p| !p.is_empty()) {
        let path = config_dir.join(format!("{profile}.toml"));
        if !path.is_file() {
            return Err(ConfigError::new(format!(
                "CHAT_ENV={profile}, but {} does not exist",
                path.display()
            )));
        }
        layers.file(&path, true, cwd)?;
    }
    let explicit = options.config.clone().or_else(|| {
        vars.get("CHAT_CONFIG")
            .filter(|c| !c.is_empty())
            .map(PathBuf::from)
    });
    if let Some(path) = explicit {
        let path = cwd.join(path);
        let beside = path.parent().unwrap_or(cwd).to_path_buf();
        layers.file(&path, true, &beside)?;
    }
    layers.variables(vars)?;
    if let Some(dir) = &options.data_dir {
        layers.set("storage.data_dir", path_value(dir), "the --data-dir flag")?;
    }
    layers.resolve_paths(cwd);
    let settings = typed(layers)?;
    check_log(&settings)?;
    Ok(settings)
}

/// The merged table and, for every key, the layer that set it.
struct Layers {
    table: Table,
    defaults: Table,
    known: Vec<(String, Value)>,
    origins: BTreeMap<String, String>,
}

impl Layers {
    fn new() -> Result<Self, ConfigError> {
        let defaults = keys::defaults()?;
        let known = keys::flatten(&defaults);
        Ok(Self {
            table: defaults.clone(),
            defaults,
            known,
            origins: BTreeMap::new(),
        })
    }

    fn default_of(&self, key: &str) -> Option<&Value> {
        self.known.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn known_keys(&self) -> impl Iterator<Item = &str> {
        self.known.iter().map(|(k, _)| k.as_str())
    }

    /// Sets `key`, checking it exists and that the value has the default's type.
    fn set(&mut self, key: &str, value: Value, origin: &str) -> Result<(), ConfigError> {
        let Some(default) = self.default_of(key) else {
            return Err(ConfigError::new(format!(
                "{origin}: unknown setting `{key}`{}",
                suggest::hint(key, self.known_keys())
            )));
        };
        if default.type_str() != value.type_str() {
            return Err(ConfigError::new(format!(
                "{origin}: `{key}` must be {}, not {}",
                article(default.type_str()),
                article(value.type_str())
            )));
        }
        let (section, name) = key.split_once('.').unwrap_or((key, ""));
        if let Some(Value::Table(body)) = self.table.get_mut(section) {
            body.insert(name.to_owned(), value);
        }
        self.origins.insert(key.to_owned(), origin.to_owned());
        Ok(())
    }

    /// Reads one TOML file; its relative paths are made absolute against `base`.
    fn file(&mut self, path: &Path, required: bool, base: &Path) -> Result<(), ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(ConfigError::new(format!("reading {}: {e}", path.display())));
            }
        };
        let origin = path.display().to_string();
        let table: Table = text
            .parse()
            .map_err(|e| ConfigError::new(format!("{origin}: not valid TOML: {e}")))?;
        for (section, body) in table {
            let Value::Table(body) = body else {
                return Err(ConfigError::new(format!(
                    "{origin}: `{section}` is not a [section]{}",
                    suggest::hint(&section, self.known_keys())
                )));
            };
            if !self.defaults.contains_key(&section) {
                let sections: Vec<&str> = self.defaults.keys().map(String::as_str).collect();
                return Err(ConfigError::new(format!(
                    "{origin}: unknown section [{section}]{}",
                    suggest::hint(&section, sections)
                )));
            }
            for (name, value) in body {
                let key = format!("{section}.{name}");
                let value = match value {
                    Value::String(s) if keys::PATH_KEYS.contains(&key.as_str()) => {
                        path_value(&absolute(base, &s))
                    }
                    other => other,
                };
                self.set(&key, value, &origin)?;
            }
        }
        Ok(())
    }

    fn variables(&mut self, vars: &BTreeMap<String, String>) -> Result<(), ConfigError> {
        let known: Vec<(String, Value)> = self.known.clone();
        let mut aliases_for: BTreeMap<&str, (String, String)> = BTreeMap::new();
        for (alias, key) in keys::ALIASES {
            let Some((value, origin)) = read_var(vars, alias)? else {
                continue;
            };
            if let Some((earlier, earlier_origin)) = aliases_for.get(key)
                && *earlier != value
            {
                return Err(ConfigError::new(format!(
                    "{earlier_origin} and {origin} both set `{key}`, differently: keep one"
                )));
            }
            aliases_for.insert(key, (value, origin));
        }
        for (key, default) in &known {
            let from_chat = read_var(vars, &keys::variable(key))?;
            let chosen = from_chat.or_else(|| aliases_for.remove(key.as_str()));
            if let Some((raw, origin)) = chosen {
                let value = coerce(default, &raw, &origin, key)?;
                self.set(key, value, &origin)?;
            }
        }
        let variables: Vec<String> = known.iter().map(|(k, _)| keys::variable(k)).collect();
        for name in vars.keys().filter(|n| n.starts_with("CHAT__")) {
            let bare = name.strip_suffix(keys::FILE_SUFFIX).unwrap_or(name);
            if !variables.iter().any(|v| v == bare) {
                return Err(ConfigError::new(format!(
                    "unknown variable {name}{}",
                    suggest::hint(bare, variables.iter().map(String::as_str))
                )));
            }
        }
        Ok(())
    }

    /// Relative paths from the defaults, variables and flags: against the working
    /// directory (a file's own were resolved against its directory as it was read).
    fn resolve_paths(&mut self, cwd: &Path) {
        for key in keys::PATH_KEYS {
            let (section, name) = key.split_once('.').unwrap_or((key, ""));
            if let Some(Value::Table(body)) = self.table.get_mut(section)
                && let Some(Value::String(path)) = body.get_mut(name)
            {
                *path = absolute(cwd, path).display().to_string();
            }
        }
    }
}

/// `X`, or the contents of the file named by `X_FILE` (never both), with its origin.
fn read_var(
    vars: &BTreeMap<String, String>,
    name: &str,
) -> Result<Option<(String, String)>, ConfigError> {
    let file_var = format!("{name}{}", keys::FILE_SUFFIX);
    match (vars.get(name), vars.get(&file_var)) {
        (Some(_), Some(_)) => Err(ConfigError::new(format!(
            "both {name} and {file_var} are set: keep one"
        ))),
        (Some(value), None) => Ok(Some((value.clone(), name.to_owned()))),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError::new(format!("{file_var}: reading {path}: {e}")))?;
            // Files written by editors and `echo` end in a newline that is not the secret.
            let value = text.trim_end_matches(['\n', '\r']).to_owned();
            Ok(Some((value, format!("{file_var} ({path})"))))
        }
        (None, None) => Ok(None),
    }
}

/// A variable's text as a value of the default's type.
fn coerce(default: &Value, raw: &str, origin: &str, key: &str) -> Result<Value, ConfigError> {
    let wrong =
        |what: &str| ConfigError::new(format!("{origin}: `{raw}` is not {what} (for `{key}`)"));
    Ok(match default {
        Value::Integer(_) => {
            Value::Integer(raw.trim().parse().map_err(|_| wrong("a whole number"))?)
        }
        Value::Float(_) => Value::Float(raw.trim().parse().map_err(|_| wrong("a number"))?),
        Value::Boolean(_) => Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return Err(wrong("true or false")),
        }),
        Value::Array(_) => Value::Array(
            raw.split_whitespace()
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        _ => Value::String(raw.to_owned()),
    })
}

/// The merged table as [`Settings`]. A value of the right type can still be out of range
/// (a port of 70000) or no variant (`log.format = "xml"`): find the key it came from by
/// trying each set key alone on the defaults, so the error can name it.
fn typed(layers: Layers) -> Result<Settings, ConfigError> {
    let Layers {
        table,
        defaults,
        origins,
        ..
    } = layers;
    match Value::Table(table.clone()).try_into::<Settings>() {
        Ok(mut settings) => {
            settings.origins = origins;
            if settings.chat.emoji.is_empty() {
                settings.chat.emoji = chat_protocol::STANDARD_EMOJI.map(str::to_owned).to_vec();
            }
            Ok(settings)
        }
        Err(whole) => {
            for (key, origin) in &origins {
                let (section, name) = key.split_once('.').unwrap_or((key, ""));
                let mut alone = defaults.clone();
                let value = table.get(section).and_then(|s| s.get(name)).cloned();
                if let (Some(Value::Table(body)), Some(value)) = (alone.get_mut(section), value) {
                    body.insert(name.to_owned(), value.clone());
                    if let Err(e) = Value::Table(alone).try_into::<Settings>() {
                        return Err(ConfigError::new(format!(
                            "{origin}: `{key}` = {value}: {}",
                            first_line(&e.to_string())
                        )));
                    }
                }
            }
            Err(ConfigError::new(format!("the configuration: {whole}")))
        }
    }
}

/// `log.level` must be a filter that `tracing` understands.
fn check_log(settings: &Settings) -> Result<(), ConfigError> {
    let level = &settings.log.level;
    // A bare word is a target to `tracing` ("loud" = everything from target `loud`),
    // which is never what was meant: every directive must end in a level.
    let levels = ["trace", "debug", "info", "warn", "error", "off"];
    let directives_ok = level.split(',').map(str::trim).all(|d| {
        let lvl = d.rsplit_once('=').map_or(d, |(_, l)| l);
        levels.contains(&lvl.to_ascii_lowercase().as_str())
    });
    if !directives_ok
        || tracing_subscriber::EnvFilter::builder()
            .parse(level)
            .is_err()
    {
        return Err(ConfigError::new(format!(
            "{}: `log.level` = {level:?} is not a log filter: use one of trace, debug, info, \
             warn, error, off, or directives such as \"chat_server=debug,info\"",
            settings.origin("log.level")
        )));
    }
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("TOML parse error"))
        .unwrap_or(text)
}

fn absolute(base: &Path, path: &str) -> PathBuf {
    if path.is_empty() {
        PathBuf::new()
    } else {
        base.join(path)
    }
}

fn path_value(path: &Path) -> Value {
    Value::String(path.display().to_string())
}

fn article(type_str: &str) -> String {
    match type_str {
        "integer" | "array" => format!("an {type_str}"),
        "boolean" => "true or false".to_owned(),
        other => format!("a {other}"),
    }
}
