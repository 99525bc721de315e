//! All-or-nothing output: every file is written to a temporary name in the output folder and
//! renamed into place only when all of them are complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A set of output files committed together. Dropping it without [`OutputSet::commit`]
/// removes the temporary files, so a failed run leaves earlier good outputs untouched.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
}

impl OutputSet {
    /// Prepares `dir` (creating it if needed) and checks that files can be written there.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or written to.
    pub fn new(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let probe = dir.join(format!(".fifteen-probe-{}", std::process::id()));
        File::create(&probe).map_err(|e| Error::io(dir, e))?;
        let _ = std::fs::remove_file(&probe);
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            pending: Vec::new(),
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
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
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

    /// Renames every written file into place.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
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
}
