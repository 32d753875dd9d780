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

#[test]
fn probe() {
    for name in [
        "gen-1-01", "gen-1-02", "gen-1-03", "gen-1-04", "gen-1-05", "gen-1-06",
    ] {
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
        let base = TeamConfig::of(team);
        let history = runs(wf, &team.id, &base, 1, 20);
        let twin = Twin::fit(&team.id, &[Observation::new(base.clone(), history)]).unwrap();
        let check = twin.check(3);
        let predicted = twin.predict(&base, 2000, 5);
        let measured = objective(&runs(wf, &team.id, &base, 99, 400));
        let members: Vec<MemberInfo> = team
            .members
            .iter()
            .map(|m| MemberInfo {
                id: m.id.clone(),
                role: m.role.clone(),
                goal: m.goal.clone(),
            })
            .collect();
        let space = SearchSpace::new(&base, &members, &TuningLimits::default());
        let t0 = std::time::Instant::now();
        let out = search(
            &twin,
            &space,
            &SearchSettings {
                objective: Objective::SecondsPerSuccess,
                ..SearchSettings::default()
            },
        );
        let el = t0.elapsed().as_secs_f64();
        let best = out.best.as_ref().map(|b| {
            let m = objective(&runs(wf, &team.id, &b.config, 99, 400));
            (
                b.prediction.seconds_per_success,
                m,
                b.improvement_percent,
                b.config.team_formation,
                b.config.members.len(),
                b.config.members[0].tool_budget,
                b.config.timeout_seconds,
            )
        });
        eprintln!(
            "{name}: fit {check:?}\n  base predicted {:?} measured {measured:.1}\n  best {best:?} ({} configs in {el:.1}s)",
            predicted.seconds_per_success, out.evaluated
        );
    }
}
