//! `chat-server config`: the effective settings as TOML that can be loaded back with
//! `--config`, each key that is not a default followed by what set it. Secrets are left
//! out (a comment says that they are set and by what), so the output is safe to paste.

use super::{Settings, keys};
use std::fmt::Write;
use toml::Value;

pub(super) fn toml(settings: &Settings) -> String {
    let table = match toml::Table::try_from(settings) {
        Ok(table) => table,
        Err(e) => return format!("# the settings cannot be shown: {e}\n"),
    };
    let mut out = String::from(
        "# chat-server's effective configuration (chat-server config). It loads back with\n\
         # `chat-server --config FILE`; secrets are not shown, so set them again.\n",
    );
    for (section, body) in &table {
        let Value::Table(body) = body else { continue };
        let _ = write!(out, "\n[{section}]\n");
        for (name, value) in body {
            let key = format!("{section}.{name}");
            let origin = settings.origins.get(&key);
            let set_secret = keys::SECRET_KEYS.contains(&key.as_str())
                && !matches!(value, Value::String(s) if s.is_empty());
            if set_secret {
                let by = origin.map_or("the configuration", String::as_str);
                let _ = writeln!(out, "# {name} is set by {by} (redacted)");
                continue;
            }
            let _ = write!(out, "{name} = {value}");
            if let Some(origin) = origin {
                let _ = write!(out, "  # from {origin}");
            }
            out.push('\n');
        }
    }
    out
}
