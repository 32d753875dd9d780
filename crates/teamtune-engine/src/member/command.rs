//! Command members: argv run directly (no shell). stdin gets one JSON object
//! `{goal, role, member_id, team_id, state, previous_output, tool_budget, tools}`; stdout is a
//! JSON object `{"output": ..., "tool_calls": N, "tools_used": [...]}` or plain text (then no
//! tool calls). A non-zero exit fails the turn with stderr's tail as the reason. Reported tool
//! calls count against the member's and the team's budgets.

use serde_json::{Value as Json, json};
use teamtune_model::StopCause;

use super::{TurnInput, TurnOutcome, process};
use crate::expr;

pub(crate) async fn turn(argv: &[String], input: &TurnInput<'_>) -> TurnOutcome {
    let argv: Result<Vec<String>, String> =
        argv.iter().map(|a| expr::render(a, input.state)).collect();
    let argv = match argv {
        Ok(a) => a,
        Err(e) => {
            return TurnOutcome::failed(StopCause::Error, format!("command argument: {e}"), 0);
        }
    };
    let m = input.member;
    let stdin = json!({
        "goal": input.goal,
        "role": m.role,
        "member_id": m.id,
        "team_id": input.team_id,
        "state": input.state.to_json(),
        "previous_output": input.previous_output,
        "tool_budget": input.member_left,
        "tools": m.tools,
    });
    let out = match process::run(&argv, stdin.to_string().as_bytes()).await {
        Ok(o) => o,
        Err(e) => return TurnOutcome::failed(StopCause::Error, e, 0),
    };
    if !out.success {
        let code = out
            .code
            .map_or("a signal".to_string(), |c| format!("code {c}"));
        let tail = process::tail(&out.stderr);
        let reason = if tail.is_empty() {
            format!("exited with {code}")
        } else {
            format!("exited with {code}: {tail}")
        };
        return TurnOutcome::failed(StopCause::Error, reason, 0);
    }
    let parsed = parse_stdout(&out.stdout);
    let calls = parsed.tool_calls;
    if input.member_left.is_some_and(|left| calls > left) || input.pool.take(calls) < calls {
        return TurnOutcome {
            output: parsed.output,
            tools_used: parsed.tools_used,
            tool_call_seconds: parsed.tool_call_seconds,
            ..TurnOutcome::stopped(StopCause::BudgetExhausted, calls)
        };
    }
    parsed
}

fn parse_stdout(bytes: &[u8]) -> TurnOutcome {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim();
    if let Ok(Json::Object(mut obj)) = serde_json::from_str::<Json>(trimmed)
        && obj.contains_key("output")
    {
        let tool_calls = obj.get("tool_calls").and_then(Json::as_u64).unwrap_or(0);
        let tools_used = obj
            .get("tools_used")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        // Optional per-call latencies (seconds) let the twin separate tool time from
        // model time; anything that is not a list of finite, non-negative numbers is ignored.
        let tool_call_seconds = obj
            .get("tool_call_seconds")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_f64)
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .collect()
            })
            .unwrap_or_default();
        return TurnOutcome {
            tool_call_seconds,
            ..TurnOutcome::done(
                obj.remove("output").unwrap_or(Json::Null),
                tool_calls,
                tools_used,
            )
        };
    }
    let output =
        serde_json::from_str::<Json>(trimmed).unwrap_or_else(|_| Json::String(trimmed.to_string()));
    TurnOutcome::done(output, 0, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::parse_stdout;
    use serde_json::json;

    #[test]
    fn json_and_text_stdout() {
        let o = parse_stdout(br#"{"output": {"lines": 3}, "tool_calls": 2, "tools_used": ["wc"]}"#);
        assert_eq!(o.output, json!({"lines": 3}));
        assert_eq!((o.tool_calls, o.tools_used), (2, vec!["wc".to_string()]));
        let t = parse_stdout(b"hello\n");
        assert_eq!((t.output, t.tool_calls), (json!("hello"), 0));
    }
}
