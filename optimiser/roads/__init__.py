"""Stage 2, roads: the OpenStreetMap filter and import, the compact road graph and its file format,
shortest-path matrices, and the travel data (times and distances between every place of a
dataset). The only stage that imports osmium and osmnx."""
