//! Building a team node and its members (also an agent node's member): formation, limits,
//! sim overrides, and which runner (command, provider or the simulator) each member uses.

use std::collections::HashSet;

use super::build::{Builder, MemberCtx, Span};
use crate::formation::Formation;
use crate::limits::{MAX_TEAM_ITERATIONS, MAX_TOOL_CALLS};
use crate::raw::{RawMember, RawNode};
use crate::sim::{SimOverrides, SimParams};
use crate::template::normalize_template;
use crate::workflow::{MemberRunner, MemberSpec, Provider, TeamNode};

/// Default consensus rounds cap.
/// A team's `max_iterations` when its node gives none.
pub const DEFAULT_TEAM_MAX_ITERATIONS: u32 = 3;

impl Builder<'_, '_> {
    pub(super) fn team(
        &mut self,
        id: &str,
        rn: RawNode,
        line: Option<usize>,
        end: Option<usize>,
        ctx: &MemberCtx,
    ) -> Option<TeamNode> {
        let key_line = |b: &Self, key: &str| b.index.key_line(key, line.unwrap_or(1), end).or(line);
        let formation_text = rn
            .team_formation
            .clone()
            .or(rn.formation.clone())
            .unwrap_or_else(|| "sequential".into());
        let formation = match formation_text.parse::<Formation>() {
            Ok(f) => Some(f),
            Err(msg) => {
                let l = key_line(self, "team_formation");
                self.problem(l, format!("node `{id}`: {msg}"));
                None
            }
        };
        let raw_members = rn.members.unwrap_or_default();
        if raw_members.is_empty() {
            self.problem(
                line,
                format!("team `{id}` has no members; a team needs at least one"),
            );
        }
        let span = Span {
            from: line,
            until: end,
        };
        let whose = format!("team `{id}`");
        let timeout_seconds =
            self.seconds(rn.timeout_seconds, "timeout_seconds", &whose, span, true);
        let total_tool_budget = self.count(
            rn.total_tool_budget,
            "total_tool_budget",
            &whose,
            span,
            (0, MAX_TOOL_CALLS),
        );
        let team_sim = rn.sim.unwrap_or_default();
        for (key, msg) in team_sim.problems() {
            let sim_line = key_line(self, "sim");
            self.key_problem(
                key,
                Span {
                    from: sim_line,
                    until: end,
                },
                format!("team `{id}`: {msg}"),
            );
        }
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut from = line.unwrap_or(1);
        for (i, rm) in raw_members.into_iter().enumerate() {
            let mid = rm
                .id
                .clone()
                .or(rm.name.clone())
                .unwrap_or_else(|| format!("member_{}", i + 1));
            let mline = self.index.member_line(&mid, from, end).or(line);
            if let Some(l) = mline {
                from = l + 1;
            }
            if !seen.insert(mid.clone()) {
                self.problem(mline, format!("team `{id}`: duplicate member id `{mid}`"));
            }
            let sim = rm.sim;
            if let Some(m) = self.member(&mid, rm, Some(&team_sim), sim.as_ref(), ctx, mline) {
                members.push(m);
            }
        }
        let max_iterations = self
            .count(
                Some(rn.max_iterations.unwrap_or(DEFAULT_TEAM_MAX_ITERATIONS)),
                "max_iterations",
                &whose,
                span,
                (1, MAX_TEAM_ITERATIONS),
            )
            .unwrap_or(DEFAULT_TEAM_MAX_ITERATIONS);
        let tuning = rn.tuning;
        if let Some(problem) = tuning.as_ref().and_then(|t| t.problem()) {
            self.problem(key_line(self, "tuning"), format!("team `{id}`: {problem}"));
            return None;
        }
        Some(TeamNode {
            id: id.to_string(),
            name: rn.name,
            goal: normalize_template(rn.goal.as_deref().unwrap_or("")),
            formation: formation?,
            members,
            timeout_seconds,
            max_iterations,
            total_tool_budget,
            output_key: rn
                .output_key
                .or(rn.output)
                .unwrap_or_else(|| "team_result".to_string()),
            continue_on_error: rn.continue_on_error.unwrap_or(true),
            merge_strategy: rn.merge_strategy.or(rn.merge_mode),
            tuning,
        })
    }

    pub(super) fn member(
        &mut self,
        id: &str,
        rm: RawMember,
        team_sim: Option<&SimOverrides>,
        own_sim: Option<&SimOverrides>,
        ctx: &MemberCtx,
        line: Option<usize>,
    ) -> Option<MemberSpec> {
        // A member's keys are on its own line (flow style) or the lines after it.
        let span = Span {
            from: line,
            until: None,
        };
        let whose = format!("member `{id}`");
        if let Some(s) = own_sim {
            for (key, msg) in s.problems() {
                self.key_problem(key, span, format!("{whose}: {msg}"));
            }
        }
        let victor = rm.victor_keys();
        self.victor_keys(&victor, span, &whose);
        let timeout_seconds =
            self.seconds(rm.timeout_seconds, "timeout_seconds", &whose, span, true);
        let tool_budget = self.count(
            rm.tool_budget,
            "tool_budget",
            &whose,
            span,
            (0, MAX_TOOL_CALLS),
        );
        let sim_params = || {
            let base = team_sim.map_or(SimParams::default(), |t| t.apply(SimParams::default()));
            own_sim.map_or(base, |o| o.apply(base))
        };
        let mut implicit_sim = false;
        let runner = match (&rm.command, &rm.provider) {
            (Some(_), Some(_)) => {
                self.problem(
                    line,
                    format!("member `{id}`: give either `command` or `provider`, not both"),
                );
                return None;
            }
            (Some(argv), None) if argv.is_empty() => {
                self.problem(line, format!("member `{id}`: `command` is empty"));
                return None;
            }
            (Some(argv), None) => MemberRunner::Command(argv.clone()),
            (None, p) => {
                let name = p.as_deref().or(ctx.default_provider);
                match name {
                    None => {
                        implicit_sim = true;
                        MemberRunner::Sim(sim_params())
                    }
                    Some(name) => match ctx.providers.get(name) {
                        Some(Provider::Sim) => MemberRunner::Sim(sim_params()),
                        Some(Provider::OpenAi(cfg)) => MemberRunner::OpenAi {
                            provider: name.to_string(),
                            config: cfg.clone(),
                        },
                        None if name == "sim" => MemberRunner::Sim(sim_params()),
                        None => {
                            let known: Vec<&str> =
                                ctx.providers.keys().map(String::as_str).collect();
                            self.problem(
                                line,
                                format!(
                                    "member `{id}`: provider `{name}` is not defined in `providers:` (defined: {})",
                                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                                ),
                            );
                            return None;
                        }
                    },
                }
            }
        };
        Some(MemberSpec {
            id: id.to_string(),
            role: rm.role.unwrap_or_else(|| "executor".to_string()),
            goal: normalize_template(rm.goal.as_deref().unwrap_or("")),
            tool_budget,
            timeout_seconds,
            tools: rm.tools.or(rm.allowed_tools).unwrap_or_default(),
            backstory: rm.backstory,
            expertise: rm.expertise.unwrap_or_default(),
            is_manager: rm.is_manager.unwrap_or(false),
            runner,
            implicit_sim,
        })
    }
}
