//! Named, timed stages: each finished stage is logged and its wall-clock seconds go into
//! `summary.json`.

use std::collections::BTreeMap;
use std::time::Instant;

/// Stage names and wall-clock seconds, in run order.
#[derive(Debug, Default)]
pub struct Stages {
    timings: Vec<(String, f64)>,
}

impl Stages {
    /// Runs `f` as the stage `name`, timing it and reporting it to `log`.
    pub fn run<T>(&mut self, name: &'static str, log: &dyn Fn(&str), f: impl FnOnce() -> T) -> T {
        self.run_named(name.to_string(), log, f)
    }

    /// [`Self::run`] for a name made at run time (e.g. `route stroller`).
    pub fn run_named<T>(&mut self, name: String, log: &dyn Fn(&str), f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        let seconds = start.elapsed().as_secs_f64();
        log(&format!("{name:<11} {seconds:>7.3} s"));
        self.timings.push((name, seconds));
        out
    }

    /// Runs `a` and `b` side by side as the stages `name_a` and `name_b`, each timed on its
    /// own: when one is serial the other has the remaining cores. Their times overlap, so
    /// `total` counts both.
    pub fn run_side_by_side<A: Send, B: Send>(
        &mut self,
        log: &dyn Fn(&str),
        (name_a, a): (&'static str, impl FnOnce() -> A + Send),
        (name_b, b): (&'static str, impl FnOnce() -> B + Send),
    ) -> (A, B) {
        fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
            let start = Instant::now();
            let out = f();
            (out, start.elapsed().as_secs_f64())
        }
        let ((out_a, seconds_a), (out_b, seconds_b)) = rayon::join(|| timed(a), || timed(b));
        for (name, seconds) in [(name_a, seconds_a), (name_b, seconds_b)] {
            log(&format!("{name:<11} {seconds:>7.3} s"));
            self.timings.push((name.to_string(), seconds));
        }
        (out_a, out_b)
    }

    /// The timings as a name → seconds map (to 0.1 ms), plus `total` (their sum).
    pub fn timings_s(&self) -> BTreeMap<String, f64> {
        let round = |s: f64| (s * 1e4).round() / 1e4;
        let mut map: BTreeMap<String, f64> = (self.timings.iter())
            .map(|(name, s)| (name.clone(), round(*s)))
            .collect();
        let total: f64 = self.timings.iter().map(|(_, s)| s).sum();
        map.insert("total".into(), round(total));
        map
    }
}

/// Peak resident memory of this process so far, MiB (Linux `VmHWM`; `None` elsewhere).
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
