"""Stage 3, the routing problem: the solver-agnostic problem (requests, vehicles, matrices), built
from a dataset and its travel data, the split of a large session into parts, and the readers of
public benchmark instances into the same problem."""
