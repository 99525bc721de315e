//! The Slurm job array of `docs/batch.md`, on a real one-node Slurm cluster on localhost.
//!
//! The script is the fenced `sh` block of the doc's "Beyond one machine" section, written to a
//! file byte for byte. Like a user's trial, the submission only sets what the script reads
//! from its environment (`FIFTEEN_MANIFEST`, `FIFTEEN_SHARDS`) and overrides `--array` on
//! `sbatch`'s command line; `fifteen` on `PATH` is the binary under test. The test writes its
//! own `slurm.conf` into a temp dir (free ports, state, spool and logs there; the daemons get
//! it by `-f`, the clients by `SLURM_CONF`; nothing under /etc/slurm is touched), starts
//! munged if none answers, then `slurmctld` and `slurmd` in the foreground as its children,
//! waits for the node to be idle, and submits with `sbatch --wait`. The node is declared with
//! 16 CPUs and 16 GiB (`SlurmdParameters=config_overrides`), so that the script's own
//! `--cpus-per-task=4 --mem=8G` fit on a small machine and the four tasks run side by side.
//! What it started is stopped by process id when the test ends, also on a panic.
//!
//! It checks that every task succeeded and left its log, that every job ran exactly once and
//! in its shard (`NAME: done` in exactly one log, the one of shard `i % N + 1`; `run.json`'s
//! `shard`; one `pid` per shard), and that every output file equals a plain `fifteen batch` of
//! the same manifest, byte for byte, except the timings, peak memory and worker threads in
//! `summary.json` and, in `run.json`, those and the process, shard and finish time.
//!
//! Needs root and Debian's `slurm-wlm` and `munge`; without them the test says so and
//! passes, unless `FIFTEEN_REQUIRE_SLURM=1` (set by `.ci/run`, which installs them), where it
//! fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fifteen");
const REQUIRE: &str = "FIFTEEN_REQUIRE_SLURM";
const SHARDS: usize = 4;

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn output_of(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().expect(program);
    text(&out.stdout).trim().to_string()
}

/// Why the test cannot run here, if it cannot.
fn missing() -> Option<String> {
    let programs = [
        "/usr/sbin/slurmctld",
        "/usr/sbin/slurmd",
        "/usr/bin/sbatch",
        "/usr/bin/sinfo",
        "/usr/sbin/munged",
        "/usr/bin/munge",
        "/usr/bin/unmunge",
    ];
    let absent: Vec<&str> = programs
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !absent.is_empty() {
        return Some(format!(
            "slurm-wlm and munge not installed; .ci/run installs them; missing: {}",
            absent.join(", ")
        ));
    }
    if output_of("id", &["-u"]) != "0" {
        return Some("a one-node Slurm cluster needs root (SlurmUser=root)".into());
    }
    None
}

/// Waits for `child` at most `limit`; kills it when it takes longer.
fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The daemons this test started, stopped (TERM, then KILL) in reverse order when dropped.
struct Started {
    children: Vec<(&'static str, Child)>,
}

impl Started {
    fn spawn(&mut self, name: &'static str, command: &mut Command, log: &Path) {
        let file = std::fs::File::create(log).expect("log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        self.children.push((name, child));
    }

    /// Panics when one of the daemons has already exited.
    fn check_alive(&mut self, logs: &Path) {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!(
                    "{name} exited ({status}); its log:\n{}",
                    std::fs::read_to_string(logs.join(format!("{name}.log"))).unwrap_or_default()
                );
            }
        }
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        while let Some((_, mut child)) = self.children.pop() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            if wait_bounded(&mut child, Duration::from_secs(10)).is_none() {
                eprintln!("slurm test: pid {} killed after TERM", child.id());
            }
        }
    }
}

