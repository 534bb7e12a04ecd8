"""Stage 4, the solver: the only stage that imports ortools; solver node indices never leave it.

- :mod:`~optimiser.solver.params`: :class:`SearchParameters`, checked when made (no ortools);
- :mod:`~optimiser.solver.progress`: the :class:`ProgressEvent` a search reports (no ortools);
- :mod:`~optimiser.solver.solve`: :func:`solve`, the entry point;
- :mod:`~optimiser.solver.model`: the OR-Tools model of a problem, and plans in and out of it;
- :mod:`~optimiser.solver.regroup`: sibling groups put back together in a first solution;
- :mod:`~optimiser.solver.search`: iterated local search, restarts and route minimisation;
- :mod:`~optimiser.solver.ortools_parameters`: OR-Tools' search parameters for ours;
- :mod:`~optimiser.solver.measures`: scales and interchangeable vehicles of a problem;
- :mod:`~optimiser.solver.warmstart`: VROOM's plan as a start (optional).

Names with a leading underscore (``_Model``, ``_Search``) are for this package's own modules.
"""
