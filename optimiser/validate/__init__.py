"""Stage 6, validation: checks any plan against every rule, recomputing loads, times, distances
and costs from the dataset alone. Never imports the solver, so it can judge the solver's plans."""
