//! Maximal covering: greedy selection with lazy re-evaluation (CELF), the plain greedy it
//! must agree with, and an exact branch and bound for small instances.
//!
//! # The objectives
//! Candidates are sets of *elements* (homes not yet within the threshold of any facility).
//!
//! - [`Coverage`]: the weight (residents) of the elements some chosen candidate reaches.
//!   A weighted coverage function: monotone and submodular.
//! - [`Capacitated`]: every element has a demand (places, in integer micro-places) and every
//!   chosen site can serve at most `capacity` of it, to elements it reaches. The value of a
//!   set of sites is the most demand they can serve together: a maximum flow from the sites
//!   (capacity each) through "reaches" arcs (unbounded) to the elements (their demand). That
//!   value is the rank function of a polymatroid (a coverage polymatroid cut by a box), hence
//!   monotone and submodular too. Each added site keeps the assignment a maximum flow: the
//!   site first takes residual demand in its reach in element order, then augmenting paths
//!   move demand between chosen sites (a site takes over demand another serves within its
//!   own reach, freeing that one's capacity for demand only it reaches). Integer arithmetic
//!   keeps every gain exact.
//!
//! # Why lazy evaluation is exact
//! For a submodular objective a candidate's gain can only fall as sites are chosen. CELF keeps
//! a max-heap of (last known gain, candidate); the top is re-evaluated and pushed back until
//! the top holds a gain computed in the current round, which then beats every other
//! candidate's upper bound. Ties go to the lower candidate index (callers number candidates
//! in id order), in the heap and in [`plain_greedy`] alike, so both pick the same sites.
//!
//! # The guarantee
//! Greedy on a monotone submodular function reaches at least `1 − 1/e ≈ 0.632` of the best
//! `k`-set (Nemhauser, Wolsey & Fisher 1978). [`exact_best`] finds that best set on small
//! instances so tests and `--exact` can measure how close greedy comes.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rayon::prelude::*;

/// Candidate → elements it reaches, as compressed rows.
#[derive(Debug, Clone)]
pub struct CoverSets {
    offsets: Vec<usize>,
    elements: Vec<u32>,
}

impl Default for CoverSets {
    fn default() -> Self {
        CoverSets {
            offsets: vec![0],
            elements: Vec::new(),
        }
    }
}

impl CoverSets {
    /// No candidates yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets from explicit lists (elements in any order; kept as given).
    pub fn from_lists(lists: &[Vec<u32>]) -> Self {
        let mut sets = CoverSets::new();
        for l in lists {
            sets.push(l.iter().copied());
        }
        sets
    }

    /// Appends the next candidate's elements.
    pub fn push(&mut self, elements: impl IntoIterator<Item = u32>) {
        self.elements.extend(elements);
        self.offsets.push(self.elements.len());
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no candidates.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements of candidate `c`.
    pub fn set(&self, c: usize) -> &[u32] {
        &self.elements[self.offsets[c]..self.offsets[c + 1]]
    }

    /// Total number of (candidate, element) pairs.
    pub fn pairs(&self) -> usize {
        self.elements.len()
    }
}

/// A monotone submodular objective evaluated incrementally: what adding a candidate to the
/// sites chosen so far would add.
pub trait Objective {
    /// Number of candidates.
    fn candidates(&self) -> usize;
    /// Gain of candidate `c` before anything is chosen (evaluated in parallel).
    fn initial_gain(&self, c: usize) -> f64;
    /// Gain of adding candidate `c` to the sites chosen so far; changes nothing.
    fn gain(&mut self, c: usize) -> f64;
    /// Adds candidate `c`; returns its gain (bit for bit what [`Self::gain`] said).
    fn commit(&mut self, c: usize) -> f64;
}

/// Weighted coverage: the weight of elements reached by at least one chosen candidate.
#[derive(Debug, Clone)]
pub struct Coverage<'a> {
    sets: &'a CoverSets,
    weight: &'a [f64],
    covered: Vec<bool>,
}

impl<'a> Coverage<'a> {
    /// Nothing chosen yet; `weight[e]` is element `e`'s weight (≥ 0).
    pub fn new(sets: &'a CoverSets, weight: &'a [f64]) -> Self {
        Coverage {
            sets,
            weight,
            covered: vec![false; weight.len()],
        }
    }

