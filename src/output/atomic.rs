//! All-or-nothing output folders: the folder holds the whole old set or the whole new set at
//! every instant, and two runs never write one folder at once.
//!
//! A set is written whole into a staging folder beside its target (`.OUT.staging-PID` in the
//! parent) and swapped in at [`OutputSet::commit`] by one `renameat2(RENAME_EXCHANGE)`, which
//! trades the two folders atomically; the old set, now under the staging name, is then removed.
//! Where the filesystem cannot exchange, the old folder is renamed to `.OUT.old-PID` and the new
//! one into place; a kill between those two renames leaves no `OUT` for an instant, and the next
//! run puts the old set back before anything else.
//!
//! Files in the old folder that the new set does not write (a user's notes, a profile the run
//! no longer has) are carried over into the new folder by hard links (copies where links
//! fail) before the swap, so a run keeps them as writing file by file did.
//!
//! The target is locked for the whole run: `.OUT.lock` beside it, held with `flock`, which the
//! kernel releases when the process dies however it dies (`kill -9` too), so a lock never goes
//! stale; the file holds the holder's PID for the message a second run prints. Under the lock,
//! a run removes what dead runs left: staging and old folders of this target, and the hidden
//! `.NAME.tmp-PID` files inside it whose process is gone.
//!
//! A target that is a mount point cannot be renamed: there the lock and the staging folder
//! lie inside it (`OUT/.fifteen.lock`, `OUT/.fifteen.staging-PID`) and the files are moved in
//! one by one, each whole but the set not.
//!
//! A set made for a folder inside another set's target in the same process (the `site`
//! command's `OUT/after/`) is written into that set's staging folder and swapped in with it.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::error::{Error, Result};

/// This process's uncommitted whole-folder sets: the target as asked (made absolute), the
/// target resolved, and its staging folder. Sets for folders inside one write into its staging.
static ACTIVE: Mutex<Vec<(PathBuf, PathBuf, PathBuf)>> = Mutex::new(Vec::new());

/// A set of output files committed together. Dropping it without [`OutputSet::commit`]
/// removes what it wrote and the folders it created, so a failed run leaves earlier good
/// outputs untouched and a fresh output folder absent.
#[derive(Debug)]
pub struct OutputSet {
    /// The folder as the run sees it once committed.
    target: PathBuf,
    /// Where the files are written until the commit.
    staging: PathBuf,
    /// The names written, each with where it lies now.
    written: Vec<(String, PathBuf)>,
    /// Folders this set created (parents of the target; for a nested set, folders in the
    /// enclosing staging folder), removed again if the set is dropped and they are empty.
    created_dirs: Vec<PathBuf>,
    /// `None` for a set nested in another one of this process, which holds the lock.
    lock: Option<Arc<Lock>>,
    committed: bool,
}

/// The lock on an output folder: `.OUT.lock` beside it, `flock`ed; shared by the guards and
/// sets of this process that write that folder, released when the last one goes.
#[derive(Debug)]
struct Lock {
    path: PathBuf,
    file: File,
    /// The folder locked, resolved.
    target: PathBuf,
    /// Parents of the target that were missing, removed again when empty.
    created_dirs: Vec<PathBuf>,
    /// The target is a mount point (a container's volume, say), which cannot be renamed:
    /// the lock and the staging folder lie inside it and the files are moved in one by one.
    inside: bool,
}

/// The locks this process holds: the folder as asked (made absolute) and each lock.
static HELD: Mutex<Vec<(PathBuf, Weak<Lock>)>> = Mutex::new(Vec::new());

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlinked while still held: a run waiting on this file finds it is no longer the one
        // at the path and opens the new one (see `Lock::take`).
        let _ = std::fs::remove_file(&self.path);
        let _ = rustix::fs::flock(&self.file, rustix::fs::FlockOperation::Unlock);
        remove_created(&mut self.created_dirs);
    }
}

