"""Stage 0, the domain: the council's transport day as immutable entities (pupils, schools, fleet
rows, settings), the rules every stage shares (who a vehicle can carry, what a route costs), the
one time-of-day parser, and the error hierarchy. Imports nothing else of the project."""