    /// Whether element `e` is reached by a chosen candidate.
    pub fn is_covered(&self, e: u32) -> bool {
        self.covered[e as usize]
    }

    fn uncovered_weight(&self, c: usize) -> f64 {
        // summed in element order, from +0.0: the same bits every time for the same state,
        // and never more than in an earlier state (rounding is monotone)
        self.sets
            .set(c)
            .iter()
            .filter(|&&e| !self.covered[e as usize])
            .fold(0.0, |acc, &e| acc + self.weight[e as usize])
    }
}

impl Objective for Coverage<'_> {
    fn candidates(&self) -> usize {
        self.sets.len()
    }

    fn initial_gain(&self, c: usize) -> f64 {
        self.uncovered_weight(c)
    }

    fn gain(&mut self, c: usize) -> f64 {
        self.uncovered_weight(c)
    }

    fn commit(&mut self, c: usize) -> f64 {
        let gain = self.uncovered_weight(c);
        for &e in self.sets.set(c) {
            self.covered[e as usize] = true;
        }
        gain
    }
}

/// One change to [`Capacitated`]'s state, for undoing an evaluation.
#[derive(Debug, Clone, Copy)]
enum Change {
    Residual(u32, i64),
    Flow(u32, usize, i64),
    FlowPushed(u32),
    Load(usize, i64),
}

/// Capacity-aware covering: the most demand the chosen sites can serve, each at most
/// `capacity`, each only elements it reaches (a maximum flow, kept up to date).
#[derive(Debug, Clone)]
pub struct Capacitated<'a> {
    sets: &'a CoverSets,
    demand: &'a [i64],
    capacity: i64,
    residual: Vec<i64>,
    /// Per element: (slot, amount served by that chosen site).
    served: Vec<Vec<(u32, i64)>>,
    /// Candidate of each chosen site, in order of choice.
    slots: Vec<usize>,
    /// Demand each chosen site serves.
    load: Vec<i64>,
    log: Option<Vec<Change>>,
}

impl<'a> Capacitated<'a> {
    /// Nothing chosen yet; `demand[e]` is element `e`'s demand, `capacity` each site's.
    pub fn new(sets: &'a CoverSets, demand: &'a [i64], capacity: i64) -> Self {
        assert!(capacity >= 0 && demand.iter().all(|&d| d >= 0));
        Capacitated {
            sets,
            demand,
            capacity,
            residual: demand.to_vec(),
            served: vec![Vec::new(); demand.len()],
            slots: Vec::new(),
            load: Vec::new(),
            log: None,
        }
    }

    /// Demand served by the `rank`-th chosen site (0-based), in the current assignment.
    pub fn load(&self, rank: usize) -> i64 {
        self.load[rank]
    }

    /// Demand served in total.
    pub fn total_served(&self) -> i64 {
        self.load.iter().sum()
    }

