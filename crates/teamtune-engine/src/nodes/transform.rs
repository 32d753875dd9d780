//! Transform nodes: `key = expression` assignments evaluated in order against the state.

use crate::expr::Compiled;
use crate::state::State;

pub(crate) fn run(assignments: &[(String, Compiled)], state: &mut State) -> Result<(), String> {
    for (key, expr) in assignments {
        let v = expr.eval_json(state)?;
        state.set(key.clone(), v);
    }
    Ok(())
}
