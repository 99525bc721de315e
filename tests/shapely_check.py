"""shapely_check.py DIR...: every geometry of every GeoJSON layer in each output folder is
valid by GEOS (shapely.is_valid); one `ok`/`INVALID` line per layer, exit 1 on any invalid.

Run by tests/polygons_valid.rs.
"""
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape

bad_layers = 0
for folder in map(Path, sys.argv[1:]):
    for layer in sorted(folder.rglob("*.geojson")):
        features = json.loads(layer.read_text())["features"]
        polygons, invalid = 0, []
        for feature in features:
            geometry = feature.get("geometry")
            if geometry is None:
                continue
            g = shape(geometry)
            polygons += g.geom_type in ("Polygon", "MultiPolygon")
            if not shapely.is_valid(g):
                props = feature.get("properties") or {}
                who = props.get("osm_id") or props.get("id") or props.get("name")
                invalid.append(f"{who}: {shapely.is_valid_reason(g)}")
        name = layer.relative_to(folder.parent)
        if invalid:
            bad_layers += 1
            print(f"INVALID {name}: {len(invalid)} of {len(features)}: {invalid[:5]}")
        else:
            print(f"ok {name}: {len(features)} features, {polygons} polygons, all valid")
sys.exit(1 if bad_layers else 0)
