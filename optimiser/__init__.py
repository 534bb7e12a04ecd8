"""SEND home-to-school transport route optimiser.

Data flows one way::

    dataset (pupils, schools, fleet, settings) -> road graph -> travel matrices
        -> routing problem -> solver -> plan -> validation -> outputs
"""

__version__ = "0.1.0"
