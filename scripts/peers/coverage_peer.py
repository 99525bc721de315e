#!/usr/bin/env python3
"""Peer pipeline for the benchmark: the same coverage job as `fifteen coverage --category
childcare` (the core of it), built from established Python tools.

    python3 scripts/peers/coverage_peer.py CITY.osm.pbf [--engine pyrosm|pyosmium]
        [--router scipy|pandana] [--minutes 15] [--speed-kmh 4.5]

Needs: numpy, scipy, and pyrosm (`pip install pyrosm`) or pyosmium (`pip install osmium`);
pandana (`pip install pandana`) for --router pandana.

What it does, stage by stage (timed; one JSON object on stdout):
  read     --engine pyrosm (default): pyrosm's walking network (nodes and edges with
           lengths), its residential buildings and its childcare POIs
           (amenity=kindergarten|childcare) as GeoDataFrames, centroids and footprint areas
           in a local UTM projection;
           --engine pyosmium: one libosmium pass with node locations and area assembly,
           filtered in C++ to elements tagged highway, building or amenity: walkable ways
           (the reference's rules, below), residential buildings (closed ways and
           multipolygons), childcare facilities (nodes and areas);
  graph    undirected walking graph (haversine lengths for pyosmium, pyrosm's own
           otherwise) as node indices;
  snap     building centroids and facility points to the nearest graph *node*
           (scipy cKDTree on locally projected coordinates);
  route    --router scipy (default): one Dijkstra (scipy.sparse.csgraph) from a virtual
           source joined to every facility's node by its snap distance, bounded at
           --search-minutes: minutes to the nearest facility for every building;
           --router pandana: pandana's accessibility workflow (contraction hierarchies in
           C++): `Network` on the projected nodes, `set_pois` with the facilities,
           `nearest_pois` within --search-minutes (from the facility's node; its snap
           distance is not added, pandana has no place for it);
  result   covered share of buildings and of residents (footprint x levels / 30 m2).

Walkable (pyosmium) follows the reference implementation in ../shared/data/reference/README.md: any
`highway` except area=yes, foot (else access) no/private, service=private,
sidewalk(:both/:left/:right)=separate and the non-walkable highway values listed below.

It does not draw service areas, compute 2SFCA supply, indicators per unit, or write
GeoJSON: it is the nearest-facility core of the job only, which favours the peer.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

R = 6_371_008.8
NOT_WALKABLE = {
    "abandoned", "construction", "no", "planned", "platform", "proposed", "raceway", "razed",
    "rest_area", "services", "bus_guideway", "cycleway", "motor", "motorway", "motorway_link",
}
RESIDENTIAL = {
    "residential", "apartments", "house", "detached", "semidetached_house", "terrace",
    "bungalow", "dormitory", "yes",
}
DEFAULT_LEVELS = {
    "house": 1, "detached": 1, "semidetached_house": 1, "bungalow": 1, "yes": 1,
    "terrace": 2, "residential": 3, "dormitory": 3, "apartments": 4,
}
CHILDCARE = {"kindergarten", "childcare"}


def walkable(tags):
    hw = tags.get("highway")
    if hw is None or hw in NOT_WALKABLE or tags.get("area") == "yes":
        return False
    foot = tags.get("foot", tags.get("access"))
    if foot in ("no", "private") or tags.get("service") == "private":
        return False
    return not any(
        tags.get(k) == "separate"
        for k in ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")
    )


def ring_centroid_area(lons, lats, lat0):
    """Planar centroid (lon, lat) and signed area (m2) of a closed ring."""
    kx = math.radians(1) * R * math.cos(math.radians(lat0))
    ky = math.radians(1) * R
    x = (lons - lons[0]) * kx
    y = (lats - lats[0]) * ky
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    a = cross.sum() / 2
    if abs(a) < 1e-9:
        return lons.mean(), lats.mean(), 0.0
    cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * a)
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * a)
    return lons[0] + cx / kx, lats[0] + cy / ky, a


def levels(tags):
    try:
        return max(1.0, float(tags.get("building:levels", "").strip()))
    except ValueError:
        return float(DEFAULT_LEVELS.get(tags.get("building"), 1))


def read_pyosmium(path, timings):
    """Walkable ways, homes and facilities with pyosmium; the graph with numpy."""
    import osmium

    t0 = time.perf_counter()
    way_ids, way_lon, way_lat, way_break = [], [], [], []
    homes = []  # (lon, lat, population)
    facilities = []  # (lon, lat)
    fp = (
        osmium.FileProcessor(path)
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter("highway", "building", "amenity"))
    )
    for obj in fp:
        tags = obj.tags
        if obj.is_node():
            if tags.get("amenity") in CHILDCARE:
                facilities.append((obj.location.lon, obj.location.lat))
        elif obj.is_way():
            if "highway" in tags and walkable(dict(tags)):
                try:
                    nodes = [(n.ref, n.lon, n.lat) for n in obj.nodes]
                except osmium.InvalidLocationError:
                    nodes = [(n.ref, n.lon, n.lat) for n in obj.nodes if n.location.valid()]
                if len(nodes) >= 2:
                    ids, lons, lats = zip(*nodes)
                    way_ids.extend(ids)
                    way_lon.extend(lons)
                    way_lat.extend(lats)
                    way_break.append(len(way_ids))
        elif obj.is_area():
            building = tags.get("building")
            care = tags.get("amenity") in CHILDCARE
            if building not in RESIDENTIAL and not care:
                continue
            cx = cy = area = 0.0
            for outer in obj.outer_rings():
                pts = np.array([(n.lon, n.lat) for n in outer])
                x, y, a = ring_centroid_area(pts[:, 0], pts[:, 1], pts[0, 1])
                a = abs(a)
                for inner in obj.inner_rings(outer):
                    ipts = np.array([(n.lon, n.lat) for n in inner])
                    ix, iy, ia = ring_centroid_area(ipts[:, 0], ipts[:, 1], pts[0, 1])
                    ia = abs(ia)
                    if a - ia > 0:
                        x, y = (x * a - ix * ia) / (a - ia), (y * a - iy * ia) / (a - ia)
                    a -= ia
                cx, cy, area = cx + x * a, cy + y * a, area + a
            if area <= 0:
                continue
            cx, cy = cx / area, cy / area
            if care:
                facilities.append((cx, cy))
            if building in RESIDENTIAL and not care:
                homes.append((cx, cy, area * levels(dict(tags)) / 30.0))
    timings["read"] = time.perf_counter() - t0

    # graph
    t = time.perf_counter()
    ids = np.asarray(way_ids, dtype=np.int64)
    lon = np.radians(np.asarray(way_lon))
    lat = np.radians(np.asarray(way_lat))
    ends = np.asarray(way_break[:-1], dtype=np.int64)
    keep = np.ones(max(len(ids) - 1, 0), dtype=bool)
    keep[ends - 1] = False  # no edge from one way's last node to the next way's first
    a, b = np.arange(len(ids) - 1)[keep], np.arange(1, len(ids))[keep]
    h = (
        np.sin((lat[b] - lat[a]) / 2) ** 2
        + np.cos(lat[a]) * np.cos(lat[b]) * np.sin((lon[b] - lon[a]) / 2) ** 2
    )
    length = 2 * R * np.arcsin(np.sqrt(h))
    node_ids, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    n = len(node_ids)
    u, v = inverse[a], inverse[b]
    node_lon, node_lat = np.degrees(lon[first]), np.degrees(lat[first])
    timings["graph"] = time.perf_counter() - t
    return u, v, length, node_lon, node_lat, homes, facilities


def read_pyrosm(path, timings):
    """Network, homes and facilities with pyrosm (GeoDataFrames)."""
    import warnings

    warnings.filterwarnings("ignore")
    from pyrosm import OSM

    t0 = time.perf_counter()
    osm = OSM(path)
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    buildings = osm.get_buildings(custom_filter={"building": sorted(RESIDENTIAL)})
    pois = osm.get_pois(custom_filter={"amenity": sorted(CHILDCARE)})
    crs = buildings.estimate_utm_crs()
    projected = buildings.to_crs(crs)
    centroids = projected.centroid.to_crs(4326)
    lv = buildings["building:levels"] if "building:levels" in buildings else None
    levels_of = np.array(
        [
            levels({"building": b, "building:levels": "" if lv is None or l is None else str(l)})
            for b, l in zip(buildings["building"], lv if lv is not None else [None] * len(buildings))
        ]
    )
    area = projected.area.to_numpy()
    homes = np.column_stack([centroids.x, centroids.y, area * levels_of / 30.0])[area > 0]
    if pois is None or len(pois) == 0:
        facilities = np.empty((0, 2))
    else:
        fc = pois.to_crs(crs).centroid.to_crs(4326)
        facilities = np.column_stack([fc.x, fc.y])
    timings["read"] = time.perf_counter() - t0

    t = time.perf_counter()
    node_ids = nodes["id"].to_numpy()
    order = np.argsort(node_ids)
    node_ids = node_ids[order]
    node_lon = nodes["lon"].to_numpy()[order]
    node_lat = nodes["lat"].to_numpy()[order]
    u = np.searchsorted(node_ids, edges["u"].to_numpy())
    v = np.searchsorted(node_ids, edges["v"].to_numpy())
    length = edges["length"].to_numpy(dtype=float)
    timings["graph"] = time.perf_counter() - t
    return u, v, length, node_lon, node_lat, homes, facilities


def pandana_nearest(u, v, length, x, y, f_node, limit, timings):
    """Metres from every node to its nearest facility node with pandana (inf beyond `limit`);
    `timings["network"]` gets the time to build the network (its contraction hierarchy)."""
    import pandas as pd
    import pandana  # imported by main() before the clock starts; this is a no-op

    t = time.perf_counter()
    nodes = pd.DataFrame({"x": x, "y": y})
    keep = u != v  # pandana rejects loops
    edges = pd.DataFrame({"from": u[keep], "to": v[keep], "length": length[keep]})
    # pandana's C++ prints its progress on stdout, where this script's JSON goes
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        net = pandana.Network(nodes["x"], nodes["y"], edges["from"], edges["to"],
                              edges[["length"]], twoway=True)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    timings["network"] = time.perf_counter() - t
    if len(f_node) == 0:
        return np.full(len(x), np.inf)
    net.set_pois("facility", limit, 1, pd.Series(x[f_node]), pd.Series(y[f_node]))
    nearest = net.nearest_pois(limit, "facility", num_pois=1)
    dist = nearest[1].reindex(range(len(x))).to_numpy(dtype=float, copy=True)
    dist[dist >= limit] = np.inf  # pandana reports `limit` where nothing is within reach
    return dist


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("--minutes", type=float, default=15.0)
    ap.add_argument("--speed-kmh", type=float, default=4.5)
    ap.add_argument("--search-minutes", type=float, default=120.0)
    ap.add_argument("--engine", choices=["pyrosm", "pyosmium"], default="pyrosm")
    ap.add_argument("--router", choices=["scipy", "pandana"], default="scipy")
    args = ap.parse_args()
    if args.router == "pandana":
        import pandana  # noqa: F401  (its import, seconds, is start-up, not routing)
    timings = {}
    t0_total = time.perf_counter()

    # read, graph
    read = read_pyrosm if args.engine == "pyrosm" else read_pyosmium
    u, v, length, node_lon, node_lat, homes, facilities = read(args.input, timings)
    n = len(node_lon)
    t0 = t0_total

    # snap
    t = time.perf_counter()
    lat0 = float(np.mean(node_lat))
    kx = math.radians(1) * R * math.cos(math.radians(lat0))
    ky = math.radians(1) * R
    tree = cKDTree(np.column_stack([node_lon * kx, node_lat * ky]))
    homes = np.asarray(homes, dtype=float).reshape(-1, 3)
    facilities = np.asarray(facilities, dtype=float).reshape(-1, 2)
    h_snap, h_node = tree.query(np.column_stack([homes[:, 0] * kx, homes[:, 1] * ky]))
    f_snap, f_node = tree.query(np.column_stack([facilities[:, 0] * kx, facilities[:, 1] * ky]))
    timings["snap"] = time.perf_counter() - t

    t = time.perf_counter()
    speed = args.speed_kmh * 1000 / 60  # m/min
    limit = max(args.search_minutes, args.minutes) * speed
    if args.router == "scipy":
        # a virtual source (index n) joined to each facility's node by its snap distance
        rows = np.concatenate([u, np.full(len(f_node), n)])
        cols = np.concatenate([v, f_node])
        weights = np.concatenate([length, f_snap]) + 1e-9  # csgraph drops explicit zeros
        graph = coo_matrix((weights, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
        dist = dijkstra(graph, directed=False, indices=n, limit=limit)
        minutes = (dist[h_node] + h_snap) / speed
    else:
        dist = pandana_nearest(u, v, length, node_lon * kx, node_lat * ky, f_node, limit, timings)
        minutes = (dist[h_node] + h_snap) / speed
    timings["route"] = time.perf_counter() - t

    covered = minutes <= args.minutes
    pop = homes[:, 2]
    timings["total"] = time.perf_counter() - t0
    json.dump(
        {
            "input": args.input,
            "engine": args.engine,
            "router": args.router,
            "graph_nodes": int(n),
            "graph_edges": int(len(length)),
            "buildings": int(len(homes)),
            "facilities": int(len(facilities)),
            "covered_buildings": int(covered.sum()),
            "covered_share_buildings": float(covered.mean()) if len(homes) else 0.0,
            "population": float(pop.sum()),
            "covered_share_population": float(pop[covered].sum() / pop.sum()) if pop.sum() else 0.0,
            "timings_s": {k: round(s, 4) for k, s in timings.items()},
        },
        sys.stdout,
        indent=1,
    )
    print()


if __name__ == "__main__":
    main()