fn munge_answers() -> bool {
    Command::new("sh")
        .args(["-c", "munge -n | unmunge"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts munged as user `munge` unless one already answers (Debian's package makes the key).
fn start_munge(started: &mut Started, dir: &Path) {
    if munge_answers() {
        return;
    }
    if !Path::new("/etc/munge/munge.key").exists() {
        assert!(
            succeeds("runuser", &["-u", "munge", "--", "mungekey", "--create"]),
            "no /etc/munge/munge.key and mungekey could not make one"
        );
    }
    let uid: u32 = output_of("id", &["-u", "munge"])
        .parse()
        .expect("munge user");
    let gid: u32 = output_of("id", &["-g", "munge"])
        .parse()
        .expect("munge group");
    let run = Path::new("/run/munge");
    std::fs::create_dir_all(run).expect("/run/munge");
    std::os::unix::fs::chown(run, Some(uid), Some(gid)).expect("chown /run/munge");
    started.spawn(
        "munged",
        Command::new("/usr/sbin/munged")
            .args(["--foreground", "--force"])
            .uid(uid)
            .gid(gid),
        &dir.join("munged.log"),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !munge_answers() {
        started.check_alive(dir);
        assert!(Instant::now() < deadline, "munged did not answer in 10 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn slurm_conf(dir: &Path, host: &str) -> String {
    let d = dir.display();
    format!(
        "ClusterName=fifteentest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={}
SlurmdPort={}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
SlurmdParameters=config_overrides
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.file.log
SlurmdLogFile={d}/slurmd.file.log
NodeName={host} NodeAddr=127.0.0.1 CPUs=16 RealMemory=16384 State=UNKNOWN
PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE State=UP
",
        free_port(),
        free_port()
    )
}

fn manifest(town: &Path) -> (String, Vec<(&'static str, &'static str)>) {
    // (name, out folder, options): categories, bands, pace and a site job differ.
    let jobs = [
        (
            "childcare-5-10-15",
            "out/childcare",
            "categories = [\"childcare\"]\nminutes = [5, 10, 15]",
        ),
        (
            "school-20",
            "out/school",
            "categories = [\"school\"]\nminutes = 20",
        ),
        (
            "pharmacy-10",
            "out/pharmacy",
            "categories = [\"pharmacy\"]\nminutes = 10",
        ),
        (
            "grocery-park-slow",
            "out/grocery-park",
            "categories = [\"grocery\", \"park\"]\nminutes = [10, 15]\nspeed_kmh = 3.0",
        ),
        (
            "childcare-two-more",
            "out/childcare-sites",
            "command = \"site\"\ncategories = [\"childcare\"]\nadd = 2",
        ),
        ("park-5", "out/park", "categories = [\"park\"]\nminutes = 5"),
    ];
    let mut body = String::new();
    for (name, out, options) in jobs {
        body.push_str(&format!(
            "[[job]]\nname = \"{name}\"\ninput = \"{}\"\nout = \"{out}\"\n{options}\n\n",
            town.display()
        ));
    }
    (body, jobs.iter().map(|(n, o, _)| (*n, *o)).collect())
}

/// Every file under `dir`, relative to it.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    found
}

fn json_without(path: &Path, keys: &[&str]) -> Value {
    let mut value: Value =
        serde_json::from_slice(&std::fs::read(path).expect("readable")).expect("JSON");
    for key in keys {
        match key.split_once('.') {
            Some((outer, inner)) => value
                .get_mut(outer)
                .and_then(Value::as_object_mut)
                .map(|o| o.remove(inner)),
            None => value
                .as_object_mut()
                .expect("an object")
                .remove(*key)
                .map(Some),
        };
    }
    value
}

/// What may differ between a shard's outputs and a plain batch's: timings and peak memory,
/// and the worker threads (cores ÷ the jobs running side by side, which depends on how many
/// jobs a process has; they change no result and are not in the fingerprint's key).
const SUMMARY_VARIES: [&str; 3] = ["timings_s", "peak_memory_mib", "parameters.threads"];
const RUN_VARIES: [&str; 6] = [
    "pid",
    "shard",
    "seconds",
    "finished_unix",
    "peak_memory_mib",
    "parameters.threads",
];

#[test]
fn the_docs_job_array_runs_every_job_once_on_a_real_slurm_cluster() {
    if let Some(why) = missing() {
        assert!(
            std::env::var(REQUIRE).as_deref() != Ok("1"),
            "{REQUIRE}=1 but {why}"
        );
        eprintln!("skipped: the Slurm job-array test ({why})");
        return;
    }
    let began = Instant::now();
    let script = common::doc_block("batch.md", "Beyond one machine", "sh");
    assert!(script.starts_with("#!/bin/bash\n#SBATCH"), "{script}");
    let town = common::sample_town();
    let (body, jobs) = manifest(&town);

    let temp = tempfile::tempdir().expect("temp dir");
    let cluster = temp.path().join("cluster");
    for sub in ["state", "spool"] {
        std::fs::create_dir_all(cluster.join(sub)).expect("cluster dirs");
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let host = host
        .trim()
        .split('.')
        .next()
        .expect("a host name")
        .to_string();
    let conf = cluster.join("slurm.conf");
    std::fs::write(&conf, slurm_conf(&cluster, &host)).expect("slurm.conf");

    // Submitted from `work`, as a user would: the script, `logs/` and the manifest there.
    let work = temp.path().join("slurm");
    std::fs::create_dir_all(work.join("logs")).expect("logs");
    std::fs::write(work.join("national.sbatch"), &script).expect("script");
    std::fs::write(work.join("jobs.toml"), &body).expect("manifest");

    let mut started = Started {
        children: Vec::new(),
    };
    start_munge(&mut started, &cluster);
    for daemon in ["slurmctld", "slurmd"] {
        started.spawn(
            daemon,
            Command::new(format!("/usr/sbin/{daemon}"))
                .arg("-D")
                .arg("-f")
                .arg(&conf),
            &cluster.join(format!("{daemon}.log")),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        started.check_alive(&cluster);
        let state = Command::new("sinfo")
            .args(["-h", "-o", "%T", "-n", &host])
            .env("SLURM_CONF", &conf)
            .output()
            .expect("sinfo runs");
        let state = text(&state.stdout);
        if state.trim() == "idle" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the node is not idle after 30 s: {state:?}; slurmctld log:\n{}",
            std::fs::read_to_string(cluster.join("slurmctld.file.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let cluster_up = began.elapsed();

    let bin_dir = Path::new(BIN).parent().expect("binary's folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut sbatch = Command::new("sbatch")
        .args(["--wait", &format!("--array=1-{SHARDS}"), "national.sbatch"])
        .current_dir(&work)
        .env("SLURM_CONF", &conf)
        .env("PATH", &path)
        .env("FIFTEEN_MANIFEST", work.join("jobs.toml"))
        .env("FIFTEEN_SHARDS", SHARDS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sbatch runs");
    let status = wait_bounded(&mut sbatch, Duration::from_secs(120));
    let read = |stream: Option<Box<dyn std::io::Read>>| {
        let mut said = String::new();
        if let Some(mut stream) = stream {
            stream.read_to_string(&mut said).expect("sbatch's output");
        }
        said
    };
    let said = read(sbatch.stdout.take().map(|s| Box::new(s) as _));
    let err = read(sbatch.stderr.take().map(|s| Box::new(s) as _));
    let logs: BTreeMap<String, String> = std::fs::read_dir(work.join("logs"))
        .expect("logs")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("log"))
        })
        .collect();
    let status = status.unwrap_or_else(|| panic!("sbatch --wait took over 120 s; logs: {logs:#?}"));
    assert!(
        status.success(),
        "sbatch: {status}: {said}{err}; logs: {logs:#?}"
    );
    let job_id = said
        .trim()
        .strip_prefix("Submitted batch job ")
        .unwrap_or_else(|| panic!("sbatch said {said:?}"))
        .to_string();
    let array_done = began.elapsed();
    drop(started);

    // One log per task, as the script's --output names them, and no other.
    let expected: BTreeSet<String> = (1..=SHARDS)
        .map(|i| format!("fifteen-{job_id}_{i}.log"))
        .collect();
    assert_eq!(logs.keys().cloned().collect::<BTreeSet<_>>(), expected);

    // Every job done exactly once, in the log of its shard.
    for (index, (name, out)) in jobs.iter().enumerate() {
        let shard = index % SHARDS + 1;
        let done_in: Vec<&String> = logs
            .iter()
            .filter(|(_, log)| {
                log.lines()
                    .any(|l| l.starts_with(&format!("{name}: done in ")))
            })
            .map(|(file, _)| file)
            .collect();
        assert_eq!(
            done_in,
            vec![&format!("fifteen-{job_id}_{shard}.log")],
            "{name} (job {index}) is shard {shard}'s"
        );
        let started_lines: usize = logs
            .values()
            .map(|log| log.matches(&format!("fifteen: [{name}] started")).count())
            .sum();
        assert_eq!(started_lines, 1, "{name} started once");
        let run = json_without(&work.join(out).join("run.json"), &[]);
        assert_eq!(run["shard"], format!("{shard}/{SHARDS}"), "{name}");
        assert_eq!(run["job"], *name);
    }
    for shard in 1..=SHARDS {
        let log = &logs[&format!("fifteen-{job_id}_{shard}.log")];
        let mine = (0..jobs.len()).filter(|i| i % SHARDS + 1 == shard).count();
        let summary = format!(
            "batch (shard {shard}/{SHARDS}: {mine} of the manifest's {} jobs): {mine} done, 0 skipped, 0 failed",
            jobs.len()
        );
        assert!(log.contains(&summary), "shard {shard}: {log}");
        // One process per shard: its jobs share a pid that no other shard's has.
        let pids: BTreeSet<String> = jobs
            .iter()
            .enumerate()
            .filter(|(i, _)| i % SHARDS + 1 == shard)
            .map(|(_, (_, out))| {
                json_without(&work.join(out).join("run.json"), &[])["pid"].to_string()
            })
            .collect();
        assert_eq!(pids.len(), 1, "shard {shard}: pids {pids:?}");
    }
    let all_pids: BTreeSet<String> = jobs
        .iter()
        .map(|(_, out)| json_without(&work.join(out).join("run.json"), &[])["pid"].to_string())
        .collect();
    assert_eq!(all_pids.len(), SHARDS.min(jobs.len()), "{all_pids:?}");
    let out_dirs = std::fs::read_dir(work.join("out")).expect("out").count();
    assert_eq!(out_dirs, jobs.len(), "no folder beyond the jobs'");

    // The same manifest in one plain batch, writing to the same paths (they are part of the
    // fingerprint's key) once Slurm's outputs are moved aside: the same files, the same bytes.
    let slurm_out = temp.path().join("slurm-out");
    std::fs::rename(work.join("out"), &slurm_out).expect("move Slurm's outputs aside");
    let run: Output = Command::new(BIN)
        .arg("batch")
        .arg(work.join("jobs.toml"))
        .args(["--jobs", "2", "--plain"])
        .output()
        .expect("fifteen batch runs");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    for (name, out) in &jobs {
        let ours = slurm_out.join(out.strip_prefix("out/").expect("under out/"));
        let theirs = work.join(out);
        let listed = files(&ours);
        assert_eq!(listed, files(&theirs), "{name}: the files");
        for file in &listed {
            let (a, b) = (ours.join(file), theirs.join(file));
            match file.file_name().and_then(|f| f.to_str()) {
                Some("summary.json") => assert_eq!(
                    json_without(&a, &SUMMARY_VARIES),
                    json_without(&b, &SUMMARY_VARIES),
                    "{name}: {}",
                    file.display()
                ),
                Some("run.json") => assert_eq!(
                    json_without(&a, &RUN_VARIES),
                    json_without(&b, &RUN_VARIES),
                    "{name}: run.json"
                ),
                _ => assert!(
                    std::fs::read(&a).expect("ours") == std::fs::read(&b).expect("theirs"),
                    "{name}: {} differs from the plain batch's",
                    file.display()
                ),
            }
        }
    }
    eprintln!(
        "slurm: cluster idle after {:.1} s, array of {SHARDS} done after {:.1} s, all checked after {:.1} s",
        cluster_up.as_secs_f64(),
        array_done.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}