    /// Per element: (rank of the chosen site, demand it serves there), current assignment.
    pub fn assignment(&self, e: u32) -> impl Iterator<Item = (usize, i64)> + '_ {
        self.served[e as usize]
            .iter()
            .filter(|(_, a)| *a > 0)
            .map(|&(s, a)| (s as usize, a))
    }

    /// Element `e`'s demand not served.
    pub fn residual(&self, e: u32) -> i64 {
        self.residual[e as usize]
    }

    fn set_residual(&mut self, e: u32, value: i64) {
        if let Some(log) = &mut self.log {
            log.push(Change::Residual(e, self.residual[e as usize]));
        }
        self.residual[e as usize] = value;
    }

    fn set_load(&mut self, slot: usize, value: i64) {
        if let Some(log) = &mut self.log {
            log.push(Change::Load(slot, self.load[slot]));
        }
        self.load[slot] = value;
    }

    fn flow(&self, e: u32, slot: usize) -> i64 {
        self.served[e as usize]
            .iter()
            .find(|(s, _)| *s as usize == slot)
            .map_or(0, |(_, a)| *a)
    }

    fn add_flow(&mut self, e: u32, slot: usize, delta: i64) {
        let list = &mut self.served[e as usize];
        match list.iter().position(|(s, _)| *s as usize == slot) {
            Some(i) => {
                if let Some(log) = &mut self.log {
                    log.push(Change::Flow(e, i, list[i].1));
                }
                list[i].1 += delta;
            }
            None => {
                if let Some(log) = &mut self.log {
                    log.push(Change::FlowPushed(e));
                }
                list.push((slot as u32, delta));
            }
        }
    }

    fn undo(&mut self, log: Vec<Change>) {
        for change in log.into_iter().rev() {
            match change {
                Change::Residual(e, old) => self.residual[e as usize] = old,
                Change::Flow(e, i, old) => self.served[e as usize][i].1 = old,
                Change::FlowPushed(e) => {
                    self.served[e as usize].pop();
                }
                Change::Load(s, old) => self.load[s] = old,
            }
        }
    }

    fn direct_residual(&self, c: usize) -> i64 {
        self.sets
            .set(c)
            .iter()
            .map(|&e| self.residual[e as usize])
            .sum()
    }

    /// Adds `c` as a chosen site and restores a maximum flow; returns the flow gained.
    fn augment(&mut self, c: usize) -> i64 {
        let slot = self.slots.len();
        self.slots.push(c);
        self.load.push(0);
        let sets = self.sets;
        let mut gained = 0;
        for &e in sets.set(c) {
            let room = self.capacity - self.load[slot];
            if room == 0 {
                break;
            }
            let take = room.min(self.residual[e as usize]);
            if take > 0 {
                self.set_residual(e, self.residual[e as usize] - take);
                self.add_flow(e, slot, take);
                self.set_load(slot, self.load[slot] + take);
                gained += take;
            }
        }
        if gained == self.capacity {
            // no site can gain more than its own capacity (submodularity): already maximal
            return gained;
        }
        while let Some(path) = self.augmenting_path() {
            gained += self.push_along(&path);
        }
        gained
    }

    /// A shortest path (in sites) from a site with spare capacity to residual demand:
    /// `path[0]` has room, each next site serves demand the previous one reaches, the last
    /// reaches residual demand.
    fn augmenting_path(&self) -> Option<Vec<usize>> {
        let n = self.slots.len();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut seen: Vec<bool> = self.load.iter().map(|&l| l < self.capacity).collect();
        let mut queue: VecDeque<usize> = (0..n).filter(|&s| seen[s]).collect();
        while let Some(u) = queue.pop_front() {
            let set = self.sets.set(self.slots[u]);
            if set.iter().any(|&e| self.residual[e as usize] > 0) {
                let mut path = vec![u];
                let mut at = u;
                while let Some(p) = parent[at] {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                return Some(path);
            }
            for &e in set {
                for &(v, amount) in &self.served[e as usize] {
                    let v = v as usize;
                    if amount > 0 && !seen[v] {
                        seen[v] = true;
                        parent[v] = Some(u);
                        queue.push_back(v);
                    }
                }
            }
        }
        None
    }

    /// Pushes the bottleneck along `path`; returns it (> 0).
    fn push_along(&mut self, path: &[usize]) -> i64 {
        let sets = self.sets;
        let start = path[0];
        let last = *path.last().expect("non-empty path");
        let mut amount = self.capacity - self.load[start];
        for w in path.windows(2) {
            let (u, v) = (w[0], w[1]);
            let movable: i64 = sets
                .set(self.slots[u])
                .iter()
                .map(|&e| self.flow(e, v))
                .sum();
            amount = amount.min(movable);
        }
        let sink: i64 = self.direct_residual(self.slots[last]);
        amount = amount.min(sink);
        debug_assert!(amount > 0);
        // each arc moves demand on its own edges (u takes over v's service), so the order of
        // realising them does not matter
        for w in path.windows(2) {
            let (u, v) = (w[0], w[1]);
            let mut left = amount;
            for &e in sets.set(self.slots[u]) {
                if left == 0 {
                    break;
                }
                let f = self.flow(e, v);
                if f > 0 {
                    let d = f.min(left);
                    self.add_flow(e, v, -d);
                    self.add_flow(e, u, d);
                    left -= d;
                }
            }
        }
        let mut left = amount;
        for &e in sets.set(self.slots[last]) {
            if left == 0 {
                break;
            }
            let r = self.residual[e as usize];
            if r > 0 {
                let d = r.min(left);
                self.set_residual(e, r - d);
                self.add_flow(e, last, d);
                left -= d;
            }
        }
        self.set_load(start, self.load[start] + amount);
        amount
    }

    fn gain_i64(&mut self, c: usize) -> i64 {
        if self.direct_residual(c) >= self.capacity {
            return self.capacity;
        }
        self.log = Some(Vec::new());
        let gained = self.augment(c);
        let log = self.log.take().expect("set above");
        self.undo(log);
        self.slots.pop();
        self.load.pop();
        gained
    }
}

