//! Calls a member's turn needs, and how many it makes: needed ~ Poisson(work / n) (the task's
//! work divided among the n members), and a member with budget `a` left that needs `k <= a`
//! calls makes `k + floor(over_explore * (a - k))` (it spends part of what it may); needing
//! more than `a` exhausts the budget. Fitted by maximum likelihood from finished turns
//! (calls seen) and exhausted turns (needed > a, censored), over a grid of over-exploration
//! shares and a golden-section search on the work.

/// One turn as the count model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountObservation {
    /// Team size when the turn ran.
    pub team_size: usize,
    /// Calls the member could still make (`None`: no budget).
    pub allowed: Option<u64>,
    pub calls: u64,
    /// The turn stopped because the budget was spent.
    pub exhausted: bool,
}

/// The fitted count model of one member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountModel {
    /// Expected calls of one turn of a one-member team (the whole task).
    pub work_calls: f64,
    /// Share of the unused budget spent anyway, in [0, 1).
    pub over_explore: f64,
}

impl CountModel {
    /// Calls made by a turn that needs `needed` with `allowed` left, and whether it exhausted.
    pub fn calls(&self, needed: u64, allowed: Option<u64>) -> (u64, bool) {
        match allowed {
            Some(a) if needed > a => (a, true),
            Some(a) => (
                needed + (self.over_explore * (a - needed) as f64).floor() as u64,
                false,
            ),
            None => (needed, false),
        }
    }
}

fn ln_factorial(k: u64) -> f64 {
    statrs::function::gamma::ln_gamma(k as f64 + 1.0)
}

fn ln_pmf(k: u64, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return if k == 0 { 0.0 } else { f64::NEG_INFINITY };
    }
    k as f64 * lambda.ln() - lambda - ln_factorial(k)
}

/// ln P(N > a) for N ~ Poisson(lambda).
fn ln_survival(a: u64, lambda: f64) -> f64 {
    let cdf: f64 = (0..=a).map(|k| ln_pmf(k, lambda).exp()).sum();
    (1.0 - cdf).max(1e-300).ln()
}

fn log_likelihood(obs: &[CountObservation], work: f64, over_explore: f64) -> f64 {
    let model = CountModel {
        work_calls: work,
        over_explore,
    };
    obs.iter()
        .map(|o| {
            let lambda = work / o.team_size.max(1) as f64;
            if o.exhausted {
                return match o.allowed {
                    Some(a) => ln_survival(a, lambda),
                    None => 0.0,
                };
            }
            match o.allowed {
                Some(a) if over_explore > 0.0 => {
                    // Every need that would have made exactly these calls.
                    let p: f64 = (0..=o.calls.min(a))
                        .filter(|&k| model.calls(k, Some(a)) == (o.calls, false))
                        .map(|k| ln_pmf(k, lambda).exp())
                        .sum();
                    p.max(1e-300).ln()
                }
                _ => ln_pmf(o.calls, lambda),
            }
        })
        .sum()
}

/// Maximises over `work` in [lo, hi] by golden-section search (the likelihood is unimodal in
/// the Poisson mean for a fixed over-exploration share).
fn best_work(obs: &[CountObservation], over_explore: f64, lo: f64, hi: f64) -> (f64, f64) {
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (lo, hi);
    let f = |w: f64| log_likelihood(obs, w, over_explore);
    let mut c = b - phi * (b - a);
    let mut d = a + phi * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..60 {
        if fc > fd {
            b = d;
            d = c;
            fd = fc;
            c = b - phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + phi * (b - a);
            fd = f(d);
        }
        if (b - a) < 1e-3 * (1.0 + a) {
            break;
        }
    }
    let w = (a + b) / 2.0;
    (w, f(w))
}

/// Over-exploration shares tried.
const SHARES: [f64; 10] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// The maximum-likelihood count model, or `None` without observations.
pub fn fit(obs: &[CountObservation]) -> Option<CountModel> {
    if obs.is_empty() {
        return None;
    }
    let top = obs
        .iter()
        .map(|o| (o.calls.max(o.allowed.unwrap_or(0)) + 1) as f64 * o.team_size.max(1) as f64)
        .fold(1.0, f64::max);
    // Without a budget, calls are the need itself: nothing tells over-exploration apart.
    let budgeted = obs.iter().any(|o| o.allowed.is_some() && !o.exhausted);
    let shares: &[f64] = if budgeted { &SHARES } else { &SHARES[..1] };
    shares
        .iter()
        .map(|&oe| {
            let (w, ll) = best_work(obs, oe, 1e-3, 4.0 * top);
            (
                CountModel {
                    work_calls: w,
                    over_explore: oe,
                },
                ll,
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn poisson(lambda: f64, rng: &mut ChaCha8Rng) -> u64 {
        let l = (-lambda).exp();
        let (mut k, mut p) = (0u64, 1.0);
        loop {
            p *= rng.random::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    fn sample(
        work: f64,
        oe: f64,
        budget: Option<u64>,
        n: usize,
        turns: usize,
    ) -> Vec<CountObservation> {
        let model = CountModel {
            work_calls: work,
            over_explore: oe,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        (0..turns)
            .map(|_| {
                let need = poisson(work / n as f64, &mut rng);
                let (calls, exhausted) = model.calls(need, budget);
                CountObservation {
                    team_size: n,
                    allowed: budget,
                    calls,
                    exhausted,
                }
            })
            .collect()
    }

    #[test]
    fn recovers_the_work_without_a_budget() {
        let m = fit(&sample(24.0, 0.0, None, 3, 300)).unwrap();
        assert!((m.work_calls - 24.0).abs() < 1.5, "{m:?}");
        assert_eq!(m.over_explore, 0.0);
    }

    #[test]
    fn recovers_the_work_behind_an_exhausted_budget() {
        // Budget 5 where 8 are needed on average: most turns exhaust it.
        let m = fit(&sample(24.0, 0.0, Some(5), 3, 400)).unwrap();
        assert!((m.work_calls - 24.0).abs() < 3.0, "{m:?}");
    }

    #[test]
    fn tells_over_exploration_from_need() {
        let m = fit(&sample(20.0, 0.5, Some(40), 2, 400)).unwrap();
        assert!((m.over_explore - 0.5).abs() <= 0.1, "{m:?}");
        assert!((m.work_calls - 20.0).abs() < 3.0, "{m:?}");
    }
}