/// A held lock on an output folder, from [`OutputSet::lock`]: no other run writes the folder
/// while it is held, and the [`OutputSet`]s of this process for that folder share it.
#[derive(Debug)]
pub struct OutputLock {
    lock: Arc<Lock>,
}

impl OutputLock {
    /// The folder locked, resolved through links.
    pub fn folder(&self) -> &Path {
        &self.lock.target
    }
}

impl Lock {
    /// The lock of this process on `dir`, or a new one: takes it, or fails at once naming
    /// the process that holds it.
    fn hold(dir: &Path) -> Result<(PathBuf, Arc<Lock>)> {
        let asked = absolute(dir)?;
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|(_, lock)| lock.strong_count() > 0);
        let mine = |held: &[(PathBuf, Weak<Lock>)], path: &Path| {
            (held.iter())
                .filter_map(|(a, l)| Some((a, l.upgrade()?)))
                .find(|(a, l)| a.as_path() == path || l.target == path)
                .map(|(_, l)| l)
        };
        if let Some(lock) = mine(&held, &asked) {
            return Ok((asked, lock));
        }
        let mut created_dirs = Vec::new();
        let target = match resolve(dir, &asked, &mut created_dirs) {
            Ok(target) => target,
            Err(e) => {
                remove_created(&mut created_dirs);
                return Err(e);
            }
        };
        if let Some(lock) = mine(&held, &target) {
            return Ok((asked, lock));
        }
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let parent = target.parent().unwrap_or(&target);
        let inside = is_mount_point(&target);
        let path = match inside {
            true => target.join(INSIDE_LOCK),
            false => parent.join(format!(".{name}.lock")),
        };
        match Lock::take(&path, &target) {
            Ok(file) => {
                clear_leftovers(parent, &name, &target, inside);
                let lock = Arc::new(Lock {
                    path,
                    file,
                    target,
                    created_dirs,
                    inside,
                });
                held.push((asked.clone(), Arc::downgrade(&lock)));
                Ok((asked, lock))
            }
            Err(e) => {
                remove_created(&mut created_dirs);
                Err(e)
            }
        }
    }

    /// Takes the lock file `path` of `target`.
    fn take(path: &Path, target: &Path) -> Result<File> {
        loop {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    let holder = std::fs::read_to_string(path).unwrap_or_default();
                    let holder = match holder.trim() {
                        "" => "another process".to_string(),
                        pid => format!("process {pid}"),
                    };
                    return Err(Error::Usage(format!(
                        "{} is being written by another fifteen run ({holder}, lock {}); \
                         wait for it to finish or write to another folder",
                        target.display(),
                        path.display()
                    )));
                }
                Err(e) => return Err(Error::io(path, e.into())),
            }
            // A holder that finished unlinks the file while holding it: the lock counts only
            // if the file locked is still the one at the path.
            let ours = file.metadata().map_err(|e| Error::io(path, e))?;
            let now = std::fs::metadata(path).ok();
            if now.is_some_and(|m| m.dev() == ours.dev() && m.ino() == ours.ino()) {
                let mut file = file;
                let _ = file.set_len(0);
                let _ = writeln!(file, "{}", std::process::id());
                return Ok(file);
            }
        }
    }
}

