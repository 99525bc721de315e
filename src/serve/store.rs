//! What `serve` writes: saved scenarios as facility registers under `OUT/scenarios/`, and
//! exports (a `coverage` output set) under `OUT/exports/NAME/`. Requests give names, never
//! paths: a name is letters, digits, `-` and `_`, so it cannot leave those folders.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::facilities::Facility;
use crate::facilities::register::read_register;
use crate::output::register::{register_csv, register_geojson};
use crate::pipeline::{Stages, write_coverage};

use super::engine::Engine;

/// Longest name of a saved scenario or export, characters.
pub const NAME_MAX_CHARS: usize = 64;

/// Checks a saved scenario's or export's name: 1–64 letters (any script), digits, `-`, `_`.
///
/// # Errors
/// The reason, for a 400.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let count = name.chars().count();
    let allowed = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    if count == 0 || count > NAME_MAX_CHARS || !name.chars().all(allowed) {
        return Err(format!(
            "name {name:?}: use 1 to {NAME_MAX_CHARS} letters, digits, '-' or '_' (a name, not a path)"
        ));
    }
    Ok(())
}

fn scenarios_dir(out_dir: &Path) -> PathBuf {
    out_dir.join("scenarios")
}

/// Writes `text` to `path` whole: into `PATH.partial` beside it, then renamed (the caller
/// keeps two writers of one path apart).
fn write_whole(path: &Path, text: &str) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// Saves `facilities` as `scenarios/NAME.geojson` and `scenarios/NAME.csv` (registers that
/// `coverage --facilities` reads); returns those paths relative to `out_dir`.
///
/// # Errors
/// [`Error::Io`] when the folder cannot be written.
pub fn save(out_dir: &Path, name: &str, facilities: &[Facility]) -> Result<Vec<String>> {
    let dir = scenarios_dir(out_dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let geojson = register_geojson(facilities).to_string();
    write_whole(&dir.join(format!("{name}.geojson")), &geojson)?;
    write_whole(&dir.join(format!("{name}.csv")), &register_csv(facilities))?;
    Ok(vec![
        format!("scenarios/{name}.geojson"),
        format!("scenarios/{name}.csv"),
    ])
}

/// Names of the saved scenarios, sorted.
///
/// # Errors
/// [`Error::Io`] when the folder exists but cannot be listed.
pub fn saved_names(out_dir: &Path) -> Result<Vec<String>> {
    let dir = scenarios_dir(out_dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".geojson").map(str::to_string))
        .filter(|n| check_name(n).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The facilities of saved scenario `name`.
///
/// # Errors
/// [`Error::Data`] when there is none of that name or its register is bad.
pub fn load(out_dir: &Path, name: &str) -> Result<Vec<Facility>> {
    let path = scenarios_dir(out_dir).join(format!("{name}.geojson"));
    if !path.is_file() {
        return Err(Error::data(&path, "no saved scenario of that name"));
    }
    read_register(&path, "")
}

/// Writes the whole `coverage` output set of `facilities` (per category, in the run's
/// order) into `exports/NAME/`, swapped in whole; returns the folder and its files, relative
/// to `out_dir`.
///
/// # Errors
/// [`Error::Io`] when the folder cannot be written; [`Error::Usage`] when another export
/// is writing it.
pub fn export(
    engine: &Engine,
    out_dir: &Path,
    name: &str,
    facilities: Vec<Vec<Facility>>,
) -> Result<(String, Vec<String>)> {
    let mut config = engine.config.clone();
    config.out_dir = out_dir.join("exports").join(name);
    let categories = (engine.categories().into_iter().map(String::from))
        .zip(facilities)
        .collect();
    let set = engine.city.place(categories);
    let _lock = crate::output::OutputSet::lock(&config.out_dir)?;
    let report = write_coverage(&config, &engine.city, &set, Stages::default(), &|_| {})?;
    let relative = |p: &Path| {
        p.strip_prefix(out_dir)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let files = report.files.iter().map(|f| relative(f)).collect();
    Ok((relative(&config.out_dir), files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_names_not_paths() {
        for good in ["plan-b", "方案_2", "A1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../x",
            "a/b",
            "a.b",
            "..",
            "a b",
            "x\0",
            &"n".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
