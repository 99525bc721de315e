"""The serve benchmark's measurements against a running `fifteen serve` (see bench_serve.sh):
edits answered (server time from `Server-Timing`, and the round trip), and the page's first
full view in headless Chromium. Prints one JSON object.

    python3 scripts/bench_serve.py http://127.0.0.1:PORT EDITS VIEWS
"""

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    with urllib.request.urlopen(request) as answer:
        payload = json.load(answer)
        timing = answer.headers.get("Server-Timing", "")
    round_trip_ms = 1000 * (time.perf_counter() - started)
    server_ms = float(timing.split("dur=")[1]) if "dur=" in timing else None
    return payload, server_ms, round_trip_ms


def edits(base, count):
    """Adds at homes' neighbourhoods (near existing facilities, shifted), moves and removes
    them in turn; server and round-trip milliseconds per operation."""
    rng = random.Random(15)
    state, create_ms, _ = call(base, "POST", "/api/scenarios", {"name": "bench"})
    sid = state["id"]
    category = state["view"]["category"]
    sites = [f["geometry"]["coordinates"] for f in state["facilities"]["features"]]
    times = {"add": [], "move": [], "remove": []}
    added = []
    for i in range(count):
        op = ["add", "move", "remove"][i % 3]
        if op == "add" or not added:
            lon, lat = rng.choice(sites)
            body = {"op": "add", "category": category,
                    "lon": lon + rng.uniform(-0.004, 0.004), "lat": lat + rng.uniform(-0.003, 0.003)}
            op = "add"
        elif op == "move":
            lon, lat = rng.choice(sites)
            body = {"op": "move", "id": added[-1], "lon": lon + rng.uniform(-0.004, 0.004),
                    "lat": lat + rng.uniform(-0.003, 0.003)}
        else:
            body = {"op": "remove", "id": added.pop(0)}
        try:
            state, server_ms, trip_ms = call(base, "POST", f"/api/scenarios/{sid}/edits", body)
        except urllib.error.HTTPError as e:  # a site off the network: skip it
            if e.code == 422:
                continue
            raise
        if op == "add":
            added.append(max((f["properties"]["id"] for f in state["facilities"]["features"]
                              if f["properties"]["id"].startswith("added/")),
                             key=lambda i: int(i.split("/")[1])))
        times[op].append((server_ms, trip_ms))
    return create_ms, times


def first_views(base, runs, lon, lat):
    script = Path(__file__).resolve().parent.parent / "tests/browser/serve_page.py"
    seconds = []
    for _ in range(runs):
        shot = tempfile.mktemp(suffix=".png")
        out = subprocess.run([sys.executable, str(script), base, str(lon), str(lat), shot],
                             capture_output=True, text=True, check=True)
        seconds.append(json.loads(out.stdout)["first_view_s"])
    return seconds


def main(base, count, views):
    city, _, _ = call(base, "GET", "/api/city")
    create_ms, times = edits(base, count)
    summary = {"homes": city["homes"], "first_scenario_ms": create_ms}
    for op, pairs in times.items():
        server = [p[0] for p in pairs]
        trip = [p[1] for p in pairs]
        summary[op] = {"n": len(pairs), "server_median_ms": statistics.median(server),
                       "server_max_ms": max(server), "round_trip_median_ms": statistics.median(trip)}
    lon, lat = city["center"]
    state, _, _ = call(base, "POST", "/api/scenarios", {})
    site = state["facilities"]["features"][0]["geometry"]["coordinates"] if state["facilities"]["features"] else [lon, lat]
    summary["first_view_s"] = first_views(base, views, site[0] + 0.002, site[1] + 0.001) if views else []
    _, suggest_ms, _ = call(base, "POST", f"/api/scenarios/{state['id']}/suggest", {})
    _, suggest_again_ms, _ = call(base, "POST", f"/api/scenarios/{state['id']}/suggest", {})
    summary["suggest_first_ms"], summary["suggest_again_ms"] = suggest_ms, suggest_again_ms
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