/// The output folder `dir` (`asked`, made absolute) resolved through links, its missing
/// parents created and noted in `created`.
fn resolve(dir: &Path, asked: &Path, created: &mut Vec<PathBuf>) -> Result<PathBuf> {
    let target = if asked.exists() {
        let target = asked.canonicalize().map_err(|e| Error::io(dir, e))?;
        if !target.is_dir() {
            return Err(Error::Usage(format!(
                "{} is not a folder: give a folder for the outputs",
                dir.display()
            )));
        }
        target
    } else {
        let parent = asked.parent().unwrap_or(asked);
        // a file on the way is named as such, not as "file exists"
        if parent
            .ancestors()
            .find(|a| a.exists())
            .is_some_and(|a| !a.is_dir())
        {
            return Err(Error::io(dir, std::io::ErrorKind::NotADirectory.into()));
        }
        create_dirs(parent, created).map_err(|e| Error::io(dir, e))?;
        let parent = parent.canonicalize().map_err(|e| Error::io(dir, e))?;
        parent.join(asked.file_name().unwrap_or_default())
    };
    if target.parent().is_none() || target.file_name().is_none() {
        return Err(Error::Usage(format!(
            "{} cannot be an output folder: it has no parent to stage the outputs in",
            dir.display()
        )));
    }
    Ok(target)
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

/// Whether process `pid` is running (Linux: `/proc/PID` exists).
fn alive(pid: &str) -> bool {
    Path::new("/proc").join(pid).exists()
}

/// The PID in a temporary file's name: `.NAME.tmp-PID` (the file-by-file writing of earlier
/// versions, and `batch`'s `run.json`) or `.fifteen-probe-PID`.
fn temp_pid(name: &str) -> Option<&str> {
    if !name.starts_with('.') {
        return None;
    }
    let (_, pid) = name
        .rsplit_once(".tmp-")
        .or_else(|| name.rsplit_once(".fifteen-probe-"))?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(pid)
}

/// Removes, under `dir`, the temporary files of processes that are gone.
fn remove_dead_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            remove_dead_temps(&entry.path());
        } else if temp_pid(&entry.file_name().to_string_lossy()).is_some_and(|p| !alive(p)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// What earlier runs on `target` left in `parent`, found under the lock and so dead: an old
/// set whose swap was cut short is put back when `target` is missing, staging and old folders
/// are removed, and so are dead processes' temporary files inside `target`.
fn clear_leftovers(parent: &Path, name: &str, target: &Path, inside: bool) {
    let (prefix, parent) = match inside {
        true => (".fifteen.".to_string(), target),
        false => (format!(".{name}."), parent),
    };
    let mut found: Vec<(bool, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_string_lossy()
            .strip_prefix(&prefix)
            .map(String::from)
        else {
            continue;
        };
        let pid = rest
            .strip_prefix("staging-")
            .map(|p| (false, p))
            .or_else(|| rest.strip_prefix("old-").map(|p| (true, p)));
        if let Some((old, pid)) = pid
            && !pid.is_empty()
            && pid.bytes().all(|b| b.is_ascii_digit())
        {
            found.push((old, entry.path()));
        }
    }
    for (old, path) in found {
        if old && std::fs::symlink_metadata(target).is_err() {
            let _ = std::fs::rename(&path, target);
        } else {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
    remove_dead_temps(target);
}

/// Carries into `to` everything under `from` that `to` lacks, by hard links (copies where
/// links fail), leaving out dead processes' temporary files.
fn carry_over(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if temp_pid(&name.to_string_lossy()).is_some_and(|p| !alive(p)) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        let kind = entry.file_type()?;
        let present = std::fs::symlink_metadata(&dst).ok();
        if kind.is_dir() {
            match present {
                None => {
                    std::fs::create_dir(&dst)?;
                    carry_over(&src, &dst)?;
                    std::fs::set_permissions(&dst, std::fs::metadata(&src)?.permissions())?;
                }
                Some(m) if m.is_dir() => carry_over(&src, &dst)?,
                Some(_) => {} // the new set wrote a file where a folder was: the new set wins
            }
        } else if present.is_none() {
            if kind.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
            } else if std::fs::hard_link(&src, &dst).is_err() {
                std::fs::copy(&src, &dst)?;
            }
        }
    }
    Ok(())
}

/// The lock file's name inside an output folder that is a mount point.
const INSIDE_LOCK: &str = ".fifteen.lock";

/// Whether `target` is a mount point: on another device than its parent.
fn is_mount_point(target: &Path) -> bool {
    let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
    match (dev(target), target.parent().and_then(dev)) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

/// Moves every file under `from` to the same place under `to`, one rename each (for a
/// target that is a mount point, where the folder itself cannot be swapped).
fn move_into(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dst = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dst)?;
            move_into(&entry.path(), &dst)?;
        } else {
            std::fs::rename(entry.path(), &dst)?;
        }
    }
    Ok(())
}

