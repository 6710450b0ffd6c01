"""Which upstream pull request caused a change: candidates, ranking, bisection."""
