"""A program written for the reference's API (Victor's performance_autotuner): only the
import below differs from the reference's `from victor.workflows.performance_autotuner
import ...`. Arguments: a Victor metrics file and a workflow file of team `audit_team`."""

import asyncio
import json
import sys

from teamtune.performance_autotuner import (
    OptimizationPriority,
    PerformanceAnalyzer,
    PerformanceAutotuner,
    suggest_team_optimizations,
)


async def main(metrics_file, workflow_file):
    # Analyze current performance
    analyzer = PerformanceAnalyzer()
    analyzer.load_metrics_from_file(metrics_file)
    insights = analyzer.analyze_team_workflow(team_id="test_team")
    for insight in insights:
        print(f"insight {insight.bottleneck} {insight.severity:.2f}")

    # The reference's documented suggestion call, on the metrics
    autotuner = PerformanceAutotuner(analyzer=analyzer)
    suggestions = autotuner.suggest_optimizations(
        team_id="test_team",
        current_config={"formation": "sequential", "member_count": 5},
    )
    order = {p: i for i, p in enumerate(OptimizationPriority)}
    assert [order[s.priority] for s in suggestions] == sorted(order[s.priority] for s in suggestions)
    for s in suggestions:
        print(f"suggestion {s.priority.value} {s.type.value}: {s.description}")
    print(f"convenience {len(suggest_team_optimizations('test_team', {'formation': 'sequential', 'member_count': 5}, metrics_file))}")

    # A team that runs: its workflow file, its history in the store
    autotuner = PerformanceAutotuner()
    suggestions = autotuner.suggest_optimizations(
        team_id="audit_team", current_config=workflow_file
    )
    print(f"audit suggestions {len(suggestions)}")

    # Apply optimizations (with A/B testing)
    result = await autotuner.apply_optimizations(
        team_id="audit_team",
        optimizations=suggestions,
        workflow_config=workflow_file,
        enable_ab_testing=True,
    )
    print(f"result {result.success} {result.validation_status} {result.improvement_percentage:.1f}")
    json.dumps(result.to_dict())

    history = autotuner.get_optimization_history(team_id="audit_team")
    for entry in history:
        print(f"history [{entry.get('timestamp')}] {entry.get('optimization', {}).get('description')}")

    # Rollback if needed
    ok = await autotuner.rollback_optimization(team_id="audit_team")
    print(f"rollback {ok}")
    nothing = await autotuner.rollback_optimization(team_id="no_such_team")
    print(f"rollback of a team without history {nothing}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