/// Puts `staging` in the place of `target` in one step, removing the old set.
fn swap_in(staging: &Path, target: &Path, old: &Path) -> std::io::Result<()> {
    if std::fs::symlink_metadata(target).is_err() {
        return std::fs::rename(staging, target);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => {
                // the old set now lies under the staging name
                let _ = std::fs::remove_dir_all(staging);
                return Ok(());
            }
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP => {}
            Err(e) => return Err(e.into()),
        }
    }
    // No exchange here: two renames, and the next run restores `old` if cut between them.
    std::fs::rename(target, old)?;
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(old, target);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(old);
    Ok(())
}

/// `path` made absolute against the working folder, without resolving links.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::io(path, e))
}

impl OutputSet {
    /// Locks the output folder `dir` for this run, before the work that leads to writing it,
    /// so that a second run on the same folder fails at once rather than at its end. The
    /// sets this process then makes for `dir` share the lock.
    ///
    /// # Errors
    /// [`Error::Usage`] naming the other process when another run holds the lock, or when
    /// `dir` is a file; [`Error::Io`] when the lock file cannot be made beside `dir`.
    pub fn lock(dir: &Path) -> Result<OutputLock> {
        Lock::hold(dir).map(|(_, lock)| OutputLock { lock })
    }

    /// Prepares to write the folder `dir` whole: takes its lock, clears what dead runs left
    /// beside and inside it, and makes a staging folder beside it. Inside another set's
    /// folder of this process, the set is written into that set's staging folder instead.
    ///
    /// # Errors
    /// [`Error::Usage`] when another run is writing `dir`, or `dir` is a file;
    /// [`Error::Io`] when the folder or its staging folder cannot be created.
    pub fn new(dir: &Path) -> Result<Self> {
        let asked = absolute(dir)?;
        let enclosing = {
            let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
            active.iter().find_map(|(outer_asked, outer, staging)| {
                let inside = |root: &Path| {
                    asked
                        .strip_prefix(root)
                        .ok()
                        .filter(|rest| !rest.as_os_str().is_empty())
                        .map(Path::to_path_buf)
                };
                let rest = inside(outer_asked).or_else(|| inside(outer))?;
                Some((outer.join(&rest), staging.join(&rest)))
            })
        };
        let mut created_dirs = Vec::new();
        if let Some((target, staging)) = enclosing {
            create_dirs(&staging, &mut created_dirs).map_err(|e| Error::io(dir, e))?;
            return Ok(OutputSet {
                target,
                staging,
                written: Vec::new(),
                created_dirs,
                lock: None,
                committed: false,
            });
        }

        let (asked, lock) = Lock::hold(dir)?;
        let target = lock.target.clone();
        let parent = target.parent().unwrap_or(&target);
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let staging = match lock.inside {
            true => target.join(format!(".fifteen.staging-{}", std::process::id())),
            false => parent.join(format!(".{name}.staging-{}", std::process::id())),
        };
        let twice = (ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).iter())
            .any(|(_, active, _)| *active == target);
        if twice {
            return Err(Error::Usage(format!(
                "{} is already being written by this run",
                dir.display()
            )));
        }
        let made = std::fs::create_dir(&staging).and_then(|_| {
            // the same check as writing any output: fail before the work, not after
            let probe = staging.join(".fifteen-probe");
            File::create(&probe)?;
            std::fs::remove_file(&probe)
        });
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(Error::io(dir, e));
        }
        ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).push((
            asked,
            target.clone(),
            staging.clone(),
        ));
        Ok(OutputSet {
            target,
            staging,
            written: Vec::new(),
            created_dirs,
            lock: Some(lock),
            committed: false,
        })
    }

    /// Writes `name` in the folder through `write`, into the staging folder until
    /// [`Self::commit`]. `name` may hold a subfolder (`stroller/buildings.geojson`), created
    /// when needed.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file (its place in the target folder) when it cannot be
    /// written; a full disk is one (exit code 1).
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        let target = self.target.join(name);
        let path = self.staging.join(name);
        let folder = path.parent().unwrap_or(&self.staging).to_path_buf();
        create_dirs(&folder, &mut self.created_dirs).map_err(|e| Error::io(&target, e))?;
        let file = File::create(&path).map_err(|e| Error::io(&target, e))?;
        if !self.written.iter().any(|(n, _)| n == name) {
            self.written.push((name.to_string(), path.clone()));
        }
        let mut out = BufWriter::new(file);
        write(&mut out)
            .and_then(|_| out.flush())
            .and_then(|_| out.get_ref().sync_all())
            .map_err(|e| Error::io(&target, e))
    }

    /// Where `name`, written but not yet committed, lies now (in the staging folder), so that
    /// later outputs can be made from it.
    pub fn written(&self, name: &str) -> Option<&Path> {
        self.written
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, path)| path.as_path())
    }

    /// Drops `name` from the set: it is removed from the staging folder, and an older file of
    /// that name in the target folder is kept.
    pub fn discard(&mut self, name: &str) {
        self.written.retain(|(n, path)| {
            let keep = n != name;
            if !keep {
                let _ = std::fs::remove_file(path);
            }
            keep
        });
    }

    /// Swaps the written set in whole (a set nested in another one goes in with that one),
    /// and returns where its files lie.
    ///
    /// # Errors
    /// [`Error::Io`] when the old folder cannot be carried over or the swap fails; the old
    /// folder is then left as it was.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let done = (self.written.iter())
            .map(|(name, _)| self.target.join(name))
            .collect();
        let inside = self.lock.as_ref().is_some_and(|l| l.inside);
        if inside {
            move_into(&self.staging, &self.target).map_err(|e| Error::io(&self.target, e))?;
            let _ = std::fs::remove_dir_all(&self.staging);
        } else if self.lock.is_some() {
            if self.target.is_dir() {
                carry_over(&self.target, &self.staging).map_err(|e| Error::io(&self.target, e))?;
                // the folder keeps the mode it was given (group-writable, say)
                if let Ok(meta) = std::fs::metadata(&self.target) {
                    let _ = std::fs::set_permissions(&self.staging, meta.permissions());
                }
            }
            let parent = self.target.parent().unwrap_or(&self.target).to_path_buf();
            let name = self
                .target
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            swap_in(&self.staging, &self.target, &old).map_err(|e| Error::io(&self.target, e))?;
            if let Ok(folder) = File::open(&parent) {
                let _ = folder.sync_all();
            }
        }
        self.committed = true;
        Ok(done)
    }
}

/// Removes the folders in `created` that are empty, deepest first.
fn remove_created(created: &mut [PathBuf]) {
    created.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in created.iter() {
        let _ = std::fs::remove_dir(dir);
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if self.lock.is_some() {
            ACTIVE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(_, _, staging)| *staging != self.staging);
            if !self.committed {
                let _ = std::fs::remove_dir_all(&self.staging);
            }
        } else if !self.committed {
            for (_, path) in &self.written {
                let _ = std::fs::remove_file(path);
            }
        }
        if !self.committed {
            remove_created(&mut self.created_dirs);
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
            // staged beside the target, which appears only at the commit
            assert!(set.written("adult/a.txt").unwrap().is_file());
            assert!(!out.exists());
        }
        assert!(!dir.path().join("fresh").exists());

        let mut set = OutputSet::new(&out).unwrap();
        set.write("adult/a.txt", |w| w.write_all(b"x")).unwrap();
        set.commit().unwrap();
        assert_eq!(std::fs::read(out.join("adult/a.txt")).unwrap(), b"x");
    }
}
