//! Layered settings of the daemons (the oracle and the keeper), one mechanism for both:
//! defaults < TOML file < `GPU_*` environment < command-line flags.
//!
//! Each program declares its flags with clap, every flag also read from its environment variable
//! (clap's `env`), so clap already ranks a flag above its variable. What they set is serialized
//! (unset fields skipped) into a TOML table, merged key by key over the file's table, and the
//! result deserialized once into the program's typed settings, whose serde defaults fill the rest
//! and whose `deny_unknown_fields` names a misspelt key.

use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};

use crate::error::LayerError;

/// Merges `overlay` into `base`, key by key (tables recursively; any other value replaces).
pub fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// A string from the environment as the TOML value it most likely is.
pub fn guess_value(text: &str) -> toml::Value {
    if let Ok(n) = text.parse::<i64>() {
        return toml::Value::Integer(n);
    }
    match text {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(text.to_owned()),
    }
}

/// How a program's environment variables name its settings.
#[derive(Debug, Clone, Copy)]
pub struct EnvNames<'a> {
    /// Every variable starts with it, e.g. `GPU_KEEPER_`.
    pub prefix: &'a str,
    /// `<SECTION>_<KEY>` sets `key` of the `[section]` table, for these sections.
    pub sections: &'a [&'a str],
    /// Names (after the prefix) that are top-level keys although they start with a section's name.
    pub top_level: &'a [&'a str],
    /// Names (after the prefix) read elsewhere, never as settings (secrets).
    pub skip: &'a [&'a str],
}

impl EnvNames<'_> {
    /// The program's variables among `vars` as a settings table: `<PREFIX><KEY>` sets `key`.
    pub fn table(&self, vars: impl IntoIterator<Item = (String, String)>) -> toml::Table {
        let mut table = toml::Table::new();
        for (name, value) in vars {
            let Some(name) = name.strip_prefix(self.prefix) else {
                continue;
            };
            if self.skip.contains(&name) {
                continue;
            }
            let key = name.to_ascii_lowercase();
            let in_section = (!self.top_level.contains(&name))
                .then(|| {
                    self.sections.iter().find_map(|section| {
                        let field = key.strip_prefix(section)?.strip_prefix('_')?;
                        (!field.is_empty()).then(|| (*section, field.to_owned()))
                    })
                })
                .flatten();
            match in_section {
                Some((section, field)) => {
                    let entry = table
                        .entry(section.to_owned())
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    if let toml::Value::Table(t) = entry {
                        t.insert(field, guess_value(&value));
                    }
                }
                None => {
                    table.insert(key, guess_value(&value));
                }
            }
        }
        table
    }
}

/// The settings `T` from the optional `file` with `overrides` (the environment and the flags, as
/// a serializable value whose unset fields are skipped) over it.
pub fn load<T: DeserializeOwned>(file: Option<&Path>, overrides: &impl Serialize) -> Result<T, LayerError> {
    let overrides = toml::Table::try_from(overrides).map_err(|e| LayerError::Invalid {
        origin: PathBuf::from("(flags and environment)"),
        reason: e.to_string(),
    })?;
    load_tables(file, [overrides])
}

/// The settings `T` from the optional `file` with each of `layers` over it in turn (the
/// environment's table, then the flags').
pub fn load_tables<T: DeserializeOwned>(
    file: Option<&Path>,
    layers: impl IntoIterator<Item = toml::Table>,
) -> Result<T, LayerError> {
    let origin = file.map_or_else(|| PathBuf::from("(no config file)"), Path::to_path_buf);
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| LayerError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            toml::from_str(&text).map_err(|e| LayerError::Invalid {
                origin: origin.clone(),
                reason: e.to_string(),
            })?
        }
        None => toml::Table::new(),
    };
    for layer in layers {
        merge(&mut table, layer);
    }
    T::deserialize(table).map_err(|e| LayerError::Invalid {
        origin,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Settings {
        name: String,
        port: u16,
        limits: Limits,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Limits {
        max: u64,
        idle: u64,
    }

    #[derive(Serialize, Default)]
    struct Flags {
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        #[serde(skip_serializing_if = "Option::is_none")]
        limits: Option<FlagLimits>,
    }

    #[derive(Serialize, Default)]
    struct FlagLimits {
        #[serde(skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
    }

    fn file(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("gpu-escrow-layers-{name}-{}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults_key_by_key() {
        let path = file("order", "name = \"a\"\nport = 1\n[limits]\nmax = 5\nidle = 7\n");
        let flags = Flags {
            port: Some(2),
            limits: Some(FlagLimits { max: Some(9) }),
        };
        let s: Settings = load(Some(&path), &flags).unwrap();
        assert_eq!(
            s,
            Settings {
                name: "a".into(),
                port: 2,
                limits: Limits { max: 9, idle: 7 },
            }
        );
        let defaults: Settings = load(None, &Flags::default()).unwrap();
        assert_eq!(defaults, Settings::default());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn environment_variables_name_keys_and_section_keys() {
        let names = EnvNames {
            prefix: "APP_",
            sections: &["limits"],
            top_level: &["LIMITS_FILE"],
            skip: &["PASSWORD"],
        };
        let vars = [
            ("APP_PORT", "7"),
            ("APP_LIMITS_MAX", "9"),
            ("APP_LIMITS_FILE", "/x"),
            ("APP_PASSWORD", "secret"),
            ("OTHER_PORT", "1"),
            ("APP_NAME", "true"),
            ("APP_LIMITSé", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let table = names.table(vars);
        assert_eq!(table["port"], toml::Value::Integer(7));
        assert_eq!(table["limits"]["max"], toml::Value::Integer(9));
        assert_eq!(table["limits_file"], toml::Value::String("/x".into()));
        assert_eq!(table["name"], toml::Value::Boolean(true));
        assert_eq!(
            table["limitsé"],
            toml::Value::Integer(1),
            "a name that is no section key stays top-level"
        );
        assert!(!table.contains_key("password") && table.len() == 5, "{table:?}");
    }

    #[test]
    fn a_misspelt_key_or_a_missing_file_is_named() {
        let path = file("typo", "prot = 1\n");
        let err = load::<Settings>(Some(&path), &Flags::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("prot") && err.contains(&path.display().to_string()),
            "{err}"
        );
        std::fs::remove_file(&path).unwrap();
        let err = load::<Settings>(Some(&path), &Flags::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read"), "{err}");
    }
}
