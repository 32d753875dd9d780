//! The twin against the engine it models: fitted from recorded runs of simulated teams, its
//! predictions are compared with what the engine measures on fresh seeds.

use teamtune_analysis::twin::{
    MemberInfo, Objective, Observation, SearchSettings, SearchSpace, TuningLimits, Twin, search,
};
use teamtune_engine::{Engine, RunOptions, run_seed};
use teamtune_model::{TeamConfig, TeamRunRecord, load_file};

fn runs(
    wf: &teamtune_model::Workflow,
    team: &str,
    cfg: &TeamConfig,
    seed: u64,
    n: u64,
) -> Vec<TeamRunRecord> {
    let wf = wf.with_team_config(team, cfg).unwrap();
    let engine = Engine::from_workflow(wf, "t.yaml".into()).unwrap();
    let rt = teamtune_engine::virtual_runtime().unwrap();
    (0..n)
        .flat_map(|i| {
            rt.block_on(engine.run(&RunOptions {
                seed: run_seed(seed, i),
                virtual_time: true,
                ..RunOptions::default()
            }))
            .team_runs
        })
        .filter(|t| t.team_id == team)
        .collect()
}

fn objective(r: &[TeamRunRecord]) -> f64 {
    let mean = r.iter().map(|r| r.duration_seconds).sum::<f64>() / r.len() as f64;
    let rate = r.iter().filter(|r| r.success).count() as f64 / r.len() as f64;
    mean / rate
}

fn scenario(name: &str) -> (teamtune_model::Workflow, teamtune_model::TeamNode) {
    let path = format!(
        "{}/../../bench/generated/dev/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = load_file(std::path::Path::new(&path)).unwrap();
    let (wf, team) = file
        .workflows
        .values()
        .flat_map(|w| w.teams().map(move |t| (w, t)))
        .next()
        .unwrap();
    (wf.clone(), team.clone())
}

#[test]
fn the_twin_fits_its_records_and_its_best_configuration_holds_on_the_engine() {
    // A development scenario (never the held-out set): six parallel workers with heavy
    // coordination, budgets that fit only that size, and a loose timeout.
    let (wf, team) = scenario("gen-1-04");
    let base = TeamConfig::of(&team);
    let history = runs(&wf, &team.id, &base, 1, 20);
    let twin = Twin::fit(&team.id, &[Observation::new(base.clone(), history)]).unwrap();
    let check = twin.check(3);
    assert!(check.ok, "{check:?}");
    assert!(check.distance <= check.threshold);

    let predicted = twin.predict(&base, 2000, 5).seconds_per_success.unwrap();
    let measured = objective(&runs(&wf, &team.id, &base, 99, 300));
    assert!(
        (predicted / measured - 1.0).abs() < 0.5,
        "baseline predicted {predicted:.1} s per success, measured {measured:.1}"
    );

    let members = MemberInfo::of_team(&team);
    let space = SearchSpace::new(&base, &members, &TuningLimits::default());
    let out = search(
        &twin,
        &space,
        &SearchSettings {
            objective: Objective::SecondsPerSuccess,
            ..SearchSettings::default()
        },
    );
    let best = out.best.expect("a better configuration");
    let after = objective(&runs(&wf, &team.id, &best.config, 99, 300));
    assert!(
        after < 0.7 * measured,
        "best {:?}: {after:.1} against {measured:.1}",
        best.config
    );
}

#[test]
fn members_with_their_own_goal_are_never_dropped_or_cloned() {
    // gen-1-03 has a distinct member beside its pool of workers.
    let (wf, team) = scenario("gen-1-03");
    let base = TeamConfig::of(&team);
    let distinct: Vec<&str> = team
        .members
        .iter()
        .filter(|m| {
            team.members
                .iter()
                .filter(|o| o.role == m.role && o.goal == m.goal)
                .count()
                == 1
        })
        .map(|m| m.id.as_str())
        .collect();
    let members = MemberInfo::of_team(&team);
    let space = SearchSpace::new(&base, &members, &TuningLimits::default());
    let history = runs(&wf, &team.id, &base, 1, 20);
    let twin = Twin::fit(&team.id, &[Observation::new(base.clone(), history)]).unwrap();
    for size in &space.sizes {
        let c = space.resized(*size);
        for d in &distinct {
            assert_eq!(
                c.members.iter().filter(|m| m.id == *d).count(),
                1,
                "{d} at size {size}"
            );
        }
    }
    if let Some(best) = search(&twin, &space, &SearchSettings::default()).best {
        for d in &distinct {
            assert_eq!(best.config.members.iter().filter(|m| m.id == *d).count(), 1);
        }
    }
}
