//! Supply and demand: places per facility and the two-step floating catchment (2SFCA).
//!
//! Demand is children under 3, the plan's (issue 16): each facility's ratio R = places ÷
//! (children within its threshold); each home's access = Σ R over the facilities it
//! reaches, i.e. places available per child. With band
//! weights (enhanced 2SFCA, Luo & Qi 2009) both sums weigh each home–facility pair by the
//! weight of the band its walking time falls in.

use super::service_area::FacilityReach;

/// Places assumed for a facility whose source states none, per category.
///
/// A placeholder so ratios can be computed at all; the run reports how many facilities use
/// it (`capacity_source = default`) and `--default-capacity` replaces it.
pub fn default_capacity(category: &str) -> f64 {
    match category {
        "childcare" => 50.0,
        "school" => 500.0,
        "healthcare" => 20.0,
        _ => 1.0,
    }
}

/// Band weights of the enhanced 2SFCA suggested by Luo & Qi (2009) for three bands.
pub const LUO_QI_WEIGHTS: [f64; 3] = [1.0, 0.68, 0.22];

/// How a walking time counts in the 2SFCA sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Decay {
    /// Band upper limits, seconds, ascending.
    pub bands_s: Vec<f64>,
    /// Weight per band; all 1 for the plain 2SFCA.
    pub weights: Vec<f64>,
}

impl Decay {
    /// Weight of a pair `t_s` seconds apart: the weight of the tightest band holding it,
    /// 0 beyond the last band.
    pub fn weight(&self, t_s: f64) -> f64 {
        self.bands_s
            .iter()
            .position(|&b| t_s <= b)
            .map_or(0.0, |i| self.weights[i])
    }
}

/// 2SFCA: per facility the ratio of places to the weighted `demand` in reach (`None` when
/// none is in reach), per home the weighted sum of the ratios it reaches (places per unit
/// of demand: per child under 3, as the pipeline calls it).
pub fn two_step_fca(
    reach: &[FacilityReach],
    places: &[f64],
    population: &[f64],
    decay: &Decay,
) -> (Vec<Option<f64>>, Vec<f64>) {
    let ratios: Vec<Option<f64>> = reach
        .iter()
        .zip(places)
        .map(|(r, &s)| {
            let demand: f64 = r
                .homes
                .iter()
                .map(|&(h, t)| population[h as usize] * decay.weight(f64::from(t)))
                .sum();
            (demand > 0.0).then(|| s / demand)
        })
        .collect();
    let mut access = vec![0.0; population.len()];
    for (r, ratio) in reach.iter().zip(&ratios) {
        if let Some(ratio) = ratio {
            for &(h, t) in &r.homes {
                access[h as usize] += ratio * decay.weight(f64::from(t));
            }
        }
    }
    (ratios, access)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two facilities, three homes, worked by hand.
    ///
    /// Facility A (10 places) reaches homes 0 (100 residents, 3 min) and 1 (300, 12 min);
    /// facility B (20 places) reaches homes 1 (8 min) and 2 (100, 4 min).
    /// Plain: R_A = 10/400 = 0.025, R_B = 20/400 = 0.05;
    /// access = [0.025, 0.075, 0.05] places per resident.
    /// Weighted 1 / 0.68 / 0.22 for ≤5 / ≤10 / ≤15 min:
    /// R_A = 10/(100·1 + 300·0.22) = 10/166, R_B = 20/(300·0.68 + 100·1) = 20/304;
    /// access_1 = 0.22·10/166 + 0.68·20/304.
    /// These are the formulas of PySAL access's `two_stage_fca` (supply over weighted demand,
    /// then weighted sum of ratios), written out.
    #[test]
    fn hand_worked_example() {
        let reach = vec![
            FacilityReach {
                homes: vec![(0, 180.0), (1, 720.0)],
                areas: vec![],
            },
            FacilityReach {
                homes: vec![(1, 480.0), (2, 240.0)],
                areas: vec![],
            },
        ];
        let population = [100.0, 300.0, 100.0];
        let places = [10.0, 20.0];
        let plain = Decay {
            bands_s: vec![900.0],
            weights: vec![1.0],
        };
        let (r, a) = two_step_fca(&reach, &places, &population, &plain);
        assert_eq!(r, vec![Some(0.025), Some(0.05)]);
        let want = [0.025, 0.075, 0.05];
        for (got, want) in a.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
        // total places are conserved: Σ access × population = Σ places
        let total: f64 = a.iter().zip(population).map(|(a, p)| a * p).sum();
        assert!((total - 30.0).abs() < 1e-9);

        let weighted = Decay {
            bands_s: vec![300.0, 600.0, 900.0],
            weights: LUO_QI_WEIGHTS.to_vec(),
        };
        let (r, a) = two_step_fca(&reach, &places, &population, &weighted);
        let (ra, rb) = (10.0 / 166.0, 20.0 / 304.0);
        assert!((r[0].unwrap() - ra).abs() < 1e-12 && (r[1].unwrap() - rb).abs() < 1e-12);
        assert!((a[1] - (0.22 * ra + 0.68 * rb)).abs() < 1e-12);
        assert!((a[0] - ra).abs() < 1e-12 && (a[2] - rb).abs() < 1e-12);
    }

    #[test]
    fn facility_without_residents_has_no_ratio() {
        let reach = vec![FacilityReach {
            homes: vec![],
            areas: vec![],
        }];
        let plain = Decay {
            bands_s: vec![900.0],
            weights: vec![1.0],
        };
        let (r, a) = two_step_fca(&reach, &[10.0], &[5.0], &plain);
        assert_eq!(r, vec![None]);
        assert_eq!(a, vec![0.0]);
    }
}