impl Objective for Capacitated<'_> {
    fn candidates(&self) -> usize {
        self.sets.len()
    }

    fn initial_gain(&self, c: usize) -> f64 {
        let reach: i64 = self
            .sets
            .set(c)
            .iter()
            .map(|&e| self.demand[e as usize])
            .sum();
        reach.min(self.capacity) as f64
    }

    fn gain(&mut self, c: usize) -> f64 {
        self.gain_i64(c) as f64
    }

    fn commit(&mut self, c: usize) -> f64 {
        self.augment(c) as f64
    }
}

/// One chosen site: its candidate index and what it added.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// Candidate index.
    pub candidate: usize,
    /// Its gain when chosen.
    pub gain: f64,
}

/// A heap entry: the gain of `candidate` as evaluated after `round` picks.
#[derive(Debug, Clone, Copy)]
struct Entry {
    gain: f64,
    candidate: usize,
    round: usize,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Larger gain first; on equal gains the lower candidate index.
    fn cmp(&self, other: &Self) -> Ordering {
        self.gain
            .total_cmp(&other.gain)
            .then(other.candidate.cmp(&self.candidate))
    }
}

/// Greedy with lazy re-evaluation. Call [`Celf::next_pick`] until it returns `None` (no
/// candidate adds anything) or the caller has enough.
pub struct Celf<O: Objective> {
    objective: O,
    heap: BinaryHeap<Entry>,
    round: usize,
    evaluations: usize,
}

impl<O: Objective + Sync> Celf<O> {
    /// Evaluates every candidate once, in parallel; candidates that add nothing are dropped
    /// (a gain can only fall).
    pub fn new(objective: O) -> Self {
        let n = objective.candidates();
        let heap = (0..n)
            .into_par_iter()
            .map(|c| Entry {
                gain: objective.initial_gain(c),
                candidate: c,
                round: 0,
            })
            .filter(|e| e.gain > 0.0)
            .collect::<Vec<_>>()
            .into();
        Celf {
            objective,
            heap,
            round: 0,
            evaluations: n,
        }
    }
}

impl<O: Objective> Celf<O> {
    /// The next site: the candidate with the largest gain (lowest index on ties), or `None`
    /// when no candidate adds anything.
    pub fn next_pick(&mut self) -> Option<Pick> {
        loop {
            let top = self.heap.pop()?;
            if top.gain <= 0.0 {
                self.heap.clear();
                return None;
            }
            if top.round == self.round {
                let gain = self.objective.commit(top.candidate);
                debug_assert_eq!(gain.to_bits(), top.gain.to_bits());
                self.round += 1;
                return Some(Pick {
                    candidate: top.candidate,
                    gain,
                });
            }
            let gain = self.objective.gain(top.candidate);
            self.evaluations += 1;
            if gain > 0.0 {
                self.heap.push(Entry {
                    gain,
                    candidate: top.candidate,
                    round: self.round,
                });
            }
        }
    }

    /// Gain evaluations so far (the first round counts every candidate).
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// The objective, in its current state.
    pub fn objective(&self) -> &O {
        &self.objective
    }
}

