//! All-or-nothing output: every file is written to a temporary name in the output folder and
//! renamed into place only when all of them are complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A set of output files committed together. Dropping it without [`OutputSet::commit`]
/// removes the temporary files and the folders it created, so a failed run leaves earlier
/// good outputs untouched and a fresh output folder absent.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
    created_dirs: Vec<PathBuf>,
}

/// Creates `folder` and its missing parents, noting in `created` each one that was missing.
fn create_dirs(folder: &Path, created: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let missing: Vec<PathBuf> = folder
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(folder)?;
    created.extend(missing);
    Ok(())
}

impl OutputSet {
    /// Prepares `dir` (creating it if needed) and checks that files can be written there.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or written to.
    pub fn new(dir: &Path) -> Result<Self> {
        let mut created_dirs = Vec::new();
        create_dirs(dir, &mut created_dirs).map_err(|e| Error::io(dir, e))?;
        let probe = dir.join(format!(".fifteen-probe-{}", std::process::id()));
        File::create(&probe).map_err(|e| Error::io(dir, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
            created_dirs,
        })
    }

    /// Writes `name` in the folder through `write`, to a temporary file until [`Self::commit`].
    /// `name` may hold a subfolder (`stroller/buildings.geojson`), created when needed.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        let target = self.dir.join(name);
        let folder = target.parent().unwrap_or(&self.dir).to_path_buf();
        create_dirs(&folder, &mut self.created_dirs).map_err(|e| Error::io(&folder, e))?;
        let file_name = target
            .file_name()
            .map_or_else(|| name.into(), |n| n.to_string_lossy());
        let temp = folder.join(format!(".{file_name}.tmp-{}", std::process::id()));
        let file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
        self.pending.push((temp.clone(), target.clone()));
        let mut out = BufWriter::new(file);
        write(&mut out)
            .and_then(|_| out.flush())
            .and_then(|_| out.get_ref().sync_all())
            .map_err(|e| Error::io(&target, e))
    }

    /// Where `name`, written but not yet committed, lies now (its temporary file), so that
    /// later outputs can be made from it.
    pub fn written(&self, name: &str) -> Option<&Path> {
        let target = self.dir.join(name);
        self.pending
            .iter()
            .find(|(_, t)| *t == target)
            .map(|(temp, _)| temp.as_path())
    }

    /// Drops `name` from the set: its temporary file is removed and nothing is renamed.
    pub fn discard(&mut self, name: &str) {
        let target = self.dir.join(name);
        self.pending.retain(|(temp, t)| {
            let keep = *t != target;
            if !keep {
                let _ = std::fs::remove_file(temp);
            }
            keep
        });
    }

    /// Renames every written file into place.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        self.created_dirs.clear();
        let mut done = Vec::new();
        for (temp, target) in std::mem::take(&mut self.pending) {
            std::fs::rename(&temp, &target).map_err(|e| Error::io(&target, e))?;
            done.push(target);
        }
        Ok(done)
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        for (temp, _) in &self.pending {
            let _ = std::fs::remove_file(temp);
        }
        // deepest first; a folder something else wrote into is not empty and stays
        self.created_dirs
            .sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in &self.created_dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_drop_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "old").unwrap();
        {
            let mut set = OutputSet::new(dir.path()).unwrap();
            set.write("a.txt", |w| w.write_all(b"new")).unwrap();
            assert_eq!(
                std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
                "old"
            );
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "old"
        );

        let mut set = OutputSet::new(dir.path()).unwrap();
        set.write("a.txt", |w| w.write_all(b"new")).unwrap();
        set.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_dropped_set_removes_the_folders_it_made() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("fresh/run");
        {
            let mut set = OutputSet::new(&out).unwrap();
            set.write("adult/a.txt", |w| w.write_all(b"x")).unwrap();
            assert!(out.join("adult").is_dir());
        }
        assert!(!dir.path().join("fresh").exists());

        let mut set = OutputSet::new(&out).unwrap();
        set.write("adult/a.txt", |w| w.write_all(b"x")).unwrap();
        set.commit().unwrap();
        assert_eq!(std::fs::read(out.join("adult/a.txt")).unwrap(), b"x");
    }
}
