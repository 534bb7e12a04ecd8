"""Stage 4, the solver: search parameters, the OR-Tools model of a routing problem, and the search
(first solution, improvement, route minimisation). The only stage that imports ortools; solver
node indices never leave it."""