/// Plain greedy (every candidate re-evaluated every round), for checking CELF: up to `k`
/// picks, stopping early when nothing adds anything. Ties go to the lower index.
pub fn plain_greedy<O: Objective>(objective: &mut O, k: usize) -> Vec<Pick> {
    let n = objective.candidates();
    let mut chosen = vec![false; n];
    let mut picks = Vec::new();
    while picks.len() < k {
        let mut best: Option<Pick> = None;
        for c in (0..n).filter(|&c| !chosen[c]) {
            let gain = objective.gain(c);
            if best.is_none_or(|b| gain > b.gain) {
                best = Some(Pick { candidate: c, gain });
            }
        }
        match best {
            Some(b) if b.gain > 0.0 => {
                let gain = objective.commit(b.candidate);
                debug_assert_eq!(gain.to_bits(), b.gain.to_bits());
                chosen[b.candidate] = true;
                picks.push(b);
            }
            _ => break,
        }
    }
    picks
}

/// The value of choosing `sites` (any order) from a fresh objective.
pub fn value_of<O: Objective>(make: &dyn Fn() -> O, sites: &[usize]) -> f64 {
    let mut objective = make();
    sites.iter().map(|&c| objective.commit(c)).sum()
}

/// The best value of at most `k` candidates, and one set achieving it, by branch and bound:
/// candidates are tried in index order, and a branch is cut when its value plus the `k − |S|`
/// largest gains of the remaining candidates (an upper bound, by submodularity) cannot beat
/// the best found. `make` builds a fresh objective. Returns `None` when more than
/// `node_budget` branches would be needed.
pub fn exact_best<O: Objective>(
    make: &dyn Fn() -> O,
    k: usize,
    node_budget: usize,
) -> Option<(f64, Vec<usize>)> {
    struct Search<'m, O> {
        make: &'m dyn Fn() -> O,
        n: usize,
        k: usize,
        best: (f64, Vec<usize>),
        nodes: usize,
        budget: usize,
    }
    impl<O: Objective> Search<'_, O> {
        fn visit(&mut self, start: usize, chosen: &mut Vec<usize>) -> bool {
            self.nodes += 1;
            if self.nodes > self.budget {
                return false;
            }
            let mut objective = (self.make)();
            let value: f64 = chosen.iter().map(|&c| objective.commit(c)).sum();
            if value > self.best.0 {
                self.best = (value, chosen.clone());
            }
            if chosen.len() == self.k || start == self.n {
                return true;
            }
            let mut gains: Vec<(f64, usize)> = (start..self.n)
                .map(|c| (objective.gain(c), c))
                .filter(|(g, _)| *g > 0.0)
                .collect();
            gains.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let room = self.k - chosen.len();
            let bound: f64 = value + gains.iter().take(room).map(|g| g.0).sum::<f64>();
            // a tolerance for rounding in the sums: only strictly better sets matter
            if bound <= self.best.0 * (1.0 + 1e-12) {
                return true;
            }
            let mut order: Vec<usize> = gains.iter().map(|g| g.1).collect();
            order.sort_unstable();
            for c in order {
                chosen.push(c);
                let ok = self.visit(c + 1, chosen);
                chosen.pop();
                if !ok {
                    return false;
                }
            }
            true
        }
    }
    let n = make().candidates();
    let mut search = Search {
        make,
        n,
        k,
        best: (0.0, Vec::new()),
        nodes: 0,
        budget: node_budget,
    };
    search
        .visit(0, &mut Vec::new())
        .then_some((search.best.0, search.best.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ONE_MINUS_1_OVER_E: f64 = 1.0 - 1.0 / std::f64::consts::E;

    /// Every `k`-subset of `0..n`, for brute force.
    fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut current = Vec::new();
        fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            if cur.len() == k {
                out.push(cur.clone());
                return;
            }
            for c in start..n {
                cur.push(c);
                rec(c + 1, n, k, cur, out);
                cur.pop();
            }
        }
        rec(0, n, k.min(n), &mut current, &mut out);
        out
    }

    fn brute_force<O: Objective>(make: &dyn Fn() -> O, n: usize, k: usize) -> f64 {
        subsets(n, k)
            .iter()
            .map(|s| value_of(make, s))
            .fold(0.0, f64::max)
    }

    fn celf_picks<O: Objective + Sync>(objective: O, k: usize) -> Vec<Pick> {
        let mut celf = Celf::new(objective);
        std::iter::from_fn(|| celf.next_pick()).take(k).collect()
    }

    /// Random instances: up to 12 candidates over up to 40 elements.
    fn instance() -> impl Strategy<Value = (Vec<Vec<u32>>, Vec<u32>)> {
        (1usize..=12, 1usize..=40).prop_flat_map(|(n, m)| {
            let sets = proptest::collection::vec(
                proptest::collection::btree_set(0..m as u32, 0..=m.min(12)),
                n,
            )
            .prop_map(|sets| sets.into_iter().map(|s| s.into_iter().collect()).collect());
            let weights = proptest::collection::vec(0u32..20, m);
            (sets, weights)
        })
    }

    /// The classic case where greedy is not optimal: one big set overlapping two disjoint
    /// halves. Greedy takes the big one (7), then the better half (4): 11 of 12.
    #[test]
    fn hand_made_instance_with_known_optimum() {
        let sets = CoverSets::from_lists(&[
            vec![0, 1, 2, 3, 4, 5],       // left half: 6
            vec![6, 7, 8, 9, 10, 11],     // right half: 6
            vec![2, 3, 4, 5, 6, 7, 8, 9], // middle: 8 but overlaps both
        ]);
        let weight = vec![1.0; 12];
        let picks = celf_picks(Coverage::new(&sets, &weight), 2);
        assert_eq!(
            picks
                .iter()
                .map(|p| (p.candidate, p.gain))
                .collect::<Vec<_>>(),
            vec![(2, 8.0), (0, 2.0)],
            "middle first, then left (ties go to the lower index)"
        );
        let make = || Coverage::new(&sets, &weight);
        assert_eq!(brute_force(&make, 3, 2), 12.0);
        assert_eq!(exact_best(&make, 2, 1000).unwrap(), (12.0, vec![0, 1]));
        let greedy: f64 = picks.iter().map(|p| p.gain).sum();
        assert!(greedy >= ONE_MINUS_1_OVER_E * 12.0);
    }

    /// Capacity: one site reaches both homes, the other only one. Serving the shared home
    /// from the first site would strand the second; the maximum flow reroutes.
    #[test]
    fn capacity_reroutes_to_the_maximum_flow() {
        let sets = CoverSets::from_lists(&[vec![0, 1], vec![0]]);
        let demand = vec![5, 5];
        let mut objective = Capacitated::new(&sets, &demand, 5);
        assert_eq!(objective.commit(0), 5.0); // takes home 0 first (element order)
        assert_eq!(objective.assignment(0).collect::<Vec<_>>(), vec![(0, 5)]);
        // site 1 only reaches home 0; site 0 moves over to home 1
        assert_eq!(objective.gain(1), 5.0);
        assert_eq!(objective.commit(1), 5.0);
        assert_eq!(objective.assignment(0).collect::<Vec<_>>(), vec![(1, 5)]);
        assert_eq!(objective.assignment(1).collect::<Vec<_>>(), vec![(0, 5)]);
        assert_eq!(objective.total_served(), 10);
    }

    /// A longer chain: each site can only hand over to the next.
    #[test]
    fn capacity_reroutes_along_a_chain() {
        // site 0: {0,1}, site 1: {1,2}, site 2: {2,3}, site 3: {0}
        let sets = CoverSets::from_lists(&[vec![0, 1], vec![1, 2], vec![2, 3], vec![0]]);
        let demand = vec![1, 1, 1, 1];
        let mut objective = Capacitated::new(&sets, &demand, 1);
        for c in [0, 1, 2] {
            assert_eq!(objective.commit(c), 1.0);
        }
        // home 3 is the only one left; site 3 reaches home 0 only: 3 takes 0, 0 takes 1,
        // 1 takes 2, 2 takes 3
        assert_eq!(objective.gain(3), 1.0);
        assert_eq!(objective.commit(3), 1.0);
        assert_eq!(objective.total_served(), 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn greedy_is_within_1_minus_1_over_e_of_the_optimum((lists, w) in instance(), k in 1usize..=4) {
            let sets = CoverSets::from_lists(&lists);
            let weight: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
            let make = || Coverage::new(&sets, &weight);
            let greedy: f64 = celf_picks(make(), k).iter().map(|p| p.gain).sum();
            let optimum = brute_force(&make, lists.len(), k);
            prop_assert!(greedy >= ONE_MINUS_1_OVER_E * optimum - 1e-9, "{greedy} < (1-1/e)·{optimum}");
            prop_assert!(greedy <= optimum + 1e-9);
            let (exact, set) = exact_best(&make, k, 1_000_000).unwrap();
            prop_assert_eq!(exact, optimum);
            prop_assert_eq!(value_of(&make, &set), optimum);
        }

        #[test]
        fn celf_picks_what_plain_greedy_picks_and_gains_never_increase((lists, w) in instance(), k in 1usize..=12) {
            let sets = CoverSets::from_lists(&lists);
            let weight: Vec<f64> = w.iter().map(|&x| f64::from(x) * 0.37).collect();
            let lazy = celf_picks(Coverage::new(&sets, &weight), k);
            let plain = plain_greedy(&mut Coverage::new(&sets, &weight), k);
            prop_assert_eq!(&lazy, &plain);
            for pair in lazy.windows(2) {
                prop_assert!(pair[1].gain <= pair[0].gain);
            }
        }

        #[test]
        fn capacity_greedy_matches_plain_and_the_guarantee((lists, w) in instance(), k in 1usize..=4, capacity in 1i64..40) {
            let sets = CoverSets::from_lists(&lists);
            let demand: Vec<i64> = w.iter().map(|&x| i64::from(x)).collect();
            let make = || Capacitated::new(&sets, &demand, capacity);
            let lazy = celf_picks(make(), k);
            let plain = plain_greedy(&mut make(), k);
            prop_assert_eq!(&lazy, &plain);
            for pair in lazy.windows(2) {
                prop_assert!(pair[1].gain <= pair[0].gain, "gains rose: {lazy:?}");
            }
            let greedy: f64 = lazy.iter().map(|p| p.gain).sum();
            let optimum = brute_force(&make, lists.len(), k);
            prop_assert!(greedy >= ONE_MINUS_1_OVER_E * optimum - 1e-9, "{greedy} < (1-1/e)·{optimum}");
            let (exact, _) = exact_best(&make, k, 1_000_000).unwrap();
            prop_assert_eq!(exact, optimum);
        }

        /// The incremental flow is a maximum flow: its value does not depend on the order
        /// sites are added, never exceeds capacity per site or demand per home, and matches
        /// the min-cut formula min over T ⊆ S of capacity·|S∖T| + demand(reach(T)).
        #[test]
        fn capacitated_value_is_a_maximum_flow((lists, w) in instance(), capacity in 1i64..40, seed in 0u64..1000) {
            let n = lists.len().min(8);
            let sets = CoverSets::from_lists(&lists[..n]);
            let demand: Vec<i64> = w.iter().map(|&x| i64::from(x)).collect();
            let all: Vec<usize> = (0..n).collect();
            let mut shuffled = all.clone();
            // a deterministic shuffle from the seed
            let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut a = Capacitated::new(&sets, &demand, capacity);
            let va: f64 = all.iter().map(|&c| a.commit(c)).sum();
            let mut b = Capacitated::new(&sets, &demand, capacity);
            let vb: f64 = shuffled.iter().map(|&c| b.commit(c)).sum();
            prop_assert_eq!(va, vb);
            let min_cut = (0u32..1 << n).map(|t| {
                let mut reach = vec![false; demand.len()];
                for c in (0..n).filter(|c| t >> c & 1 == 1) {
                    for &e in sets.set(c) { reach[e as usize] = true; }
                }
                let d: i64 = (0..demand.len()).filter(|&e| reach[e]).map(|e| demand[e]).sum();
                capacity * (n as i64 - i64::from(t.count_ones())) + d
            }).min().unwrap();
            prop_assert_eq!(va, min_cut as f64);
            for (s, _) in all.iter().enumerate() {
                prop_assert!(a.load(s) <= capacity);
            }
            for e in 0..demand.len() as u32 {
                let served: i64 = a.assignment(e).map(|(_, x)| x).sum();
                prop_assert_eq!(served + a.residual(e), demand[e as usize]);
                for (s, _) in a.assignment(e) {
                    prop_assert!(sets.set(all[s]).contains(&e), "served out of reach");
                }
            }
        }
    }
}
